package dev.tee.sink;

/**
 * What every output reports the same way, for the metrics and the progress line (Vector's sinks
 * share their telemetry like this, so dashboards work whatever the output).
 */
public interface OutputCounters {

    /** Events the output acknowledged: Fluentd's 200, or stored in an object. */
    long eventsDelivered();

    /** Events the output refused for good, written to the dead-letter file instead. */
    long eventsDeadLettered();

    /** Requests that completed: Fluentd POSTs, or objects written. */
    long requestsCompleted();
}
