package dev.tee.teleport;

import io.grpc.Status;

/**
 * A Teleport call that failed, with the gRPC code Teleport answered (teleport-wire.md §3.1) and a
 * message for the user. The code tells the caller what to do: retry, fall back or skip.
 */
public class TeleportException extends RuntimeException {

    private final Status.Code code;
    private final boolean refusal;

    public TeleportException(Status.Code code, String message, Throwable cause) {
        this(code, message, cause, false);
    }

    private TeleportException(Status.Code code, String message, Throwable cause, boolean refusal) {
        super(message, cause);
        this.code = code;
        this.refusal = refusal;
    }

    /**
     * Teleport refused the exporter after it had been answered before (an expired or replaced
     * certificate, a rotated CA, a role edited): retried like an outage, since renewing the identity or
     * fixing the role cures it without a restart.
     */
    static TeleportException refusal(Status.Code code, String message, Throwable cause) {
        return new TeleportException(code, message, cause, true);
    }

    /** Teleport could not be reached (UNAVAILABLE, retryable), for readers that fail before any call is made. */
    public TeleportException(String message) {
        this(Status.Code.UNAVAILABLE, message, null);
    }

    public Status.Code code() {
        return code;
    }

    /**
     * The connection dropped, Teleport did not answer in time, or it refuses the exporter after having
     * answered it: the same call may work later.
     */
    public boolean isRetryable() {
        return code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED || refusal;
    }

    /** Teleport refuses the exporter's identity or role while running: an operator (or tbot) must act. */
    public boolean isRefusal() {
        return refusal;
    }

    /** This Teleport (or its audit backend) lacks the method, e.g. bulk export on DynamoDB. */
    public boolean isUnimplemented() {
        return code == Status.Code.UNIMPLEMENTED;
    }

    /** The thing asked for does not exist (yet), e.g. a session recording still being uploaded. */
    public boolean isNotFound() {
        return code == Status.Code.NOT_FOUND;
    }
}
