package dev.tee.pipeline;

import java.util.ArrayList;
import java.util.List;

import dev.tee.event.AuditEvent;
import dev.tee.event.Batch;
import org.apache.camel.AggregationStrategy;
import org.apache.camel.Exchange;

/** Collects events into a {@link Batch}, the unit the outputs send and acknowledge. */
public final class BatchAggregation implements AggregationStrategy {

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
}
