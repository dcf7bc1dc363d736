package dev.tee.state;

import java.util.concurrent.Semaphore;

/**
 * The most events read but not yet settled, across every ledger, counted twice: as events and as their
 * bytes (each event's size on the wire). A reader that gets ahead of the output by either waits. This
 * bounds memory whatever the output's speed and however large the events, independently of how the
 * routes queue work in between (backpressure at the source, DESIGN §1).
 */
public final class InFlight {

    /** Enough to keep every stage busy; at a few KiB per event, a bounded share of the heap. */
    public static final int DEFAULT_LIMIT = 50_000;

    /**
     * Event bytes in flight at most: an eighth of the heap ({@code -Xmx}), at least 8 MiB. An event in
     * flight costs about three times its wire size (its bytes, its JSON or its Panther line, and the
     * batch or object it goes out in), so this keeps the events' share of the heap under half whatever
     * they weigh; with {@code -Xmx160m}, 20 MiB: the count binds for events under about 420 bytes, this
     * for larger ones (Teleport lets an event reach 1 MiB: Kubernetes and database requests).
     */
    public static final int DEFAULT_BYTE_LIMIT = byteLimitFor(Runtime.getRuntime().maxMemory());

    private static final int MIN_BYTE_LIMIT = 8 << 20;

    private final Semaphore permits;
    // fair: a large event waiting for room is not overtaken for good by the small ones behind it
    private final Semaphore bytes;
    private final int limit;
    private final int byteLimit;

    /** At most {@code limit} events and {@link #DEFAULT_BYTE_LIMIT} bytes. */
    public InFlight(int limit) {
        this(limit, DEFAULT_BYTE_LIMIT);
    }

    public InFlight(int limit, int byteLimit) {
        if (limit < 1 || byteLimit < 1) {
            throw new IllegalArgumentException("limits must be positive: " + limit + " events, " + byteLimit + " bytes");
        }
        this.limit = limit;
        this.byteLimit = byteLimit;
        this.permits = new Semaphore(limit);
        this.bytes = new Semaphore(byteLimit, true);
    }

    /** For ledgers no reader shares (tests, tools): no limit. */
    public static InFlight unlimited() {
        return new InFlight(Integer.MAX_VALUE, Integer.MAX_VALUE);
    }

    static int byteLimitFor(long maxHeap) {
        return (int) Math.min(Integer.MAX_VALUE, Math.max(MIN_BYTE_LIMIT, maxHeap / 8));
    }

    /**
     * Waits until one more event of {@code size} bytes may be read.
     *
     * @return the bytes charged, to give back on {@link #release}: the size, but at most half the
     *     budget. More could wait for ever: the S3 and file writer may hold up to half of it in a
     *     minute that only reading further completes (PantherWriter writes early above that).
     */
    int acquire(int size) {
        int charge = Math.min(Math.max(size, 0), byteLimit / 2);
        permits.acquireUninterruptibly();
        bytes.acquireUninterruptibly(charge);
        return charge;
    }

    void release(int charge) {
        bytes.release(charge);
        permits.release();
    }

    /** Events read and not yet settled. */
    public int count() {
        return limit - permits.availablePermits();
    }

    /** Bytes of the events read and not yet settled. */
    public int bytes() {
        return byteLimit - bytes.availablePermits();
    }

    /** The most event bytes in flight. */
    public int byteLimit() {
        return byteLimit;
    }
}
