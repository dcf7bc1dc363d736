package dev.tee.state;

import java.util.concurrent.Semaphore;

/**
 * The most events read but not yet settled, across every ledger: a reader that gets ahead of the
 * output by that much waits. This bounds memory whatever the output's speed, independently of how
 * the routes queue work in between (backpressure at the source, DESIGN §1).
 */
public final class InFlight {

    /** Enough to keep every stage busy; at a few KiB per event, a bounded share of the heap. */
    public static final int DEFAULT_LIMIT = 50_000;

    private final Semaphore permits;
    private final int limit;

    public InFlight(int limit) {
        this.limit = limit;
        this.permits = new Semaphore(limit);
    }

    /** For ledgers no reader shares (tests, tools): no limit. */
    public static InFlight unlimited() {
        return new InFlight(Integer.MAX_VALUE);
    }

    /** Waits until one more event may be read. */
    void acquire() {
        permits.acquireUninterruptibly();
    }

    void release() {
        permits.release();
    }

    /** Events read and not yet settled. */
    public int count() {
        return limit - permits.availablePermits();
    }
}
