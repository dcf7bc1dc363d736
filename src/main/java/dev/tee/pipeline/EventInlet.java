package dev.tee.pipeline;

import java.util.function.Consumer;

import dev.tee.event.AuditEvent;
import org.apache.camel.ProducerTemplate;

/**
 * Where readers that run their own threads (the export chunk streams) hand events to the routes:
 * {@code direct:audit-event}, synchronously, so a full pipeline slows the streams down.
 */
public final class EventInlet implements Consumer<AuditEvent> {

    public static final String ENDPOINT = "direct:audit-event";

    private volatile ProducerTemplate template;

    /** Connects the inlet once Camel has started. */
    public void attach(ProducerTemplate template) {
        this.template = template;
    }

    @Override
    public void accept(AuditEvent event) {
        ProducerTemplate current = template;
        if (current == null) {
            throw new IllegalStateException("the pipeline is not running");
        }
        current.sendBody(ENDPOINT, event);
    }
}
