package dev.tee.pipeline;

import java.util.function.Consumer;

import dev.tee.event.Batch;
import org.apache.camel.ProducerTemplate;

/**
 * Where code that runs outside a route hands its work to one: the S3 writer hands each stored
 * object's batch to {@code direct:audit-commit}. Synchronous, so a full pipeline slows the caller down.
 */
public final class RouteInlet<T> implements Consumer<T> {

    public static final String COMMIT = "direct:audit-commit";

    private final String endpoint;
    private volatile ProducerTemplate template;

    private RouteInlet(String endpoint) {
        this.endpoint = endpoint;
    }

    /** Into the audit-commit route: remember the ids as delivered, let the cursor move past them. */
    public static RouteInlet<Batch> commit() {
        return new RouteInlet<>(COMMIT);
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
