package dev.tee.sink.s3;

/** The event's {@code time} is one Fluentd would answer 400 for (message as Fluentd's); the event is dead-lettered. */
public class InvalidEventTimeException extends RuntimeException {
    public InvalidEventTimeException(String message) {
        super(message);
    }
}
