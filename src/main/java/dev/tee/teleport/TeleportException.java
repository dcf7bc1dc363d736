package dev.tee.teleport;

import io.grpc.Status;

/**
 * A Teleport call that failed, with the gRPC code Teleport answered (teleport-wire.md §3.1) and a
 * message for the user. The code tells the caller what to do: retry, fall back or skip.
 */
public class TeleportException extends RuntimeException {

    private final Status.Code code;

    public TeleportException(Status.Code code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    /** Teleport could not be reached (UNAVAILABLE, retryable), for readers that fail before any call is made. */
    public TeleportException(String message) {
        this(Status.Code.UNAVAILABLE, message, null);
    }

    public Status.Code code() {
        return code;
    }

    /** The connection dropped or Teleport did not answer in time: the same call may work later. */
    public boolean isRetryable() {
        return code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED;
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
