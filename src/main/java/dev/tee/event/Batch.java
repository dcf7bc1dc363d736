package dev.tee.event;

import java.util.BitSet;
import java.util.List;

/**
 * Up to `batch` events travelling to an output together. It remembers which of its events are already
 * settled (acknowledged or dead-lettered), so that a redelivery after a partial failure sends only
 * the rest.
 */
public final class Batch {

    private final List<AuditEvent> events;
    private final BitSet settled = new BitSet();

    public Batch(List<AuditEvent> events) {
        this.events = List.copyOf(events);
    }

    public List<AuditEvent> events() {
        return events;
    }

    public int size() {
        return events.size();
    }

    public synchronized boolean isSettled(int position) {
        return settled.get(position);
    }

    public synchronized void settle(int position) {
        settled.set(position);
    }

    public synchronized boolean allSettled() {
        return settled.cardinality() == events.size();
    }

    @Override
    public String toString() {
        return "batch of " + events.size() + (events.isEmpty() ? "" : " from " + events.get(0));
    }
}
