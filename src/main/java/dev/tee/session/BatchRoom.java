package dev.tee.session;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import dev.tee.state.InFlight;

/**
 * The heap that session transfers share for the batches they gather: `concurrency` recordings are
 * copied side by side, each gathering up to {@link SessionTransfer#MAX_BATCH_BYTES} before it writes,
 * and without a common bound a few loud sessions (a `cat` of a large file, a build log) run a small
 * heap out of memory. The audit log's budget ({@link InFlight}) is not shared: registering a session
 * can wait for a worker, so the two waiting on one budget could wait on each other.
 *
 * <p>Each transfer takes room event by event and gives it all back once its batch is delivered. One
 * that holds nothing waits for room. One that holds part of a batch and finds no more would wait for
 * ever if every other did the same, so it takes the overdraft instead: one transfer at a time may
 * finish its batch beyond the budget, and it waits for nothing while it does, so it always gives its
 * room back. At most the budget and one batch are ever gathered. Batches are still cut by count and
 * size only, so waiting never changes where a batch ends.
 */
final class BatchRoom {

    /**
     * Half the audit log's byte budget: a sixteenth of the heap, 10 MiB with {@code -Xmx160m}, at
     * least 4 MiB. A gathered byte costs about three on its way out (the event, its line, the body).
     */
    static final int DEFAULT_BYTES = InFlight.DEFAULT_BYTE_LIMIT / 2;

    /** How often a waiting transfer looks whether the exporter is stopping. */
    private static final long POLL_MILLIS = 100;

    private final int bytes;
    private final Semaphore budget;
    private final Semaphore overdraft = new Semaphore(1);

    BatchRoom(int bytes) {
        if (bytes < 1) {
            throw new IllegalArgumentException("room must be positive: " + bytes + " bytes");
        }
        this.bytes = bytes;
        this.budget = new Semaphore(bytes);
    }

    /** Bytes of the budget held by batches being gathered or delivered now. */
    int taken() {
        return bytes - budget.availablePermits();
    }

    /** One transfer's share, empty until it takes room; used by one thread. */
    Share share() {
        return new Share();
    }

    final class Share {
        private int held;
        private boolean overdrawn;

        private Share() {
        }

        /**
         * Room for one more event of {@code size} bytes in this transfer's batch, waiting if need be.
         *
         * @return false when the exporter began stopping while this waited
         */
        boolean take(int size, BooleanSupplier stopping) {
            int charge = Math.min(Math.max(size, 0), bytes);
            if (overdrawn) {
                return true; // the batch finishes beyond the budget, however much more it holds
            }
            if (budget.tryAcquire(charge)) {
                held += charge;
                return true;
            }
            try {
                while (!stopping.getAsBoolean()) {
                    if (held == 0) {
                        // holding nothing, waiting keeps no one else waiting
                        if (budget.tryAcquire(charge, POLL_MILLIS, TimeUnit.MILLISECONDS)) {
                            held = charge;
                            return true;
                        }
                    } else if (overdraft.tryAcquire(POLL_MILLIS, TimeUnit.MILLISECONDS)) {
                        overdrawn = true;
                        return true;
                    } else if (budget.tryAcquire(charge)) {
                        held += charge;
                        return true;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return false;
        }

        /** Gives back all this share holds: its batch went out, or the transfer ended without it. */
        void release() {
            budget.release(held);
            held = 0;
            if (overdrawn) {
                overdrawn = false;
                overdraft.release();
            }
        }
    }
}
