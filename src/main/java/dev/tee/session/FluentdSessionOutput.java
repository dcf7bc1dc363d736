package dev.tee.session;

import java.util.Map;

import dev.tee.event.Batch;
import dev.tee.pipeline.RouteInlet;
import dev.tee.sink.fluentd.FluentdSink;

/**
 * Session events to Fluentd at {@code <forward.fluentd.session-url>.<sid>.log}, the URL (and so the
 * in_http tag {@code session.<sid>.log}) the Go handler posts them to, in batches like audit events,
 * through the same route and connections as the audit log.
 */
public final class FluentdSessionOutput implements SessionOutput {

    private final RouteInlet<Batch> fluentd;
    private final String sessionUrl;
    private final int batchEvents;

    /** @param fluentd the fluentd-deliver route, which fails with FluentdUnavailableException */
    public FluentdSessionOutput(RouteInlet<Batch> fluentd, String sessionUrl, int batchEvents) {
        this.fluentd = fluentd;
        this.sessionUrl = sessionUrl;
        this.batchEvents = batchEvents;
    }

    @Override
    public int batchEvents() {
        return batchEvents;
    }

    @Override
    public void deliver(String sessionId, Batch batch) {
        fluentd.send(batch, Map.of(FluentdSink.TARGET_HEADER, url(sessionId)));
    }

    /** The URL the events of {@code sessionId} are posted to. */
    public String url(String sessionId) {
        return sessionUrl + "." + sessionId + ".log";
    }
}
