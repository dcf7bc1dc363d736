package dev.tee.pipeline;

import java.util.ArrayList;
import java.util.List;

import dev.tee.event.AuditEvent;
import dev.tee.event.Batch;
import org.apache.camel.AggregationStrategy;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.processor.aggregate.AggregateProcessor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Collects events into a {@link Batch}, the unit the outputs send and acknowledge; and sends the batch
 * being filled at once when a read route has caught up ({@link #completeAll}).
 */
public final class BatchAggregation implements AggregationStrategy {

    /** The id of the aggregate step in routes/audit.yaml. */
    static final String AGGREGATOR_ID = "audit-batcher";
    private static final Logger LOG = LoggerFactory.getLogger(BatchAggregation.class);

    private volatile boolean warned;

    @Override
    @SuppressWarnings("unchecked")
    public Exchange aggregate(Exchange batch, Exchange event) {
        if (batch == null) {
            List<AuditEvent> events = new ArrayList<>();
            events.add(event.getMessage().getBody(AuditEvent.class));
            event.getMessage().setBody(events);
            return event;
        }
        batch.getMessage().getBody(List.class).add(event.getMessage().getBody(AuditEvent.class));
        return batch;
    }

    @Override
    @SuppressWarnings("unchecked")
    public void onCompletion(Exchange batch) {
        batch.getMessage().setBody(new Batch(batch.getMessage().getBody(List.class)));
    }

    /**
     * Completes the batch being filled now rather than after batch-timeout: the read route's step once
     * it has caught up. The aggregator sits in the per-event route itself (a route of its own cost every
     * event one more route to enter), so the signal goes to it directly, as its JMX operation would.
     * Without an aggregate step of id {@value #AGGREGATOR_ID} (an edited route) it says so once; batches
     * then leave after batch-timeout, nothing is held back longer.
     */
    public void completeAll(Exchange exchange) {
        Processor step = exchange.getContext().getProcessor(AGGREGATOR_ID);
        if (step instanceof AggregateProcessor aggregator) {
            aggregator.forceCompletionOfAllGroups();
        } else if (!warned) {
            warned = true;
            LOG.warn("routes: no aggregate step with id {} (routes/audit.yaml): a caught-up reader's last batch "
                    + "waits for batch-timeout", AGGREGATOR_ID);
        }
    }
}
