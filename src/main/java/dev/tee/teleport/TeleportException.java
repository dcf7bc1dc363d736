package dev.tee.teleport;

/** A failed call to Teleport (placeholder until the client lands). */
public class TeleportException extends RuntimeException {
    public TeleportException(String message) {
        super(message);
    }
}
