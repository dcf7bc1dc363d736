package dev.tee.session;

import dev.tee.event.Batch;

/**
 * Where the events of session recordings go: Fluentd under each session's own tag, or objects under
 * the session prefix of S3 or a directory.
 */
public interface SessionOutput {

    /** The most events delivered together. */
    int batchEvents();

    /**
     * Delivers events of session {@code sessionId}, in recorded order; returns once each is
     * acknowledged (or dead-lettered).
     *
     * @throws dev.tee.sink.OutputUnavailableException when the output cannot take them now; the same
     *     batch is delivered again later
     */
    void deliver(String sessionId, Batch batch);
}
