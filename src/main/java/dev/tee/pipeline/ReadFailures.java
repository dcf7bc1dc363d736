package dev.tee.pipeline;

import java.time.Duration;

import dev.tee.observe.LogThrottle;
import dev.tee.teleport.TeleportException;
import io.grpc.Status;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reports a failed read from Teleport in one line, the same message at most once a minute, while the
 * poll route keeps retrying (the Go handler's "Reconnecting in 5s" loop, without the log flood).
 */
public final class ReadFailures {

    private static final Logger LOG = LoggerFactory.getLogger(ReadFailures.class);

    private final Duration retryIn;
    private final LogThrottle throttle = new LogThrottle(Duration.ofMinutes(1));

    public ReadFailures(Duration retryIn) {
        this.retryIn = retryIn;
    }

    public synchronized void report(Exchange exchange) {
        Throwable failure = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        if (failure instanceof TeleportException teleport && teleport.code() == Status.Code.CANCELLED) {
            LOG.debug("Reading stopped: {}", failure.getMessage()); // the exporter is stopping
            return;
        }
        if (failure instanceof TeleportException teleport && teleport.isRefusal()) {
            LOG.debug("Reading refused: {}", failure.getMessage()); // the Teleport client said so at ERROR, once
            return;
        }
        String message = failure == null ? "unknown error" : failure.getMessage();
        if (!throttle.pass(message)) {
            return;
        }
        long suppressed = throttle.heldBack();
        LOG.warn("Cannot read from Teleport: {}; retrying every {}s{}", message, Math.max(1, retryIn.toSeconds()),
                suppressed > 0 ? " (" + suppressed + " similar failures not shown)" : "");
    }
}
