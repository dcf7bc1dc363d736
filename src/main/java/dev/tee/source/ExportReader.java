package dev.tee.source;

import java.io.Closeable;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.tee.event.AuditEvent;
import dev.tee.observe.LogThrottle;
import dev.tee.state.DeliveryLedger;
import dev.tee.state.InFlight;
import dev.tee.state.StateFile;
import dev.tee.teleport.RetryDelay;
import dev.tee.teleport.TeleportException;
import dev.tee.teleport.proto.raw.RawExportEvent;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The routes' {@code exportReader} bean: reads the audit log with Teleport's bulk export API
 * (event-handler.md §2.3). Per UTC date, {@link #poll()} lists the date's chunks and hands the new ones
 * to the export-chunk route, which streams several at once, each from its saved cursor; the previous
 * dates keep being listed for chunks that arrive late; the reader moves on to the next date once the
 * current one lies in the past and a listing found nothing new with every chunk done.
 *
 * <p>Every chunk has its own {@link DeliveryLedger}, so a chunk's saved cursor only ever passes
 * events the output acknowledged, whatever the other chunks do; a chunk counts as completed once its
 * stream ended and all its events are acknowledged. A stream that fails is opened again from the last
 * event handed on, by the route's redelivery, after a pause (backoff without end, as Teleport's
 * exporter does) that {@link #close()} cuts short.
 *
 * <p>Locking: only {@link #poll()} holds a lock across calls to Teleport, and nothing else takes
 * it; acknowledgements (on the output's threads) touch concurrent maps only. A lock shared by both
 * would let a slow listing stall delivery, and through backpressure the very streams the listing
 * may be waiting for.
 */
public final class ExportReader implements AuditSource, AutoCloseable, Processor {

    private static final Logger LOG = LoggerFactory.getLogger(ExportReader.class);

    /** The two export calls; {@link dev.tee.teleport.TeleportClient} provides them. */
    public interface ExportApi {
        /** Every chunk name Teleport lists for {@code date}. */
        List<String> chunks(LocalDate date);

        /** The chunk's events after {@code cursor} ("" for all of them). */
        ChunkStream export(LocalDate date, String chunk, String cursor);
    }

    /** A chunk's events as they stream in; closing it cancels the stream on the server. */
    public interface ChunkStream extends Iterator<RawExportEvent>, AutoCloseable {
        @Override
        void close();
    }

    /**
     * One element of a chunk's stream, before {@link #read} hands it on: an event as Teleport streamed
     * it, or, after the last event a stream gave before it failed, the failure ({@code item} null).
     * Camel's split looks one element ahead (to mark the last one), so a failure thrown by the iterator
     * stopped the split before the event received just before the cut was handed on, and a stream
     * cut after one event made no progress at all; as an element of its own, the failure comes after it.
     */
    public record ChunkEvent(Chunk chunk, RawExportEvent item, RuntimeException failure) {
    }

    private final ExportApi api;
    private final InFlight inFlight;
    private final StateFile<ExportCursor> stateFile;
    private final int backlogDays;
    private final Duration pollInterval;
    private final Duration firstBackoff;
    private final Duration maxBackoff;
    private final Clock clock;

    private final Object pollLock = new Object();
    private final NavigableMap<LocalDate, Day> days = new ConcurrentSkipListMap<>();
    private final AtomicBoolean dirty = new AtomicBoolean();
    private final CountDownLatch closing = new CountDownLatch(1);
    private volatile LocalDate current;
    private volatile boolean closed;
    private final LogThrottle failureWarnings = new LogThrottle(Duration.ofSeconds(20));

    /**
     * @param backlogDays previous dates still polled for late chunks (the Go handler: 2)
     * @param pollInterval how often a date's chunks are listed again
     * @param firstBackoff the pause before a failed stream is opened again; it doubles up to maxBackoff
     */
    public ExportReader(ExportApi api, StateFile<ExportCursor> stateFile, ExportCursor resumeAt, InFlight inFlight,
            int backlogDays, Duration pollInterval, Duration firstBackoff, Duration maxBackoff, Clock clock) {
        this.api = api;
        this.inFlight = inFlight;
        this.stateFile = stateFile;
        this.backlogDays = backlogDays;
        this.pollInterval = pollInterval;
        this.firstBackoff = firstBackoff;
        this.maxBackoff = maxBackoff;
        this.clock = clock;
        this.current = resumeAt.current();
        resumeAt.days().forEach((date, saved) -> days.put(date, new Day(date, saved)));
        days.computeIfAbsent(current, date -> new Day(date, ExportCursor.Day.empty()));
    }

    /**
     * Lists the chunks of the dates due for it and returns the new ones, for the export-chunk route to
     * stream; moves on to the next date when the current one is done. The export route calls this on a
     * timer.
     */
    public List<Chunk> poll() {
        List<Chunk> started = new ArrayList<>();
        synchronized (pollLock) {
            LocalDate today = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
            boolean moved;
            do {
                moved = false;
                Instant now = clock.instant();
                for (Day day : new ArrayList<>(days.values())) {
                    if (!now.isBefore(day.listAgainAt)) {
                        list(day, now, started);
                    }
                }
                if (current.isBefore(today) && days.get(current).idle) {
                    current = current.plusDays(1);
                    days.computeIfAbsent(current, date -> new Day(date, ExportCursor.Day.empty()));
                    LOG.info("Exporting events of {}", current);
                    pruneBacklog();
                    dirty.set(true);
                    moved = true;
                }
            } while (moved && !closed);
        }
        return closed ? List.of() : started;
    }

    private void list(Day day, Instant now, List<Chunk> started) {
        List<String> listed = api.chunks(day.date);
        int before = started.size();
        for (String name : listed) {
            if (!day.completed.contains(name) && !day.running.containsKey(name)) {
                Chunk chunk = new Chunk(day, name, day.cursors.get(name));
                day.running.put(name, chunk);
                started.add(chunk);
            }
        }
        int added = started.size() - before;
        day.idle = added == 0 && day.running.isEmpty();
        day.listAgainAt = now.plus(pollInterval);
        if (added > 0) {
            LOG.debug("{}: {} new chunks ({} listed)", day.date, added, listed.size());
        }
    }

    /** Forgets dates beyond the backlog once nothing runs for them. */
    private void pruneBacklog() {
        while (days.size() > backlogDays + 1) {
            Day oldest = days.firstEntry().getValue();
            if (!oldest.running.isEmpty()) {
                return;
            }
            days.remove(oldest.date);
        }
    }

    /**
     * The chunk's events from where its stream was left (its saved cursor at first), for the route's
     * streaming split, which closes the stream when it is done with it. A failure is thrown for the
     * route to retry, except once the reader is closed, when the cancelled stream just ends.
     */
    public Iterator<ChunkEvent> open(Chunk chunk) {
        if (!pauseAfterFailure(chunk)) {
            return Collections.emptyIterator();
        }
        try {
            chunk.stream = api.export(chunk.day.date, chunk.name, chunk.readCursor);
        } catch (RuntimeException e) {
            throw failed(chunk, e);
        }
        if (closed) { // close() may have missed it
            chunk.stream.close();
        }
        return new ChunkEvents(chunk, chunk.stream);
    }

    /**
     * The per-event step of export-chunk-events ({@code process: ref: exportReader}): the chunk event in
     * the body becomes its {@link AuditEvent} ({@link #read}). Camel calls a Processor directly; a bean
     * method per event is looked up, bound and called by reflection every time.
     */
    @Override
    public void process(Exchange exchange) {
        exchange.getMessage().setBody(read(exchange.getMessage().getBody(ChunkEvent.class)));
    }

    /**
     * The event as the pipeline takes it, tracked in its chunk's ledger; the chunk's stream resumes
     * after it. (The route hands it on right away, retrying in place if that fails.)
     *
     * @throws RuntimeException the stream's failure, when this element is the one that stands for it
     *     ({@link ChunkEvent}): every event before it was handed on, and the route opens the chunk again
     */
    public AuditEvent read(ChunkEvent read) {
        Chunk chunk = read.chunk();
        if (read.failure() != null) {
            throw failed(chunk, read.failure());
        }
        RawExportEvent item = read.item();
        AuditEvent event = Events.toAuditEvent(item.getEvent(),
                chunk.ledger.track(item.getCursor(), item.getEvent().getUnstructured().size()));
        chunk.readCursor = item.getCursor();
        chunk.backoff.reset(); // the stream gave an event: a later cut is a new fault, not a longer outage
        if (event.time().isAfter(chunk.position)) {
            chunk.position = event.time();
        }
        return event;
    }

    /** The chunk's stream ended and every event of it was handed on; it completes once they are acknowledged. */
    public void ended(Chunk chunk) {
        if (closed) {
            return; // cut short by close(): not the end of the chunk
        }
        chunk.streamEnded = true;
        chunk.position = Instant.MAX; // nothing more will come from this chunk
        completeIfDone(chunk);
    }

    /** Waits the pause a failure left, if any; false once the reader is closed. */
    private boolean pauseAfterFailure(Chunk chunk) {
        Duration pause = chunk.pause;
        chunk.pause = null;
        try {
            return !closed && (pause == null || !closing.await(pause.toMillis(), TimeUnit.MILLISECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private RuntimeException failed(Chunk chunk, RuntimeException e) {
        chunk.pause = chunk.backoff.next();
        // a refusal was said once at ERROR by the Teleport client; an outage is said here at most every 20 s
        boolean refusal = e instanceof TeleportException teleport && teleport.isRefusal();
        if (!refusal && failureWarnings.pass()) {
            LOG.warn("Export of chunk {} of {} failed ({}); resuming from its last event in {} s", chunk.name,
                    chunk.day.date, e.getMessage(), Math.max(1, chunk.pause.toSeconds()));
        }
        return e;
    }

    @Override
    public boolean caughtUp() {
        LocalDate today = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
        return !current.isBefore(today) && days.values().stream().allMatch(day -> day.idle);
    }

    @Override
    public boolean readAllAvailable() {
        return days.values().stream()
                .allMatch(day -> day.running.values().stream().allMatch(chunk -> chunk.streamEnded));
    }

    /**
     * The least advanced chunk stream's position: the time of the last event it read (streams of a
     * chunk are mostly in time order), or, for one that ended, no limit. With no stream running: now
     * once caught up, else the start of the date being exported.
     */
    @Override
    public Instant readPosition() {
        Instant lowest = Instant.MAX;
        boolean running = false;
        for (Day day : days.values()) {
            for (Chunk chunk : day.running.values()) {
                running = true;
                if (chunk.position.isBefore(lowest)) {
                    lowest = chunk.position;
                }
            }
        }
        if (running) {
            return lowest;
        }
        return caughtUp() ? clock.instant() : current.atStartOfDay(ZoneOffset.UTC).toInstant();
    }

    @Override
    public long unsettled() {
        return inFlight.count(); // shared by this reader's ledgers only
    }

    @Override
    public long unsettledBytes() {
        return inFlight.bytes();
    }

    @Override
    public boolean idle() {
        return days.values().stream().allMatch(day -> day.running.isEmpty());
    }

    /** The date being exported. */
    LocalDate currentDate() {
        return current;
    }

    /** Writes the cursor state if it changed; the save-state route calls this every second. */
    public synchronized void flush() {
        if (!dirty.getAndSet(false)) {
            return;
        }
        // a chunk is added to `completed` before its cursor goes, so a snapshot taken while that
        // happens may show both (harmless), never neither
        Map<LocalDate, ExportCursor.Day> saved = new TreeMap<>();
        days.forEach((date, day) -> saved.put(date, new ExportCursor.Day(day.completed, day.cursors)));
        stateFile.update(new ExportCursor(current, saved));
        stateFile.flush();
    }

    /** Stops reading: every open stream is cancelled (on the server too) and ends, and none is opened again. */
    @Override
    public void close() {
        closed = true;
        closing.countDown();
        days.values().forEach(day -> day.running.values().forEach(Chunk::closeStream));
    }

    private void committed(Chunk chunk, String cursor) {
        chunk.day.cursors.put(chunk.name, cursor);
        dirty.set(true);
    }

    /** A chunk is complete once its stream ended and every event it produced is acknowledged. */
    private void completeIfDone(Chunk chunk) {
        if (!chunk.streamEnded || !chunk.ledger.idle()) {
            return;
        }
        if (chunk.day.running.remove(chunk.name, chunk)) {
            chunk.day.completed.add(chunk.name);
            chunk.day.cursors.remove(chunk.name);
            if (chunk.day.running.isEmpty()) {
                chunk.day.listAgainAt = Instant.MIN; // look again now: the date may be done
            }
            dirty.set(true);
        }
    }

    /** One UTC date: what is persisted, plus the chunks being read. */
    private static final class Day {
        final LocalDate date;
        final Set<String> completed = ConcurrentHashMap.newKeySet();
        final Map<String, String> cursors = new ConcurrentHashMap<>();
        final Map<String, Chunk> running = new ConcurrentHashMap<>();
        volatile Instant listAgainAt = Instant.MIN;
        volatile boolean idle;

        Day(LocalDate date, ExportCursor.Day saved) {
            this.date = date;
            completed.addAll(saved.completed());
            cursors.putAll(saved.cursors());
        }
    }

    /**
     * A chunk's stream as the split iterates it: its events, then, if it failed, the failure as one
     * more element ({@link ChunkEvent}). Once it ended, failed or was closed it has nothing more: the
     * split looks again when it is done, to release what it read ahead.
     */
    private final class ChunkEvents implements Iterator<ChunkEvent>, Closeable {
        private final Chunk chunk;
        private final ChunkStream stream;
        private boolean over;
        private RuntimeException failure;

        ChunkEvents(Chunk chunk, ChunkStream stream) {
            this.chunk = chunk;
            this.stream = stream;
        }

        @Override
        public boolean hasNext() {
            if (failure != null) {
                return true;
            }
            if (over) {
                return false;
            }
            try {
                if (stream.hasNext()) {
                    return true;
                }
            } catch (RuntimeException e) {
                close();
                if (closed) {
                    return false; // cancelled by the reader's close(): the next start resumes from the saved cursor
                }
                failure = e;
                return true;
            }
            close();
            return false;
        }

        @Override
        public ChunkEvent next() {
            if (!hasNext()) {
                throw new NoSuchElementException(chunk + " has no more events");
            }
            if (failure != null) {
                RuntimeException failed = failure;
                failure = null;
                return new ChunkEvent(chunk, null, failed);
            }
            return new ChunkEvent(chunk, stream.next(), null);
        }

        @Override
        public void close() {
            over = true;
            stream.close();
        }
    }

    /** A chunk being exported: where its stream resumes, and its ledger. One route thread reads it at a time. */
    public final class Chunk {
        private final Day day;
        private final String name;
        private final DeliveryLedger<String> ledger;
        private final RetryDelay backoff = RetryDelay.exponential(firstBackoff, maxBackoff);
        private String readCursor;
        private volatile Duration pause;
        private volatile boolean streamEnded;
        private volatile Instant position;
        private volatile ChunkStream stream;

        private Chunk(Day day, String name, String savedCursor) {
            this.day = day;
            this.name = name;
            this.readCursor = savedCursor == null ? "" : savedCursor;
            this.position = day.date.atStartOfDay(ZoneOffset.UTC).toInstant();
            this.ledger = new DeliveryLedger<>(cursor -> {
                committed(this, cursor);
                completeIfDone(this);
            }, inFlight);
        }

        private void closeStream() {
            ChunkStream open = stream;
            if (open != null) {
                open.close();
            }
        }

        @Override
        public String toString() {
            return "chunk " + name + " of " + day.date;
        }
    }
}
