package dev.tee.pipeline;

import java.util.Map;
import java.util.function.Consumer;

import dev.tee.event.Batch;
import dev.tee.sink.DeadLetter;
import org.apache.camel.CamelExecutionException;
import org.apache.camel.ProducerTemplate;

/**
 * Where code that runs outside a route hands its work to one: the session export hands each batch of
 * a recording to {@code direct:fluentd-deliver}, and the dead letters of its objects to
 * {@code direct:dead-letter}. Synchronous, so a full pipeline slows the caller
 * down, and a route's failure is thrown to the caller as the route's own exception.
 */
public final class RouteInlet<T> implements Consumer<T> {

    public static final String FLUENTD = "direct:fluentd-deliver";
    public static final String DEAD_LETTER = "direct:dead-letter";

    private final String endpoint;
    private volatile ProducerTemplate template;

    private RouteInlet(String endpoint) {
        this.endpoint = endpoint;
    }

    /** Into the fluentd-deliver route: POST a batch to Fluentd until every event is settled. */
    public static RouteInlet<Batch> fluentd() {
        return new RouteInlet<>(FLUENTD);
    }

    /** Into the dead-letter route: append a dead letter to dead-letter.jsonl. */
    public static RouteInlet<DeadLetter> deadLetter() {
        return new RouteInlet<>(DEAD_LETTER);
    }

    /** Connects the inlet once Camel has started. */
    public void attach(ProducerTemplate template) {
        this.template = template;
    }

    @Override
    public void accept(T body) {
        send(body, Map.of());
    }

    /** Sends {@code body} with {@code headers} for the route to read. */
    public void send(T body, Map<String, Object> headers) {
        ProducerTemplate current = template;
        if (current == null) {
            throw new IllegalStateException("the pipeline is not running");
        }
        try {
            current.sendBodyAndHeaders(endpoint, body, headers);
        } catch (CamelExecutionException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            throw e;
        }
    }
}
