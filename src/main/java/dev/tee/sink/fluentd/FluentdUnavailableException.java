package dev.tee.sink.fluentd;

import dev.tee.sink.OutputUnavailableException;

/**
 * Fluentd did not take the events now but may later: it is unreachable, timed out, or answered a
 * status other than 200 that is not a rejection (5xx, 429, 408, other 2xx/3xx). The routes retry
 * with backoff, without limit; the message names the URL and what went wrong, never a body.
 */
public class FluentdUnavailableException extends OutputUnavailableException {

    private final int status;

    public FluentdUnavailableException(String message, int status) {
        super(message);
        this.status = status;
    }

    public FluentdUnavailableException(String message, Throwable cause) {
        super(message, cause);
        this.status = -1;
    }

    /** The HTTP status Fluentd answered, or -1 when there was no answer. */
    public int status() {
        return status;
    }
}
