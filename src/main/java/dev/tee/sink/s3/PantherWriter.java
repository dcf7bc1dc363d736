package dev.tee.sink.s3;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;

import com.google.protobuf.Struct;
import dev.tee.event.AuditEvent;
import dev.tee.event.Batch;
import dev.tee.sink.DeadLetters;
import dev.tee.sink.OutputCounters;
import dev.tee.sink.OutputUnavailableException;
import dev.tee.source.AuditSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes audit events as the objects Fluentd's S3 output writes for Panther: one object per UTC
 * minute of event time, {@code <prefix><yyyyMMddHHmm00>_<n>.gz}, written once the minute is complete,
 * each event acknowledged only after its object is stored.
 *
 * <p>A minute is complete when the source has read past it ({@code readPosition}: every event before
 * that time has been read) and an event of a later minute has reached this writer (the events read
 * are still on their way through the pipeline until then), or, for live data, when it is over, the
 * source has read all there is for now, every event it read has reached this writer and none came
 * during {@code flushDelay}. So a backfill of months writes one object per minute with events, not
 * one per batch, however slowly pages arrive. To bound memory, the oldest minutes are written early
 * when more than {@link #MAX_PENDING_EVENTS} events wait.
 *
 * <p>Exactly once: every object is written with create-if-absent, trying {@code _0}, {@code _1}, ...
 * When a key is taken, the object there is read back; our lines it already holds (a replay after a
 * crash between the write and the acknowledgement) count as delivered, and only the rest goes to the
 * next key. No event is ever in two objects, whatever the crash.
 */
public final class PantherWriter implements OutputCounters {

    private static final Logger LOG = LoggerFactory.getLogger(PantherWriter.class);

    /**
     * Events buffered at most; beyond, the oldest minutes are written before they are complete. A
     * buffered event costs its line plus a few hundred bytes (see {@link Minute#add}).
     */
    public static final int MAX_PENDING_EVENTS = 25_000; // half the events a reader may have in flight

    private final String prefix;
    private final long maxObjectBytes;
    private final Duration flushDelay;
    private final ObjectStore store;
    private final DeadLetters deadLetters;
    private final Consumer<Batch> acknowledge;
    private final AuditSource source;
    private final Clock clock;

    private final TreeMap<Instant, Minute> pending = new TreeMap<>();
    /** The lowest index not known to be taken, per minute written in this run. */
    private final Map<Instant, Integer> nextIndex = new HashMap<>();
    private Instant lastAdded = Instant.MIN;
    private Instant newestAdded = Instant.MIN;
    private int pendingEvents;
    // volatile: written under the lock, read without it by the metrics, which must not wait for a slow write
    private volatile long objectsWritten;
    private long objectsFoundWritten;
    private volatile long eventsWritten;
    private volatile long eventsDeadLettered;

    /**
     * @param acknowledge called with the events of every object once it is stored (or found stored)
     * @param source how far the reader got ({@link AuditSource#readPosition},
     *     {@link AuditSource#readAllAvailable})
     */
    public PantherWriter(String prefix, long maxObjectBytes, Duration flushDelay, ObjectStore store,
            DeadLetters deadLetters, Consumer<Batch> acknowledge, AuditSource source, Clock clock) {
        this.prefix = prefix;
        this.maxObjectBytes = maxObjectBytes;
        this.flushDelay = flushDelay;
        this.store = store;
        this.deadLetters = deadLetters;
        this.acknowledge = acknowledge;
        this.source = source;
        this.clock = clock;
    }

    /** Buffers a batch's events under their minutes; they are acknowledged when written. */
    public synchronized void add(Batch batch) {
        Instant now = clock.instant();
        for (AuditEvent event : batch.events()) {
            PantherLine line;
            try {
                line = PantherLine.of(event, now);
            } catch (InvalidEventTimeException e) {
                // Fluentd answers 400 for such an event; here it goes to the dead letters the same way
                deadLetters.append(event, 400, e.getMessage(), prefix);
                LOG.warn("Event {} ({}) cannot be written in Panther's layout: {}; see {}", event.id(), event.type(),
                        e.getMessage(), deadLetters.file());
                eventsDeadLettered++;
                acknowledge.accept(new Batch(List.of(event)));
                continue;
            }
            pending.computeIfAbsent(line.minute(), Minute::new).add(line, event);
            pendingEvents++;
            lastAdded = now;
            if (line.time().isAfter(newestAdded)) {
                newestAdded = line.time();
            }
        }
    }

    /** Writes every complete minute (see the class comment); the rest stays buffered. */
    public synchronized void flushDue() {
        Instant now = clock.instant();
        Instant read = source.readPosition();
        Instant position = read.isBefore(newestAdded) ? read : newestAdded;
        // quiet: the reader has read all there is for now, every event it read is here (none still
        // queued on its way, as while the pipeline waits on this very writer), and none came since
        boolean quiet = source.readAllAvailable() && source.unsettled() <= pendingEvents
                && !now.isBefore(lastAdded.plus(flushDelay));
        for (Iterator<Minute> it = pending.values().iterator(); it.hasNext(); ) {
            Minute minute = it.next();
            Instant end = minute.start.plusSeconds(60);
            boolean readPast = !end.isAfter(position);
            boolean quietAndOver = quiet && !now.isBefore(end);
            if (readPast || quietAndOver || pendingEvents > MAX_PENDING_EVENTS) {
                write(minute);
                it.remove();
                pendingEvents -= minute.events.size();
            }
        }
    }

    /** Minutes buffered and not yet written. */
    public synchronized int pendingMinutes() {
        return pending.size();
    }

    public synchronized long objectsWritten() {
        return objectsWritten;
    }

    /** Events stored in objects, including those a replay found already stored. */
    @Override
    public long eventsDelivered() {
        return eventsWritten;
    }

    @Override
    public long eventsDeadLettered() {
        return eventsDeadLettered;
    }

    /** Objects written. */
    @Override
    public long requestsCompleted() {
        return objectsWritten;
    }

    /** Objects that a replay found already stored (a crash came between a write and its acknowledgement). */
    public synchronized long objectsFoundWritten() {
        return objectsFoundWritten;
    }

    private void write(Minute minute) {
        List<PantherLine> lines = minute.lines;
        List<AuditEvent> events = minute.events;
        // several objects when the minute passes the size cap, each with the events of its lines
        int first = 0;
        while (first < lines.size()) {
            MinuteObject object = new MinuteObject(minute.start, maxObjectBytes);
            int end = first;
            while (end < lines.size() && object.accepts(lines.get(end))) {
                object.add(lines.get(end++));
            }
            store(minute.start, lines.subList(first, end), events.subList(first, end));
            first = end;
        }
    }

    /** Stores these lines under the first free key of the minute, skipping any the store already holds. */
    private void store(Instant minute, List<PantherLine> lines, List<AuditEvent> events) {
        List<PantherLine> toWrite = new ArrayList<>(lines);
        List<AuditEvent> toAcknowledge = new ArrayList<>(events);
        int index = nextIndex.getOrDefault(minute, 0);
        while (!toWrite.isEmpty()) {
            PantherObjectKey key = new PantherObjectKey(prefix, minute, index);
            MinuteObject object = new MinuteObject(minute, Long.MAX_VALUE);
            toWrite.forEach(object::add);
            ObjectStore.PutOutcome outcome = store.putIfAbsent(key.key(), object.gzip());
            index++;
            if (outcome == ObjectStore.PutOutcome.CREATED) {
                LOG.debug("wrote {} ({} events)", key, toWrite.size());
                objectsWritten++;
                eventsWritten += toAcknowledge.size();
                nextIndex.put(minute, index);
                acknowledge.accept(new Batch(toAcknowledge));
                return;
            }
            Set<String> stored = new HashSet<>(MinuteObject.lines(store.get(key.key())
                    .orElseThrow(() -> new OutputUnavailableException(key + " is taken but cannot be read yet"))));
            List<AuditEvent> found = new ArrayList<>();
            for (int i = toWrite.size() - 1; i >= 0; i--) {
                if (stored.contains(toWrite.get(i).toString())) {
                    found.add(0, toAcknowledge.get(i));
                    toWrite.remove(i);
                    toAcknowledge.remove(i);
                }
            }
            if (!found.isEmpty()) {
                LOG.info("{} already holds {} of these events (written before a restart); not writing them again",
                        key, found.size());
                objectsFoundWritten++;
                eventsWritten += found.size();
                acknowledge.accept(new Batch(found));
            }
            nextIndex.put(minute, index);
        }
    }

    /** The buffered events of one UTC minute, in arrival order. */
    private static final class Minute {
        final Instant start;
        final List<PantherLine> lines = new ArrayList<>();
        final List<AuditEvent> events = new ArrayList<>();

        Minute(Instant start) {
            this.start = start;
        }

        /**
         * Keeps the line and what acknowledging needs (id and receipt), not the event's Struct, which
         * weighs several times its line.
         */
        void add(PantherLine line, AuditEvent event) {
            lines.add(line);
            events.add(new AuditEvent(event.id(), event.type(), event.time(), event.index(),
                    Struct.getDefaultInstance(), event.receipt()));
        }
    }
}
