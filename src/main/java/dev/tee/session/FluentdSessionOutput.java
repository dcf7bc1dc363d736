package dev.tee.session;

import dev.tee.event.Batch;
import dev.tee.sink.fluentd.FluentdSink;

/**
 * Session events to Fluentd at {@code <forward.fluentd.session-url>.<sid>.log}, the URL (and so the
 * in_http tag {@code session.<sid>.log}) the Go handler posts them to, in batches like audit events.
 */
public final class FluentdSessionOutput implements SessionOutput {

    private final FluentdSink sink;
    private final String sessionUrl;
    private final int batchEvents;

    /** @param sink the audit output, whose connections the sessions share */
    public FluentdSessionOutput(FluentdSink sink, String sessionUrl, int batchEvents) {
        this.sink = sink;
        this.sessionUrl = sessionUrl;
        this.batchEvents = batchEvents;
    }

    @Override
    public int batchEvents() {
        return batchEvents;
    }

    @Override
    public void deliver(String sessionId, Batch batch) {
        sink.deliver(url(sessionId), batch);
    }

    /** The URL the events of {@code sessionId} are posted to. */
    public String url(String sessionId) {
        return sessionUrl + "." + sessionId + ".log";
    }
}
