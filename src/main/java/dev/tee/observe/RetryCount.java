package dev.tee.observe;

import dev.tee.teleport.TeleportException;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;

/**
 * Tells the metrics about every send the output could not take now and Camel's error handler tries
 * again: the routes' error handlers call it before each redelivery ({@code onRedeliveryRef: countRetry}
 * in output-retries, audit.yaml, and session-errors, sessions.yaml). Redeliveries that read from
 * Teleport again (a cut export chunk or recording stream) are not sends, and the output is not
 * failing for them.
 *
 * <p>A processor, not an event notifier: one notifier that takes any exchange event has Camel make and
 * offer the events of every exchange, which on the per-event route costs more than this ever counts.
 */
public final class RetryCount implements Processor {

    /** The name the routes know it by. */
    public static final String BEAN = "countRetry";

    private final ExporterMetrics metrics;

    RetryCount(ExporterMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void process(Exchange exchange) {
        Throwable failure = exchange.getException() != null ? exchange.getException()
                : exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        if (failure instanceof TeleportException) {
            return;
        }
        metrics.retried(failure == null ? "unknown failure" : String.valueOf(failure.getMessage()));
    }
}
