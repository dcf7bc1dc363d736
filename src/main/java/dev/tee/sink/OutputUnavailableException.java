package dev.tee.sink;

/**
 * The output cannot take events right now (unreachable, overloaded, 5xx, throttled). The routes
 * retry the same batch with exponential backoff and jitter, without limit: outages are waited out,
 * never turned into loss.
 */
public class OutputUnavailableException extends RuntimeException {
    public OutputUnavailableException(String message) {
        super(message);
    }

    public OutputUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
