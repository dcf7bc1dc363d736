package dev.tee.session;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntSupplier;
import java.util.regex.Pattern;

import dev.tee.config.GoDuration;
import dev.tee.event.AuditEvent;
import dev.tee.event.Batch;
import dev.tee.teleport.TeleportClient;
import dev.tee.teleport.TeleportException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The routes' `sessions` bean: exports the recording of every session a {@code session.upload} audit
 * event announces (event-handler.md §2.6), at most `concurrency` at once, each resumable from its
 * saved index after a restart.
 *
 * <p>Registration writes the session's state before it returns, and the routes call it before the
 * audit event is acknowledged, so no crash can lose a recording. When 16 × `concurrency` registered
 * sessions are waiting for a worker, registration blocks, which holds back the audit stream
 * (backpressure, as in the Go handler since #47369) rather than piling up work.
 *
 * <p>A recording Teleport does not find (it may still be uploading, or the session was not recorded,
 * #26321) is parked and asked for again every few minutes, then given up after 3 retries or 48 hours
 * from its upload, as the Go handler does. Any other failure is tried 3 times and then set aside,
 * logged and kept in storage; it never stops or stalls the audit stream (the Go handler's #60317).
 * Outages of the output or of Teleport are waited out without limit.
 */
public final class SessionExporter {

    /** The audit event that announces an uploaded recording (#11599: not session.end). */
    public static final String UPLOAD_EVENT = "session.upload";

    private static final Logger LOG = LoggerFactory.getLogger(SessionExporter.class);
    /** Teleport session ids are UUIDs; this admits them and nothing that could escape a file name or URL segment. */
    private static final Pattern SESSION_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    private static final long WARN_EVERY_NANOS = Duration.ofMinutes(1).toNanos();
    private static final Duration STOP_GRACE = Duration.ofSeconds(5);

    private final SessionSettings settings;
    private final SessionStore store;
    private final TeleportClient teleport;
    private final SessionOutput output;
    private final Clock clock;
    private final boolean dryRun;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final CountDownLatch stopping = new CountDownLatch(1);
    /** Registered sessions not finished: waiting, active, retrying, missing or failed. */
    private final Map<String, Session> sessions = new HashMap<>();
    private int backlog;
    private int active;
    private int retrying;
    private int missing;
    private int failed;
    private int blockedRegistrations;
    private boolean running;
    private boolean warnedBackpressure;
    private long lastBackpressureWarning;
    private boolean announcedDryRun;
    private ThreadPoolExecutor workers;
    private ScheduledExecutorService timer;

    private final AtomicLong finished = new AtomicLong();
    private final AtomicLong givenUp = new AtomicLong();
    private final AtomicLong eventsSent = new AtomicLong();

    /**
     * @param store the session state in the state directory
     * @param teleport where recordings are streamed from
     * @param output where their events go
     */
    public SessionExporter(SessionSettings settings, SessionStore store, TeleportClient teleport, SessionOutput output,
            Clock clock) {
        this(settings, store, teleport, output, clock, false);
    }

    private SessionExporter(SessionSettings settings, SessionStore store, TeleportClient teleport,
            SessionOutput output, Clock clock, boolean dryRun) {
        this.settings = settings;
        this.store = store;
        this.teleport = teleport;
        this.output = output;
        this.clock = clock;
        this.dryRun = dryRun;
    }

    /** The `dry-run` stand-in: it notes that recordings are not exported and exports none. */
    public static SessionExporter dryRun() {
        return new SessionExporter(SessionSettings.of(1, List.of()), null, null, null, Clock.systemUTC(), true);
    }

    // ---- lifecycle --------------------------------------------------------------------------

    /** Resumes the sessions saved in storage and starts taking registrations. */
    public void start() {
        lock.lock();
        try {
            if (running || dryRun) {
                running = true;
                return;
            }
            store.open();
            List<SessionState> saved;
            try {
                saved = store.load();
            } catch (RuntimeException e) {
                store.close();
                throw e;
            }
            workers = new ThreadPoolExecutor(settings.concurrency(), settings.concurrency(), 0, TimeUnit.MILLISECONDS,
                    new LinkedBlockingQueue<>(), threads("session-export"));
            timer = Executors.newSingleThreadScheduledExecutor(threads("session-retry"));
            running = true;
            resume(saved);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stops: registrations no longer wait (they are saved for the next start), workers finish the
     * batch in hand and save their index, and streams still open after a grace period are cancelled.
     */
    public void stop() {
        lock.lock();
        try {
            if (!running) {
                return;
            }
            running = false;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        stopping.countDown();
        if (dryRun) {
            return;
        }
        timer.shutdownNow();
        workers.shutdown();
        try {
            if (!workers.awaitTermination(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                workers.shutdownNow(); // interrupts: a stream being read is cancelled, its index was saved
                workers.awaitTermination(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            workers.shutdownNow();
            Thread.currentThread().interrupt();
        }
        if (workers.isTerminated()) {
            store.close();
        } else {
            LOG.warn("A session export did not stop within {}; its index saved last is where it resumes",
                    seconds(STOP_GRACE.multipliedBy(2)));
        }
    }

    // ---- the route step ---------------------------------------------------------------------

    /**
     * Registers the session of each session.upload event in {@code batch} (once per session id,
     * however often the event is read), saving it before returning. Blocks while the backlog is full,
     * until there is room or the exporter stops (a session registered then is exported after the
     * restart).
     */
    public void registerUploads(Batch batch) throws InterruptedException {
        for (AuditEvent event : batch.events()) {
            if (!UPLOAD_EVENT.equals(event.type())) {
                continue;
            }
            String sessionId = event.stringField("sid");
            if (sessionId == null || !SESSION_ID.matcher(sessionId).matches()) {
                LOG.warn("Event {} ({}) has no usable session id ({}); no recording can be exported for it",
                        event.id(), event.type(), sessionId == null ? "no sid" : "sid \"" + sessionId + "\"");
                continue;
            }
            if (dryRun) {
                announceDryRun(sessionId);
            } else {
                register(sessionId, event.time());
            }
        }
    }

    private void register(String sessionId, Instant uploadTime) throws InterruptedException {
        lock.lock();
        try {
            if (sessions.containsKey(sessionId) || store.isFinished(sessionId)) {
                return; // a replayed session.upload: registered before
            }
            while (running && backlog >= settings.backlogLimit()) {
                warnBackpressure();
                blockedRegistrations++;
                try {
                    changed.await();
                } finally {
                    blockedRegistrations--;
                }
            }
            SessionState state = SessionState.registered(sessionId, uploadTime);
            store.save(state);
            Session session = newSession(state);
            sessions.put(sessionId, session);
            if (running) {
                LOG.debug("Registered session {} (uploaded {})", sessionId, uploadTime);
                submit(session);
            } else {
                // the routes drain while the exporter stops: saved, so the next start exports it
                LOG.debug("Registered session {} (uploaded {}) while stopping; it is exported after the restart",
                        sessionId, uploadTime);
            }
        } finally {
            lock.unlock();
        }
    }

    private void warnBackpressure() {
        long now = System.nanoTime();
        if (!warnedBackpressure || now - lastBackpressureWarning >= WARN_EVERY_NANOS) {
            LOG.warn("Backpressure in session processing: {} sessions wait for {} workers, so the audit export waits"
                    + " too; consider increasing concurrency if this persists", backlog, settings.concurrency());
            warnedBackpressure = true;
            lastBackpressureWarning = now;
        }
    }

    private void announceDryRun(String sessionId) {
        lock.lock();
        try {
            if (!announcedDryRun) {
                announcedDryRun = true;
                LOG.info("Dry run: session recordings are not exported (first one seen: session {})", sessionId);
            }
        } finally {
            lock.unlock();
        }
    }

    // ---- for exit-on-last-event ----------------------------------------------------------------

    /**
     * True when no registered session is waiting, being exported or about to be retried after an
     * error. Sessions whose recording was not found are not waited for: they stay in storage and the
     * next run asks for them again.
     */
    public boolean idle() {
        lock.lock();
        try {
            return backlog + active + retrying == 0;
        } finally {
            lock.unlock();
        }
    }

    /** Waits until {@link #idle()} (or until stopped), saying every minute what it waits for. */
    public void awaitIdle() throws InterruptedException {
        lock.lock();
        try {
            long lastReport = System.nanoTime() - WARN_EVERY_NANOS;
            while (running && backlog + active + retrying > 0) {
                if (System.nanoTime() - lastReport >= WARN_EVERY_NANOS) {
                    LOG.info("Waiting for {} session recordings to be exported ({} in progress)",
                            backlog + active + retrying, active);
                    lastReport = System.nanoTime();
                }
                changed.await(1, TimeUnit.SECONDS);
            }
        } finally {
            lock.unlock();
        }
    }

    // ---- counters ---------------------------------------------------------------------------

    /** Sessions being streamed now. */
    public int activeSessions() {
        return read(() -> active);
    }

    /** Registered sessions waiting for a worker. */
    public int backlog() {
        return read(() -> backlog);
    }

    /** Registrations waiting for room in the backlog now (backpressure on the audit stream). */
    public int blockedRegistrations() {
        return read(() -> blockedRegistrations);
    }

    /** Sessions whose recording Teleport has not found yet, waiting to be asked for again. */
    public int missingSessions() {
        return read(() -> missing);
    }

    /** Sessions set aside after repeated failures (retried at the next start). */
    public int failedSessions() {
        return read(() -> failed);
    }

    /** Recordings exported to their end since start. */
    public long sessionsDone() {
        return finished.get();
    }

    /** Recordings given up because Teleport never found them. */
    public long sessionsGivenUp() {
        return givenUp.get();
    }

    /** Session events the output acknowledged since start. */
    public long sessionEventsSent() {
        return eventsSent.get();
    }

    private int read(IntSupplier value) {
        lock.lock();
        try {
            return value.getAsInt();
        } finally {
            lock.unlock();
        }
    }

    // ---- work -------------------------------------------------------------------------------

    /** Puts the sessions saved by an earlier run back to work. Holds the lock. */
    private void resume(List<SessionState> saved) {
        if (saved.isEmpty()) {
            return;
        }
        int queued = 0;
        int parked = 0;
        int retried = 0;
        Instant now = clock.instant();
        for (SessionState state : saved) {
            Session session = newSession(state);
            sessions.put(state.sessionId(), session);
            switch (state.status()) {
                case QUEUED -> {
                    queued++;
                    submit(session);
                }
                case MISSING -> {
                    parked++;
                    Instant due = state.lastAttempt() == null ? now
                            : state.lastAttempt().plus(settings.missingRetryInterval());
                    if (due.isAfter(now)) {
                        missing++;
                        scheduleMissing(session, Duration.between(now, due));
                    } else {
                        // due already: queued now, so that a short run (exit-on-last-event) asks for it too
                        session.state = state.queued();
                        submit(session);
                    }
                }
                case FAILED -> {
                    retried++;
                    session.state = state.queued();
                    submit(session);
                }
            }
        }
        LOG.info("Resuming {} session recordings from {}: {} to export, {} not found yet, {} failed before and"
                + " tried again", saved.size(), store.dir(), queued, parked, retried);
    }

    /** Holds the lock. */
    private void submit(Session session) {
        backlog++;
        workers.execute(() -> work(session));
    }

    private void work(Session session) {
        lock.lock();
        try {
            backlog--;
            changed.signalAll();
            if (!running) {
                return; // saved as queued: the next start resumes it
            }
            active++;
        } finally {
            lock.unlock();
        }
        try {
            export(session);
        } finally {
            lock.lock();
            try {
                active--;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }

    private void export(Session session) {
        String sessionId = session.state.sessionId();
        SessionTransfer transfer = new SessionTransfer(teleport, output, settings.skipTypes(), sessionId,
                session.state.nextIndex(), new Progress(session), this::pause,
                RetryDelay.exponential(settings.outageBackoff(), settings.outageBackoffMax()), this::isStopping);
        try {
            if (transfer.run() == SessionTransfer.Outcome.FINISHED) {
                finish(session, transfer.nextIndex());
            } else {
                save(session);
            }
        } catch (InterruptedException e) {
            save(session); // only stop() interrupts
        } catch (TeleportException e) {
            if (isStopping()) {
                save(session);
            } else if (e.isNotFound()) {
                notFound(session);
            } else {
                failure(session, e);
            }
        } catch (RuntimeException e) {
            if (isStopping()) {
                save(session);
            } else {
                failure(session, e);
            }
        }
    }

    private void finish(Session session, long endIndex) {
        String sessionId = session.state.sessionId();
        store.finish(sessionId);
        finished.incrementAndGet();
        lock.lock();
        try {
            sessions.remove(sessionId);
        } finally {
            lock.unlock();
        }
        LOG.debug("Exported session {} to its end (index {}, {} events sent in this run)", sessionId, endIndex,
                session.sentThisRun);
    }

    /**
     * Teleport does not have the recording (yet). The Go handler's rule: asked for again until 3
     * retries have come back empty, or given up at once when the upload is over 48 hours old.
     */
    private void notFound(Session session) {
        SessionState state = session.state;
        Instant now = clock.instant();
        boolean old = state.uploadTime() != null
                && state.uploadTime().isBefore(now.minus(settings.missingGiveUpAfter()));
        if (old || state.missingAttempts() >= settings.missingRetries()) {
            store.finish(state.sessionId());
            givenUp.incrementAndGet();
            lock.lock();
            try {
                sessions.remove(state.sessionId());
            } finally {
                lock.unlock();
            }
            // normal for sessions that were not recorded (#26321), hence not a warning
            String why = old ? "and its upload is older than " + GoDuration.format(settings.missingGiveUpAfter())
                    : "after " + (state.missingAttempts() + 1) + " tries";
            LOG.info("Session recording {} (uploaded {}) was not found {}; giving it up", state.sessionId(),
                    state.uploadTime(), why);
            return;
        }
        SessionState parked = state.missing(now);
        store.save(parked);
        session.state = parked;
        lock.lock();
        try {
            if (!running) {
                return;
            }
            missing++;
            scheduleMissing(session, settings.missingRetryInterval());
        } finally {
            lock.unlock();
        }
        LOG.debug("Session recording {} (uploaded {}) is not found yet; asking again in {} (retry {} of {})",
                state.sessionId(), state.uploadTime(), GoDuration.format(settings.missingRetryInterval()),
                parked.missingAttempts(), settings.missingRetries());
    }

    /** Holds the lock. */
    private void scheduleMissing(Session session, Duration delay) {
        timer.schedule(() -> {
            lock.lock();
            try {
                if (running) {
                    missing--;
                    session.state = session.state.queued();
                    submit(session);
                }
            } finally {
                lock.unlock();
            }
        }, Math.max(0, delay.toMillis()), TimeUnit.MILLISECONDS);
    }

    /** Tried again after a pause, up to the allowed attempts; then set aside in storage. */
    private void failure(Session session, RuntimeException e) {
        session.errorAttempts++;
        String sessionId = session.state.sessionId();
        String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (session.errorAttempts < settings.errorAttempts()) {
            Duration delay = session.errorDelay.next();
            save(session);
            lock.lock();
            try {
                if (!running) {
                    return;
                }
                retrying++;
                timer.schedule(() -> retryAfterError(session), delay.toMillis(), TimeUnit.MILLISECONDS);
            } finally {
                lock.unlock();
            }
            LOG.warn("Session {} failed at index {}: {}; trying again in {} (attempt {} of {})", sessionId,
                    session.state.nextIndex(), why, seconds(delay), session.errorAttempts + 1,
                    settings.errorAttempts());
            return;
        }
        session.state = session.state.failed(why, clock.instant());
        store.save(session.state);
        lock.lock();
        try {
            failed++;
        } finally {
            lock.unlock();
        }
        LOG.error("Session {} failed {} times and is set aside at index {}: {}. The audit export goes on; the session"
                + " is tried again at the next start (state in {})", sessionId, settings.errorAttempts(),
                session.state.nextIndex(), why, store.file(sessionId));
    }

    private void retryAfterError(Session session) {
        lock.lock();
        try {
            retrying--;
            changed.signalAll();
            if (running) {
                submit(session);
            }
        } finally {
            lock.unlock();
        }
    }

    private void save(Session session) {
        if (session.savedIndex != session.state.nextIndex()) {
            store.save(session.state);
            session.savedIndex = session.state.nextIndex();
        }
        session.lastSave = System.nanoTime();
    }

    private boolean pause(Duration duration) throws InterruptedException {
        return stopping.await(duration.toMillis(), TimeUnit.MILLISECONDS);
    }

    private boolean isStopping() {
        return stopping.getCount() == 0;
    }

    private Session newSession(SessionState state) {
        return new Session(state, RetryDelay.decorrelated(settings.errorBackoff(), settings.errorBackoffMax()));
    }

    /** A registered session as the exporter tracks it while running. */
    private static final class Session {
        /** Written by the session's worker, or under the lock while no worker has it. */
        volatile SessionState state;
        final RetryDelay errorDelay;
        long savedIndex;
        long lastSave = System.nanoTime();
        int errorAttempts;
        long sentThisRun;

        Session(SessionState state, RetryDelay errorDelay) {
            this.state = state;
            this.errorDelay = errorDelay;
            this.savedIndex = state.nextIndex();
        }
    }

    /** Saves a streaming session's index about once a second: a crash repeats at most that much. */
    private final class Progress implements SessionTransfer.Progress {
        private final Session session;

        Progress(Session session) {
            this.session = session;
        }

        @Override
        public void reached(long nextIndex) {
            if (nextIndex > session.state.nextIndex()) {
                session.errorAttempts = 0; // progress: a later failure starts its count afresh
            }
            session.state = session.state.at(nextIndex);
            if (System.nanoTime() - session.lastSave >= settings.indexSaveInterval().toNanos()) {
                save(session);
            }
        }

        @Override
        public void sent(int events) {
            session.sentThisRun += events;
            eventsSent.addAndGet(events);
        }
    }

    private static ThreadFactory threads(String name) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, name + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    private static String seconds(Duration duration) {
        return String.format("%.1f s", duration.toMillis() / 1000.0);
    }
}
