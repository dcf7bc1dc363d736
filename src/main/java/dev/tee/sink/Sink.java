package dev.tee.sink;

import dev.tee.event.Batch;

/**
 * Where batches of events go (Fluentd, S3, a directory, nowhere in a dry run). {@link #deliver}
 * returns once every event of the batch is settled, i.e. acknowledged by the output or dead-lettered,
 * and throws {@link OutputUnavailableException} when the output cannot take it now; it is then
 * called again with the same batch.
 */
public interface Sink extends AutoCloseable {

    void deliver(Batch batch);

    @Override
    void close();
}
