package dev.tee.pipeline;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The thread that takes completed batches from the aggregator to the delivery queue, with room for
 * one more batch waiting: when delivery falls behind, the thread that completes the next batch waits
 * here. Camel's default for the aggregator is a thread with an unbounded queue, which lets batches
 * pile up without limit and makes a graceful stop wait for all of them (the forced stop that follows
 * repeats the batch in flight after a restart). Running completions in the reading thread instead
 * kept every page of a long backfill reachable through the read loop, and ran out of heap.
 */
public final class BatchHandOff extends ThreadPoolExecutor {

    public BatchHandOff() {
        super(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(1), runnable -> {
            Thread thread = new Thread(runnable, "batch-hand-off");
            thread.setDaemon(true);
            return thread;
        }, (runnable, executor) -> {
            if (executor.isShutdown()) {
                throw new RejectedExecutionException("stopping: the batch is read again after the restart");
            }
            try {
                executor.getQueue().put(runnable); // wait for room: backpressure to the reader
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RejectedExecutionException("interrupted while waiting to hand a batch on", e);
            }
        });
    }
}
