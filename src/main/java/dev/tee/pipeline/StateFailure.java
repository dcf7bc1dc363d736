package dev.tee.pipeline;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

import dev.tee.state.StateUnwritableException;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The routes' `stateFailure` bean: when state can no longer be written (a full disk), says so in one
 * line and stops the exporter. What was not recorded is not settled, so the saved cursor stays before
 * it and a restart, once there is room, sends it; nothing is lost.
 */
public final class StateFailure {

    private static final Logger LOG = LoggerFactory.getLogger(StateFailure.class);

    private final Runnable stop;
    private final AtomicReference<String> first = new AtomicReference<>();

    /** @param stop begins a graceful stop of the exporter */
    public StateFailure(Runnable stop) {
        this.stop = stop;
    }

    /** The route step: the exchange's caught exception is a {@link StateUnwritableException}. */
    public void stop(Exchange exchange) {
        Throwable failure = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        record(failure == null ? "storage: cannot write the state" : failure.getMessage());
    }

    /** Records the failure (the first one is the one reported) and stops the exporter once. */
    public void record(String message) {
        if (first.compareAndSet(null, message)) {
            LOG.error("{}; stopping. Nothing after the last saved position is lost: make room and start again",
                    message);
            stop.run();
        }
    }

    /** The first failure's message, when state could not be written. */
    public Optional<String> failure() {
        return Optional.ofNullable(first.get());
    }
}
