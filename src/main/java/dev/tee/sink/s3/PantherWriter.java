package dev.tee.sink.s3;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

import dev.tee.event.AuditEvent;
import dev.tee.event.Batch;
import dev.tee.sink.OutputCounters;
import dev.tee.sink.OutputUnavailableException;
import dev.tee.sink.Refused;
import dev.tee.source.AuditSource;
import dev.tee.state.InFlight;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code panther} bean of the object routes (routes/deliver-objects.yaml): buffers audit events per
 * UTC minute of event time and decides when a minute is complete, so that the routes write it as the
 * object Fluentd's S3 output writes for Panther, {@code <prefix><yyyyMMddHHmm00>_<n>.gz}; each event is
 * acknowledged only after its object is stored.
 *
 * <p>A minute is complete when the source has read past it ({@code readPosition}: every event before
 * that time has been read) and an event of a later minute has reached this writer (the events read
 * are still on their way through the pipeline until then), or, for live data, when it is over, the
 * source has read all there is for now, every event it read has reached this writer and none came
 * during {@code flushDelay}. So a backfill of months writes one object per minute with events, not
 * one per batch, however slowly pages arrive. To bound memory, minutes are written early when more
 * than {@link #MAX_PENDING_EVENTS} events wait, or events of more than half the readers' byte budget
 * ({@link InFlight#DEFAULT_BYTE_LIMIT}): first the oldest of those no recent batch added to,
 * the likeliest to be complete (the bulk export reads several chunks of a date at once: where each
 * moves forward in time, the minutes behind it are done and only the one it is in is being filled);
 * only if that is not enough, the oldest of the rest.
 *
 * <p>Exactly once: the routes write every object create-if-absent, and this writer hands each object
 * of a minute its own index, {@code _0}, {@code _1}, ... When a key is taken, {@link #readBack} reads
 * the object there; our lines it already holds (a replay after a crash between the write and the
 * acknowledgement) count as delivered, and only the rest goes to the next key. Two rules make that
 * enough, whatever the crash and whatever order batches arrive in:
 * <ul>
 * <li>A minute has one object on its way at a time: the next is handed out once the previous is
 *     stored. So the taken keys of a minute are always {@code _0} to {@code _n} with no gap, and the
 *     first free key an object finds has no taken key after it. (Written in parallel, a minute's
 *     {@code _1} could be stored while a kill stopped its {@code _0}; the replay then found {@code _0}
 *     free and wrote {@code _1}'s events again. A CI run of the kill loop saw it.)
 * <li>The keys of a minute found taken by an earlier run's objects are remembered, and every later
 *     object of that minute in this run first drops the lines they hold ({@link #alreadyStored}): its
 *     events may have been in any of them, not only in the keys it meets itself.
 * </ul>
 * No event is ever in two objects.
 */
public final class PantherWriter implements OutputCounters {

    private static final Logger LOG = LoggerFactory.getLogger(PantherWriter.class);

    /**
     * Events buffered at most; beyond, the oldest minutes are written before they are complete. A
     * buffered event costs its line plus a few hundred bytes (see {@link Minute#add}). It must stay
     * below the readers' limit ({@link InFlight#DEFAULT_LIMIT}): the events held here are not settled,
     * and at or above it a chunk stream holding its minutes open waits for permits this writer never
     * frees (a limit of 20,000 stalled the bulk export for good, tried in bench/export.sh).
     */
    public static final int MAX_PENDING_EVENTS = InFlight.DEFAULT_LIMIT / 2;
    /**
     * The same for the events' bytes (their wire size, as the readers count them): above half of the
     * readers' byte budget, minutes are written early, for the same reason.
     */
    public static final long MAX_PENDING_BYTES = InFlight.DEFAULT_BYTE_LIMIT / 2;
    /**
     * A minute a batch added to within this many batches is still being filled, as far as the cap is
     * concerned: with three chunk streams and several batches in flight, each stream's current minute
     * gets events every few batches.
     */
    static final int RECENT_BATCHES = 16;
    /**
     * Minutes whose keys this writer remembers ({@link MinuteKeys}); beyond, the least recently used
     * one is forgotten. Forgetting costs reads, not correctness: a later object of a forgotten minute
     * starts again at {@code _0} and reads back every taken key on its way.
     */
    static final int MINUTES_REMEMBERED = 4096;

    private final String prefix;
    private final long maxObjectBytes;
    private final Duration flushDelay;
    private final ObjectStore store;
    private final PantherLines encoder;
    private final AuditSource source;
    private final Clock clock;
    private final long maxPendingBytes;

    private final TreeMap<Instant, Minute> pending = new TreeMap<>();
    /** The keys of the minutes this run has written to, least recently used first. */
    private final Map<Instant, MinuteKeys> keys = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Instant, MinuteKeys> eldest) {
            return size() > MINUTES_REMEMBERED && eldest.getValue().writing == null;
        }
    };
    private Instant lastAdded = Instant.MIN;
    private Instant newestAdded = Instant.MIN;
    private int pendingEvents;
    /** The wire size of the events buffered, as their readers charged them to the in-flight budget. */
    private long pendingBytes;
    /** Batches added so far: a minute remembers the last one that added to it. */
    private long batchesAdded;
    // volatile: written under the lock, read without it by the metrics, which must not wait for a slow write
    private volatile long objectsWritten;
    private long objectsFoundWritten;
    private volatile long eventsWritten;
    private volatile long eventsDeadLettered;

    /**
     * @param store where {@link #readBack} reads a taken key's object (the routes write the objects)
     * @param source how far the reader got ({@link AuditSource#readPosition},
     *     {@link AuditSource#readAllAvailable})
     */
    public PantherWriter(String prefix, long maxObjectBytes, Duration flushDelay, ObjectStore store,
            AuditSource source, Clock clock) {
        this(prefix, maxObjectBytes, flushDelay, store, source, clock, MAX_PENDING_BYTES);
    }

    /** With a cap on the bytes buffered other than {@link #MAX_PENDING_BYTES} (tests). */
    PantherWriter(String prefix, long maxObjectBytes, Duration flushDelay, ObjectStore store, AuditSource source,
            Clock clock, long maxPendingBytes) {
        this.maxPendingBytes = maxPendingBytes;
        this.prefix = prefix;
        this.maxObjectBytes = maxObjectBytes;
        this.flushDelay = flushDelay;
        this.store = store;
        this.encoder = new PantherLines(prefix, clock);
        this.source = source;
        this.clock = clock;
    }

    /** The {@code pantherLines} bean: the step before {@link #add}, with this writer's prefix and clock. */
    public PantherLines lines() {
        return encoder;
    }

    /**
     * Buffers a batch's lines under their minutes; their events are acknowledged when written.
     *
     * @return the events Panther's layout cannot hold (their time is not one Fluentd reads), with their
     *     dead letters: to write, then to acknowledge at once
     */
    public synchronized Refused add(PantherLines.Encoded batch) {
        List<PantherLine> lines = batch.lines();
        batchesAdded++;
        for (int i = 0; i < lines.size(); i++) {
            PantherLine line = lines.get(i);
            AuditEvent event = batch.events().get(i);
            pendingBytes += pending.computeIfAbsent(line.minute(), Minute::new).add(line, event, batchesAdded);
            pendingEvents++;
            lastAdded = batch.at();
            if (line.time().isAfter(newestAdded)) {
                newestAdded = line.time();
            }
        }
        eventsDeadLettered += batch.refused().size();
        return batch.refused();
    }

    /**
     * Takes every complete minute (see the class comment) out of the buffer, as the objects to write:
     * one per minute, or several when a minute passes the size cap, each with its own index. The rest
     * stays buffered.
     */
    public synchronized List<PendingObject> takeDue() {
        Instant now = clock.instant();
        Instant read = source.readPosition();
        Instant position = read.isBefore(newestAdded) ? read : newestAdded;
        // quiet: the reader has read all there is for now, every event it read is here (none still
        // queued on its way, as while the pipeline waits on this very writer), and none came since
        boolean quiet = source.readAllAvailable() && source.unsettled() <= pendingEvents
                && !now.isBefore(lastAdded.plus(flushDelay));
        List<PendingObject> due = new ArrayList<>();
        for (Iterator<Minute> it = pending.values().iterator(); it.hasNext(); ) {
            Minute minute = it.next();
            Instant end = minute.start.plusSeconds(60);
            boolean readPast = !end.isAfter(position);
            boolean quietAndOver = quiet && !now.isBefore(end);
            if (readPast || quietAndOver) {
                take(it, minute, due);
            }
        }
        // over a cap: the oldest minutes no recent batch added to, then, if need be, the oldest of all
        long recent = batchesAdded - RECENT_BATCHES;
        for (boolean coldOnly : new boolean[] {true, false}) {
            for (Iterator<Minute> it = pending.values().iterator(); it.hasNext() && overCap(); ) {
                Minute minute = it.next();
                if (!coldOnly || minute.lastBatch <= recent) {
                    take(it, minute, due);
                }
            }
        }
        return due;
    }

    private boolean overCap() {
        return pendingEvents > MAX_PENDING_EVENTS || pendingBytes > maxPendingBytes;
    }

    /**
     * Hands out the minute's next object: all its lines, or as many as fit under the size cap (the rest
     * stays, for a later call). Nothing while the minute's previous object is on its way.
     */
    private void take(Iterator<Minute> it, Minute minute, List<PendingObject> due) {
        MinuteKeys minuteKeys = keys.computeIfAbsent(minute.start, start -> new MinuteKeys());
        if (minuteKeys.writing != null) {
            return;
        }
        MinuteObject object = new MinuteObject(minute.start, maxObjectBytes);
        int end = 0;
        while (end < minute.lines.size() && object.accepts(minute.lines.get(end))) {
            object.add(minute.lines.get(end++));
        }
        PendingObject next = new PendingObject(prefix, minute.start, minuteKeys.next++, minute.lines.subList(0, end),
                minute.events.subList(0, end));
        minuteKeys.writing = next;
        due.add(next);
        pendingEvents -= end;
        pendingBytes -= minute.takeSizes(end);
        if (end == minute.lines.size()) {
            it.remove();
        } else {
            minute.lines.subList(0, end).clear();
            minute.events.subList(0, end).clear();
        }
    }

    /** The object no longer holds its minute: stored, or found stored. */
    private void release(PendingObject object) {
        MinuteKeys minuteKeys = keys.get(object.minute());
        if (minuteKeys != null && minuteKeys.writing == object) {
            minuteKeys.writing = null;
        }
    }

    /**
     * Before an object's first write: the lines of it that an earlier run's objects of its minute hold
     * (at keys this run's previous objects of the minute found taken) count as delivered.
     *
     * @return their events, to acknowledge; the object is stored when that was all of them
     * @throws OutputUnavailableException one of those objects cannot be read now
     */
    public Batch alreadyStored(PendingObject object) {
        List<Integer> earlier;
        synchronized (this) {
            MinuteKeys minuteKeys = keys.get(object.minute());
            earlier = minuteKeys == null ? List.of() : List.copyOf(minuteKeys.earlier);
        }
        // every object read before the object changes: a read that fails (and is retried) leaves it whole
        Set<String> stored = new HashSet<>();
        for (int index : earlier) {
            // gone since (a lifecycle rule, an operator): what it held is no longer stored
            Optional<byte[]> body = store.get(object.keyAt(index));
            body.ifPresent(bytes -> stored.addAll(MinuteObject.lines(bytes)));
        }
        List<AuditEvent> found = stored.isEmpty() ? List.of() : object.removeStored(stored).events();
        if (!found.isEmpty()) {
            synchronized (this) {
                eventsWritten += found.size();
                if (object.isStored()) {
                    release(object);
                }
            }
            LOG.info("{} events of {} were written before a restart, under an earlier key of the minute; not "
                    + "writing them again", found.size(), object);
        }
        return new Batch(found);
    }

    /** The object is stored under its key: its events, to acknowledge. */
    public Batch written(PendingObject object) {
        Batch events = object.markStored();
        synchronized (this) {
            objectsWritten++;
            eventsWritten += events.size();
            release(object);
        }
        LOG.debug("wrote {} ({} events)", object, events.size());
        return events;
    }

    /**
     * The object's key was taken (create-if-absent refused it): reads the object stored there, and
     * returns the events of ours it already holds (written before a restart), to acknowledge; the rest
     * of the object moves on to the minute's next free index.
     *
     * @throws OutputUnavailableException the key is taken but its object cannot be read yet
     */
    public Batch readBack(PendingObject object) {
        String key = object.getKey();
        Set<String> stored = new HashSet<>(MinuteObject.lines(store.get(key)
                .orElseThrow(() -> new OutputUnavailableException(key + " is taken but cannot be read yet"))));
        Batch found;
        synchronized (this) {
            found = object.removeStored(stored);
            // the minute is this object's until it is stored (take), so its keys are remembered
            MinuteKeys minuteKeys = keys.get(object.minute());
            minuteKeys.earlier.add(object.index());
            if (object.isStored()) {
                release(object);
            } else {
                object.moveTo(minuteKeys.next++);
            }
            if (found.size() > 0) {
                objectsFoundWritten++;
                eventsWritten += found.size();
            }
        }
        if (found.size() > 0) {
            LOG.info("{} already holds {} of these events (written before a restart); not writing them again",
                    key, found.size());
        }
        LOG.debug("{} is taken; {} events left to write", key, object.lineCount());
        return found;
    }

    /** Minutes buffered and not yet written. */
    synchronized int pendingMinutes() {
        return pending.size();
    }

    synchronized long objectsWritten() {
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
    synchronized long objectsFoundWritten() {
        return objectsFoundWritten;
    }

    /** What this run knows of a minute's keys. */
    private static final class MinuteKeys {
        /** The lowest index not yet handed to an object. */
        int next;
        /** The minute's object on its way to the output, if any: the next one waits for it. */
        PendingObject writing;
        /** Indices found taken by objects this run did not write: an earlier run's, perhaps with our lines. */
        final List<Integer> earlier = new ArrayList<>(0);
    }

    /** The buffered events of one UTC minute, in arrival order. */
    private static final class Minute {
        final Instant start;
        final List<PantherLine> lines = new ArrayList<>();
        final List<AuditEvent> events = new ArrayList<>();
        /** The wire size of each event, in the order of {@link #events}. */
        private int[] sizes = new int[4];
        /** The last batch that added to this minute ({@link PantherWriter#batchesAdded}). */
        long lastBatch;

        Minute(Instant start) {
            this.start = start;
        }

        /**
         * Keeps the line and what acknowledging needs (id and receipt), not the event's Struct, which
         * weighs several times its line.
         *
         * @return the event's wire size, which this minute now holds
         */
        int add(PantherLine line, AuditEvent event, long batch) {
            lastBatch = batch;
            if (events.size() == sizes.length) {
                sizes = Arrays.copyOf(sizes, sizes.length * 2);
            }
            int size = event.struct().length;
            sizes[events.size()] = size;
            lines.add(line);
            events.add(new AuditEvent(event.id(), event.type(), event.time(), event.index(),
                    new byte[0], event.receipt()));
            return size;
        }

        /** Forgets the sizes of the first {@code count} events (called before they leave the lists). */
        long takeSizes(int count) {
            long taken = 0;
            for (int i = 0; i < count; i++) {
                taken += sizes[i];
            }
            System.arraycopy(sizes, count, sizes, 0, events.size() - count);
            return taken;
        }
    }
}
