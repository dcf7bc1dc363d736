package dev.tee.pipeline;

import java.util.function.Consumer;

import dev.tee.event.AuditEvent;
import org.apache.camel.ProducerTemplate;

/**
 * Where code that runs outside a route hands its work to one: the export chunk streams hand each
 * event to {@code direct:audit-event}. Synchronous, so a full pipeline slows the caller down.
 */
public final class RouteInlet<T> implements Consumer<T> {

    public static final String EVENTS = "direct:audit-event";

    private final String endpoint;
    private volatile ProducerTemplate template;

    private RouteInlet(String endpoint) {
        this.endpoint = endpoint;
    }

    /** Into the audit-events route: filter, de-duplicate, batch. */
    public static RouteInlet<AuditEvent> events() {
        return new RouteInlet<>(EVENTS);
    }

    /** Connects the inlet once Camel has started. */
    public void attach(ProducerTemplate template) {
        this.template = template;
    }

    @Override
    public void accept(T body) {
        ProducerTemplate current = template;
        if (current == null) {
            throw new IllegalStateException("the pipeline is not running");
        }
        current.sendBody(endpoint, body);
    }
}
