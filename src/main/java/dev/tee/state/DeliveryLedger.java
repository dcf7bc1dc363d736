package dev.tee.state;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;


/**
 * Knows, for every event read from Teleport, whether the output has acknowledged it (or it was
 * filtered, de-duplicated or dead-lettered), and from that the committed position: the source
 * position just after the longest run of settled events, in read order.
 *
 * <p>This is what keeps the cursor on disk from ever passing an event the output has not
 * acknowledged, although events are split, filtered, batched and sent out of order in between
 * (DESIGN §7).
 *
 * @param <P> the reader's position type (a legacy page cursor, a chunk cursor...)
 */
public final class DeliveryLedger<P> {

    private static final int COMPACT_AT = 4096;

    private final List<Entry<P>> entries = new ArrayList<>();
    private final Consumer<P> onCommit;
    private final InFlight inFlight;
    private int head;
    private long headSequence;
    private long nextSequence;
    private long pending;
    private long pendingBytes;

    /** @param onCommit called (under the ledger's lock) with each new committed position */
    public DeliveryLedger(Consumer<P> onCommit) {
        this(onCommit, InFlight.unlimited());
    }

    /** @param inFlight shared with the other ledgers of the run: tracking waits while it is full */
    public DeliveryLedger(Consumer<P> onCommit, InFlight inFlight) {
        this.onCommit = onCommit;
        this.inFlight = inFlight;
    }

    /** {@link #track(Object, int)} for an event whose size does not count (tests, tools). */
    public Receipt track(P after) {
        return track(after, 0);
    }

    /**
     * Registers an event the reader hands to the pipeline; {@code after} is where reading resumes
     * once it and everything before it are settled. Waits while the events in flight are too many or
     * weigh too much ({@link InFlight}).
     *
     * @param size the event's size on the wire, in bytes
     */
    public Receipt track(P after, int size) {
        int charge = inFlight.acquire(size); // outside this ledger's lock, which settling needs
        synchronized (this) {
            entries.add(new Entry<>(after, false, charge));
            pending++;
            pendingBytes += charge;
            return new Receipt(this, nextSequence++);
        }
    }

    /** Registers a position reached without an event (an empty page, a new window): settled at once. */
    public synchronized void mark(P position) {
        entries.add(new Entry<>(position, true, 0));
        nextSequence++;
        advance();
    }

    synchronized void settle(long sequence) {
        int at = (int) (sequence - headSequence) + head;
        if (sequence < headSequence || at >= entries.size()) {
            return; // already committed (a redelivered acknowledgement)
        }
        Entry<P> entry = entries.get(at);
        if (!entry.settled) {
            entry.settled = true;
            pending--;
            pendingBytes -= entry.charge;
            inFlight.release(entry.charge);
            advance();
        }
    }

    /** True when every event handed out so far has been settled. */
    public synchronized boolean idle() {
        return pending == 0;
    }

    public synchronized long pending() {
        return pending;
    }

    /** The wire size of the events tracked and not yet settled, as charged to the in-flight budget. */
    public synchronized long pendingBytes() {
        return pendingBytes;
    }

    private void advance() {
        P committed = null;
        while (head < entries.size() && entries.get(head).settled) {
            committed = entries.get(head).position;
            entries.set(head, null);
            head++;
            headSequence++;
        }
        if (head >= COMPACT_AT && head * 2 >= entries.size()) {
            entries.subList(0, head).clear();
            head = 0;
        }
        if (committed != null) {
            onCommit.accept(committed);
        }
    }

    private static final class Entry<P> {
        final P position;
        /** The bytes this event holds of the in-flight budget. */
        final int charge;
        boolean settled;

        Entry(P position, boolean settled, int charge) {
            this.position = position;
            this.settled = settled;
            this.charge = charge;
        }
    }
}
