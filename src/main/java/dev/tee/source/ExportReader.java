package dev.tee.source;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import dev.tee.event.AuditEvent;
import dev.tee.state.DeliveryLedger;
import dev.tee.state.InFlight;
import dev.tee.state.StateFile;
import dev.tee.teleport.proto.auditlog.ExportEventUnstructured;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the audit log with Teleport's bulk export API (event-handler.md §2.3): per UTC date, list the
 * date's chunks and stream each one from its saved cursor, several at once; keep polling the previous
 * dates for chunks that arrive late; move on to the next date once the current one lies in the past
 * and a listing found nothing new with every chunk done.
 *
 * <p>Every chunk has its own {@link DeliveryLedger}, so a chunk's saved cursor only ever passes
 * events the output acknowledged, whatever the other chunks do; a chunk counts as completed once its
 * stream ended and all its events are acknowledged. A stream that fails resumes from the last event
 * read, after a backoff, without end (Teleport's exporter does the same).
 *
 * <p>Locking: only {@link #poll()} holds a lock across calls to Teleport, and nothing else takes
 * it; acknowledgements (on the output's threads) touch concurrent maps only. A lock shared by both
 * would let a slow listing stall delivery, and through backpressure the very streams the listing
 * may be waiting for.
 */
public final class ExportReader implements AuditSource, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ExportReader.class);
    private static final Duration WARN_EVERY = Duration.ofSeconds(20);

    /** The two export calls; {@link dev.tee.teleport.TeleportClient} provides them. */
    public interface ExportApi {
        /** Every chunk name Teleport lists for {@code date}. */
        List<String> chunks(LocalDate date);

        /** The chunk's events after {@code cursor} ("" for all of them). */
        ChunkStream export(LocalDate date, String chunk, String cursor);
    }

    /** A chunk's events as they stream in; closing it cancels the stream on the server. */
    public interface ChunkStream extends Iterator<ExportEventUnstructured>, AutoCloseable {
        @Override
        void close();
    }

    private final ExportApi api;
    private final InFlight inFlight;
    private final StateFile<ExportCursor> stateFile;
    private final Consumer<AuditEvent> pipeline;
    private final int backlogDays;
    private final Duration pollInterval;
    private final Duration firstBackoff;
    private final Duration maxBackoff;
    private final Clock clock;
    private final ExecutorService streams;
    private final AtomicInteger threadNumber = new AtomicInteger();

    private final Object pollLock = new Object();
    private final NavigableMap<LocalDate, Day> days = new ConcurrentSkipListMap<>();
    private final AtomicBoolean dirty = new AtomicBoolean();
    private volatile LocalDate current;
    private volatile boolean closed;
    private Instant lastWarning = Instant.MIN;

    /**
     * @param chunksAtOnce streams open at the same time (the Go handler: max(concurrency / 4, 3))
     * @param backlogDays previous dates still polled for late chunks (the Go handler: 2)
     * @param pollInterval how often a date's chunks are listed again
     */
    public ExportReader(ExportApi api, StateFile<ExportCursor> stateFile, ExportCursor resumeAt,
            Consumer<AuditEvent> pipeline, InFlight inFlight, int chunksAtOnce, int backlogDays, Duration pollInterval,
            Duration firstBackoff, Duration maxBackoff, Clock clock) {
        this.api = api;
        this.inFlight = inFlight;
        this.stateFile = stateFile;
        this.pipeline = pipeline;
        this.backlogDays = backlogDays;
        this.pollInterval = pollInterval;
        this.firstBackoff = firstBackoff;
        this.maxBackoff = maxBackoff;
        this.clock = clock;
        this.streams = Executors.newFixedThreadPool(chunksAtOnce, runnable -> {
            Thread thread = new Thread(runnable, "export-chunk-" + threadNumber.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        this.current = resumeAt.current();
        resumeAt.days().forEach((date, saved) -> days.put(date, new Day(date, saved)));
        days.computeIfAbsent(current, date -> new Day(date, ExportCursor.Day.empty()));
    }

    /**
     * Lists the chunks of the dates due for it and starts the new ones; moves on to the next date
     * when the current one is done. The export route calls this on a timer.
     */
    public void poll() {
        synchronized (pollLock) {
            LocalDate today = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
            boolean moved;
            do {
                moved = false;
                Instant now = clock.instant();
                for (Day day : new ArrayList<>(days.values())) {
                    if (!now.isBefore(day.listAgainAt)) {
                        list(day, now);
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
    }

    private void list(Day day, Instant now) {
        List<String> listed = api.chunks(day.date);
        int started = 0;
        for (String chunk : listed) {
            if (!day.completed.contains(chunk) && !day.running.containsKey(chunk)) {
                ChunkRun run = new ChunkRun(day, chunk, day.cursors.get(chunk));
                day.running.put(chunk, run);
                streams.execute(run);
                started++;
            }
        }
        day.idle = started == 0 && day.running.isEmpty();
        day.listAgainAt = now.plus(pollInterval);
        if (started > 0) {
            LOG.debug("{}: {} new chunks ({} listed)", day.date, started, listed.size());
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

    @Override
    public boolean caughtUp() {
        LocalDate today = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
        return !current.isBefore(today) && days.values().stream().allMatch(day -> day.idle);
    }

    @Override
    public boolean readAllAvailable() {
        return days.values().stream()
                .allMatch(day -> day.running.values().stream().allMatch(run -> run.streamEnded));
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
            for (ChunkRun run : day.running.values()) {
                running = true;
                if (run.position.isBefore(lowest)) {
                    lowest = run.position;
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
    public boolean idle() {
        return days.values().stream().allMatch(day -> day.running.isEmpty());
    }

    /** The date being exported. */
    public LocalDate currentDate() {
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

    /** Stops every stream (cancelling it on the server) and the threads reading them. */
    @Override
    public void close() {
        closed = true;
        streams.shutdownNow();
        days.values().forEach(day -> day.running.values().forEach(ChunkRun::cancel));
    }

    private void committed(ChunkRun run, String cursor) {
        run.day.cursors.put(run.chunk, cursor);
        dirty.set(true);
    }

    /** A chunk is complete once its stream ended and every event it produced is acknowledged. */
    private void completeIfDone(ChunkRun run) {
        if (!run.streamEnded || !run.ledger.idle()) {
            return;
        }
        if (run.day.running.remove(run.chunk, run)) {
            run.day.completed.add(run.chunk);
            run.day.cursors.remove(run.chunk);
            if (run.day.running.isEmpty()) {
                run.day.listAgainAt = Instant.MIN; // look again now: the date may be done
            }
            dirty.set(true);
        }
    }

    private synchronized boolean warnNow() {
        Instant now = clock.instant();
        if (now.isBefore(lastWarning.plus(WARN_EVERY))) {
            return false;
        }
        lastWarning = now;
        return true;
    }

    /** One UTC date: what is persisted, plus the chunks being read. */
    private static final class Day {
        final LocalDate date;
        final Set<String> completed = ConcurrentHashMap.newKeySet();
        final Map<String, String> cursors = new ConcurrentHashMap<>();
        final Map<String, ChunkRun> running = new ConcurrentHashMap<>();
        volatile Instant listAgainAt = Instant.MIN;
        volatile boolean idle;

        Day(LocalDate date, ExportCursor.Day saved) {
            this.date = date;
            completed.addAll(saved.completed());
            cursors.putAll(saved.cursors());
        }
    }

    /** Streams one chunk into the pipeline, resuming after failures from the last event read. */
    private final class ChunkRun implements Runnable {
        final Day day;
        final String chunk;
        final DeliveryLedger<String> ledger;
        private String readCursor;
        private volatile boolean streamEnded;
        private volatile Instant position;
        private volatile ChunkStream stream;

        ChunkRun(Day day, String chunk, String savedCursor) {
            this.day = day;
            this.chunk = chunk;
            this.readCursor = savedCursor == null ? "" : savedCursor;
            this.position = day.date.atStartOfDay(ZoneOffset.UTC).toInstant();
            this.ledger = new DeliveryLedger<>(cursor -> {
                committed(this, cursor);
                completeIfDone(this);
            }, inFlight);
        }

        @Override
        public void run() {
            Duration backoff = firstBackoff;
            while (!Thread.currentThread().isInterrupted()) {
                try (ChunkStream opened = api.export(day.date, chunk, readCursor)) {
                    stream = opened;
                    while (opened.hasNext()) {
                        ExportEventUnstructured item = opened.next();
                        AuditEvent event = Events.toAuditEvent(item.getEvent(), ledger.track(item.getCursor()));
                        pipeline.accept(event);
                        readCursor = item.getCursor();
                        if (event.time().isAfter(position)) {
                            position = event.time();
                        }
                    }
                    streamEnded = true;
                    position = Instant.MAX; // nothing more will come from this chunk
                    completeIfDone(this);
                    return;
                } catch (RuntimeException e) { // Teleport failures, and the pipeline refusing while it stops
                    if (Thread.currentThread().isInterrupted() || streams.isShutdown()) {
                        return;
                    }
                    if (warnNow()) {
                        LOG.warn("Export of chunk {} of {} failed ({}); resuming from its last event in {} s",
                                chunk, day.date, e.getMessage(), backoff.toSeconds());
                    }
                    if (!sleep(jittered(backoff))) {
                        return;
                    }
                    backoff = backoff.multipliedBy(2).compareTo(maxBackoff) > 0 ? maxBackoff : backoff.multipliedBy(2);
                }
            }
        }

        void cancel() {
            ChunkStream open = stream;
            if (open != null) {
                open.close();
            }
        }

        /** Half jitter, as Teleport's exporter: between half and all of the backoff. */
        private Duration jittered(Duration backoff) {
            long half = backoff.toMillis() / 2;
            return Duration.ofMillis(half + ThreadLocalRandom.current().nextLong(half + 1));
        }

        private boolean sleep(Duration duration) {
            try {
                Thread.sleep(duration.toMillis());
                return true;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }
}
