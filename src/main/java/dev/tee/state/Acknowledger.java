package dev.tee.state;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import dev.tee.event.AuditEvent;
import dev.tee.event.Batch;

/**
 * The routes' `ledger` bean: settles events in whichever reader's ledger they came from, so the
 * cursors move past them, and counts how each event was settled.
 */
public final class Acknowledger {

    private final LongAdder filtered = new LongAdder();
    private final LongAdder duplicates = new LongAdder();
    private final LongAdder acknowledged = new LongAdder();
    private final AtomicLong newestSettledMillis = new AtomicLong(Long.MIN_VALUE);
    private volatile Instant lastAcknowledgedAt;

    /** An event `types` or `skip-event-types` leaves out. */
    public void filtered(AuditEvent event) {
        filtered.increment();
        settle(event);
    }

    /** An event delivered before (in this run or an earlier one): not sent again. */
    public void duplicate(AuditEvent event) {
        duplicates.increment();
        settle(event);
    }

    /** A batch the output acknowledged (each event delivered or dead-lettered). */
    public void delivered(Batch batch) {
        for (AuditEvent event : batch.events()) {
            settle(event);
        }
        acknowledged.add(batch.size());
        lastAcknowledgedAt = Instant.now();
    }

    private void settle(AuditEvent event) {
        event.receipt().settle();
        if (event.time() != null) {
            newestSettledMillis.accumulateAndGet(event.time().toEpochMilli(), Math::max);
        }
    }

    /** Events left out by `types` or `skip-event-types` so far. */
    public long filteredCount() {
        return filtered.sum();
    }

    /** Events not sent again because they had been delivered before. */
    public long duplicateCount() {
        return duplicates.sum();
    }

    /** Events the output acknowledged: delivered, or dead-lettered because it refused them. */
    public long acknowledgedCount() {
        return acknowledged.sum();
    }

    /** When the output last acknowledged a batch; null before the first. */
    public Instant lastAcknowledgedAt() {
        return lastAcknowledgedAt;
    }

    /** The time of the newest event settled in any way (delivered, filtered, duplicate); null before the first. */
    public Instant newestSettledEventTime() {
        long millis = newestSettledMillis.get();
        return millis == Long.MIN_VALUE ? null : Instant.ofEpochMilli(millis);
    }
}
