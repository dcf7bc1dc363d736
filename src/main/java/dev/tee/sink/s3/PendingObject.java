package dev.tee.sink.s3;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import dev.tee.event.AuditEvent;
import dev.tee.event.Batch;

/**
 * One object of a complete minute on its way to the bucket or directory: the key to try, the body, and
 * the events it acknowledges once stored. The routes PUT {@link #getBody()} under {@link #getKey()};
 * when the key is taken, the lines already stored there leave this object ({@link #removeStored}) and
 * the rest moves on to a further key of the minute.
 */
public final class PendingObject {

    private final String prefix;
    private final Instant minute;
    private final List<PantherLine> lines;
    private final List<AuditEvent> events;
    private int index;
    private byte[] body;
    private boolean stored;

    PendingObject(String prefix, Instant minute, int index, List<PantherLine> lines, List<AuditEvent> events) {
        this.prefix = prefix;
        this.minute = minute;
        this.index = index;
        this.lines = new ArrayList<>(lines);
        this.events = new ArrayList<>(events);
    }

    /** The key to try now: {@code <prefix><yyyyMMddHHmm00>_<n>.gz}. */
    public synchronized String getKey() {
        return keyAt(index);
    }

    /** The gzip body of the lines still to store, made once per key tried. */
    public synchronized byte[] getBody() {
        if (body == null) {
            MinuteObject object = new MinuteObject(minute, Long.MAX_VALUE);
            lines.forEach(object::add);
            body = object.gzip();
        }
        return body;
    }

    /** The minute's key with index {@code index}. */
    String keyAt(int index) {
        return new PantherObjectKey(prefix, minute, index).key();
    }

    synchronized int index() {
        return index;
    }

    /** Whether every line is stored, under this key or under taken keys that already held it. */
    public synchronized boolean isStored() {
        return stored;
    }

    Instant minute() {
        return minute;
    }

    synchronized int lineCount() {
        return lines.size();
    }

    /** Stored under {@link #getKey()}: every remaining event is acknowledged. */
    synchronized Batch markStored() {
        stored = true;
        body = null;
        return new Batch(List.copyOf(events));
    }

    /**
     * The key was taken by an object holding {@code storedLines} (without their LF): our lines among
     * them leave this object, and their events are returned to be acknowledged. Lines are compared
     * whole, so events without a uid are recognised too.
     */
    synchronized Batch removeStored(Set<String> storedLines) {
        List<AuditEvent> found = new ArrayList<>();
        List<PantherLine> keptLines = new ArrayList<>(lines.size());
        List<AuditEvent> keptEvents = new ArrayList<>(events.size());
        for (int i = 0; i < lines.size(); i++) {
            if (storedLines.contains(lines.get(i).toString())) {
                found.add(events.get(i));
            } else {
                keptLines.add(lines.get(i));
                keptEvents.add(events.get(i));
            }
        }
        lines.clear();
        lines.addAll(keptLines);
        events.clear();
        events.addAll(keptEvents);
        body = null;
        stored = lines.isEmpty();
        return new Batch(found);
    }

    /** The lines left are to be tried under the minute's index {@code next}. */
    synchronized void moveTo(int next) {
        index = next;
        body = null;
    }

    @Override
    public synchronized String toString() {
        return getKey() + " (" + lines.size() + " events)";
    }
}
