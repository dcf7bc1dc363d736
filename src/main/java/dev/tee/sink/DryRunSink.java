package dev.tee.sink;

import dev.tee.event.AuditEvent;
import dev.tee.event.Batch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The output of `dry-run`: logs what would have been sent and sends nothing. */
public final class DryRunSink implements Sink, OutputCounters {

    private static final Logger LOG = LoggerFactory.getLogger(DryRunSink.class);

    @Override
    public void deliver(Batch batch) {
        LOG.info("Dry run: would send {} events", batch.size());
        if (LOG.isDebugEnabled()) {
            for (AuditEvent event : batch.events()) {
                LOG.debug("Dry run: would send {} {} at {} (index {})", event.type(), event.id(), event.time(), event.index());
            }
        }
    }

    /** A dry run delivers nothing. */
    @Override
    public long eventsDelivered() {
        return 0;
    }

    @Override
    public long eventsDeadLettered() {
        return 0;
    }

    @Override
    public long requestsCompleted() {
        return 0;
    }

    @Override
    public void close() {
    }
}
