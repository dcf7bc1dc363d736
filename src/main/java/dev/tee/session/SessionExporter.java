package dev.tee.session;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;

import dev.tee.config.GoDuration;
import dev.tee.event.AuditEvent;
import dev.tee.event.Batch;
import dev.tee.observe.LogThrottle;
import dev.tee.session.Session.Status;
import dev.tee.sink.OutputUnavailableException;
import dev.tee.teleport.RetryDelay;
import dev.tee.teleport.TeleportClient;
import dev.tee.teleport.TeleportException;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The routes' {@code sessions} bean: exports the recording of every session a {@code session.upload}
 * audit event announces (event-handler.md §2.6), each resumable from its saved index after a restart.
 * The session routes (routes/sessions.yaml) carry the work: session-uploads registers the new
 * sessions of each batch and queues them on {@code seda:session-recordings} (the {@link SessionBacklog},
 * whose bound holds the audit stream back), where `concurrency` workers call {@link #export};
 * session-retries queues again the sessions whose pause is over.
 *
 * <p>A registration is saved before its audit event is acknowledged, and made durable
 * ({@link #syncJournal}) before the read cursor that passes it is saved, so no crash can lose a
 * recording. An outage of the output or of Teleport is thrown for the route's redelivery, which
 * tries again without limit, from the index, after a pause this bean takes (and cuts short when the
 * exporter stops). A recording Teleport does not find (it may
 * still be uploading, or the session was not recorded, #26321) is parked and asked for again every
 * few minutes, then given up after 3 retries or 48 hours from its upload, as the Go handler does. Any
 * other failure is tried 3 times and then set aside, logged and kept in storage; it never stops or
 * stalls the audit stream (the Go handler's #60317).
 */
public final class SessionExporter {

    /** The audit event that announces an uploaded recording (#11599: not session.end). */
    public static final String UPLOAD_EVENT = "session.upload";

    /** The exchange property in which {@link #registerUploads} leaves a batch's new sessions for the route to queue. */
    public static final String NEW_SESSIONS = "newSessions";

    private static final Logger LOG = LoggerFactory.getLogger(SessionExporter.class);
    /** Teleport session ids are UUIDs; this admits them and nothing that could escape a file name or URL segment. */
    private static final Pattern SESSION_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    private final SessionSettings settings;
    private final SessionStore store;
    private final TeleportClient teleport;
    private final SessionOutput output;
    private final SessionBacklog backlog;
    private final Clock clock;
    private final boolean dryRun;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    /** Registered sessions not finished, by id. */
    private final Map<String, Session> sessions = new HashMap<>();
    private final Map<Status, Integer> counts = new EnumMap<>(Status.class);
    private final CountDownLatch stopping = new CountDownLatch(1);
    private volatile boolean running;
    private boolean storeOpen;
    private boolean announcedDryRun;

    private final AtomicLong finished = new AtomicLong();
    private final AtomicLong givenUp = new AtomicLong();
    private final AtomicLong eventsSent = new AtomicLong();
    private final BatchRoom room;

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
        this.backlog = new SessionBacklog(settings.concurrency());
        this.room = new BatchRoom(BatchRoom.DEFAULT_BYTES);
    }

    /** The `dry-run` stand-in: it notes that recordings are not exported and exports none. */
    public static SessionExporter dryRun() {
        return new SessionExporter(SessionSettings.of(1, List.of()), null, null, null, Clock.systemUTC(), true);
    }

    /** The beans routes/sessions.yaml names: {@code sessions} (this) and {@code sessionBacklog} (its queue). */
    public Map<String, Object> beans() {
        return Map.of("sessions", this, "sessionBacklog", backlog);
    }

    /** The queue of seda:session-recordings, bound as {@code sessionBacklog}. */
    public SessionBacklog backlogQueue() {
        return backlog;
    }

    // ---- lifecycle --------------------------------------------------------------------------

    /** Reads the sessions saved in storage, for the session-retries route to queue, and starts taking work. */
    public void start() {
        lock.lock();
        try {
            if (running || dryRun) {
                running = true;
                return;
            }
            List<SessionState> saved;
            try {
                saved = store.open();
            } catch (RuntimeException e) {
                store.close();
                throw e;
            }
            storeOpen = true;
            running = true;
            resume(saved);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stops taking work: registrations no longer wait for room (they are saved for the next start),
     * transfers stop at their next event and save their index, pauses end, nothing is queued again.
     */
    public void stop() {
        lock.lock();
        try {
            running = false;
            backlog.close();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        stopping.countDown();
    }

    /** Closes the session storage; once the routes have stopped. */
    public void close() {
        lock.lock();
        try {
            if (storeOpen) {
                storeOpen = false;
                store.close();
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Makes every session state saved so far durable: registrations, indexes, pauses (one fdatasync
     * for all of them, none if nothing changed). Called before the read cursor is saved, so that the
     * cursor never moves past a session.upload whose registration a crash of the machine could lose.
     */
    public void syncJournal() {
        lock.lock();
        try {
            if (storeOpen) {
                store.sync();
            }
        } finally {
            lock.unlock();
        }
    }

    // ---- the routes' steps --------------------------------------------------------------------

    /**
     * The session-uploads route's first step: registers the sessions of the session.upload events in
     * the exchange's batch not registered before (once per session id, however often the event is
     * read), saved together in one append before the batch is acknowledged (and synced before the
     * cursor is saved past it: {@link #syncJournal}), so that no crash loses one, and leaves them in the
     * exchange property {@value #NEW_SESSIONS} for the route to queue.
     */
    public void registerUploads(Exchange exchange) {
        List<Session> added = newUploads(exchange.getMessage().getBody(Batch.class));
        if (!added.isEmpty()) {
            List<SessionState> states = new ArrayList<>(added.size());
            added.forEach(session -> states.add(session.state));
            try {
                store.save(states);
            } catch (RuntimeException e) {
                added.forEach(this::forget); // registered again when the batch is
                throw e;
            }
            for (Session session : added) {
                synchronized (session) {
                    session.saved = true;
                    session.lastSave = System.nanoTime();
                }
                LOG.debug("Registered session {} (uploaded {})", session.id(), session.state.uploadTime());
            }
        }
        exchange.setProperty(NEW_SESSIONS, added);
    }

    /** The sessions of the session.upload events in {@code batch} not registered before, now tracked. */
    private List<Session> newUploads(Batch batch) {
        List<Session> added = new ArrayList<>();
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
                continue;
            }
            lock.lock();
            try {
                if (sessions.containsKey(sessionId) || store.isFinished(sessionId)) {
                    continue; // a replayed session.upload: registered before
                }
                Session session = newSession(SessionState.registered(sessionId, event.time()), false);
                sessions.put(sessionId, session);
                setStatus(session, Status.WAITING);
                added.add(session);
            } finally {
                lock.unlock();
            }
        }
        return added;
    }

    /**
     * Exports the session's recording from its index to its end (a worker of the session-recordings
     * route). Parks a recording Teleport does not find and one that fails otherwise. After an outage,
     * the route's redelivery comes back here at once, and this waits first.
     *
     * @throws OutputUnavailableException when the output cannot take it now, for the route to retry
     * @throws TeleportException when Teleport cannot be reached or the stream was cut, for the route to retry
     */
    public void export(Session session) {
        if (!pauseAfterOutage(session) || !begin(session)) {
            return; // stopping: saved as it is, the next start resumes it
        }
        SessionTransfer transfer = new SessionTransfer(teleport, output, settings.skipTypes(), session.id(),
                session.state.nextIndex(), new Progress(session), () -> !running, room);
        try {
            if (transfer.run() == SessionTransfer.Outcome.FINISHED) {
                finish(session);
            } else {
                saveIndex(session);
            }
        } catch (OutputUnavailableException e) {
            waitOut(session, "the output is unavailable: " + e.getMessage());
            throw e;
        } catch (TeleportException e) {
            if (!running) {
                saveIndex(session);
            } else if (e.isRetryable()) {
                waitOut(session, e.getMessage());
                throw e;
            } else if (e.isNotFound()) {
                notFound(session);
            } else {
                failure(session, e);
            }
        } catch (RuntimeException e) {
            if (!running) {
                saveIndex(session);
            } else {
                failure(session, e);
            }
        }
    }

    /** The parked sessions whose pause is over, and those resumed from storage, for the session-retries route to queue. */
    public List<Session> due() {
        lock.lock();
        try {
            if (!running) {
                return List.of();
            }
            Instant now = clock.instant();
            List<Session> due = new ArrayList<>();
            for (Session session : sessions.values()) {
                if (session.dueAt != null && !session.dueAt.isAfter(now)) {
                    session.dueAt = null;
                    session.state = session.state.queued();
                    setStatus(session, Status.WAITING);
                    due.add(session);
                }
            }
            return due;
        } finally {
            lock.unlock();
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
            return unfinishedWork() == 0;
        } finally {
            lock.unlock();
        }
    }

    /** Waits until {@link #idle()} (or until stopped), saying every minute what it waits for. */
    public void awaitIdle() throws InterruptedException {
        lock.lock();
        try {
            LogThrottle reports = new LogThrottle(Duration.ofMinutes(1));
            while (running && unfinishedWork() > 0) {
                if (reports.pass()) {
                    LOG.info("Waiting for {} session recordings to be exported ({} in progress)", unfinishedWork(),
                            count(Status.ACTIVE));
                }
                changed.await(1, TimeUnit.SECONDS);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Holds the lock. */
    private int unfinishedWork() {
        return count(Status.WAITING) + count(Status.ACTIVE) + count(Status.RETRYING);
    }

    // ---- counters ---------------------------------------------------------------------------

    /** Sessions being streamed now (or waiting out an outage to go on). */
    public int activeSessions() {
        return locked(Status.ACTIVE);
    }

    /** Registered sessions waiting in the queue for a worker. */
    public int backlog() {
        return backlog.size();
    }

    /** Registrations waiting for room in the backlog now (backpressure on the audit stream). */
    int blockedRegistrations() {
        return backlog.blocked();
    }

    /** Sessions whose recording Teleport has not found yet, waiting to be asked for again. */
    int missingSessions() {
        return locked(Status.MISSING);
    }

    /** Sessions set aside after repeated failures (retried at the next start). */
    int failedSessions() {
        return locked(Status.FAILED);
    }

    /** Recordings exported to their end since start. */
    public long sessionsDone() {
        return finished.get();
    }

    /** Recordings given up because Teleport never found them. */
    long sessionsGivenUp() {
        return givenUp.get();
    }

    /** Session events the output acknowledged since start. */
    long sessionEventsSent() {
        return eventsSent.get();
    }

    private int locked(Status status) {
        lock.lock();
        try {
            return count(status);
        } finally {
            lock.unlock();
        }
    }

    /** Holds the lock. */
    private int count(Status status) {
        return counts.getOrDefault(status, 0);
    }

    /** Holds the lock; null for a session no longer tracked. */
    private void setStatus(Session session, Status status) {
        if (session.status != null) {
            counts.merge(session.status, -1, Integer::sum);
        }
        session.status = status;
        if (status != null) {
            counts.merge(status, 1, Integer::sum);
        }
        changed.signalAll();
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
            Session session = newSession(state, true);
            sessions.put(state.sessionId(), session);
            session.dueAt = now;
            switch (state.status()) {
                case QUEUED -> queued++;
                case MISSING -> {
                    parked++;
                    Instant due = state.lastAttempt() == null ? now
                            : state.lastAttempt().plus(settings.missingRetryInterval());
                    if (due.isAfter(now)) {
                        session.dueAt = due;
                        setStatus(session, Status.MISSING);
                        continue;
                    }
                    // due already: waited for, so that a short run (exit-on-last-event) asks for it too
                }
                case FAILED -> retried++;
            }
            setStatus(session, Status.WAITING);
        }
        LOG.info("Resuming {} session recordings from {}: {} to export, {} not found yet, {} failed before and"
                + " tried again", saved.size(), store.dir(), queued, parked, retried);
    }

    /** Marks the session as being exported, unless the exporter is stopping. */
    private boolean begin(Session session) {
        lock.lock();
        try {
            if (!running) {
                return false;
            }
            setStatus(session, Status.ACTIVE);
            return true;
        } finally {
            lock.unlock();
        }
    }

    private void finish(Session session) {
        synchronized (session) {
            store.finish(session.id());
            session.finished = true;
        }
        finished.incrementAndGet();
        forget(session);
        LOG.debug("Exported session {} to its end (index {}, {} events sent in this run)", session.id(),
                session.state.nextIndex(), session.sentThisRun);
    }

    private void forget(Session session) {
        lock.lock();
        try {
            sessions.remove(session.id());
            setStatus(session, null);
        } finally {
            lock.unlock();
        }
    }

    /** Waits the pause an outage left, if any; false if the exporter stops meanwhile. */
    private boolean pauseAfterOutage(Session session) {
        Duration pause = session.outagePause;
        session.outagePause = null;
        try {
            return pause == null || !stopping.await(pause.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** An outage: the index is saved and the route tries again after a pause; said once a minute per session. */
    private void waitOut(Session session, String why) {
        saveIndex(session);
        session.outagePause = session.outageDelay.next();
        if (!session.outageWarnings.pass()) {
            LOG.debug("Session {}: {}; trying again from index {}", session.id(), why, session.state.nextIndex());
            return;
        }
        LOG.warn("Session {}: {}; waiting and trying again from index {} for as long as it takes", session.id(), why,
                session.state.nextIndex());
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
            synchronized (session) {
                store.finish(state.sessionId());
                session.finished = true;
            }
            givenUp.incrementAndGet();
            forget(session);
            // normal for sessions that were not recorded (#26321), hence not a warning
            String why = old ? "and its upload is older than " + GoDuration.format(settings.missingGiveUpAfter())
                    : "after " + (state.missingAttempts() + 1) + " tries";
            LOG.info("Session recording {} (uploaded {}) was not found {}; giving it up", state.sessionId(),
                    state.uploadTime(), why);
            return;
        }
        SessionState parked = state.missing(now);
        session.state = parked;
        write(session, parked);
        park(session, Status.MISSING, now.plus(settings.missingRetryInterval()));
        LOG.debug("Session recording {} (uploaded {}) is not found yet; asking again in {} (retry {} of {})",
                state.sessionId(), state.uploadTime(), GoDuration.format(settings.missingRetryInterval()),
                parked.missingAttempts(), settings.missingRetries());
    }

    /** Tried again after a pause, up to the allowed attempts; then set aside in storage. */
    private void failure(Session session, RuntimeException e) {
        session.errorAttempts++;
        String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (session.errorAttempts < settings.errorAttempts()) {
            Duration delay = session.errorDelay.next();
            saveIndex(session);
            park(session, Status.RETRYING, clock.instant().plus(delay));
            LOG.warn("Session {} failed at index {}: {}; trying again in {} (attempt {} of {})", session.id(),
                    session.state.nextIndex(), why, seconds(delay), session.errorAttempts + 1,
                    settings.errorAttempts());
            return;
        }
        session.state = session.state.failed(why, clock.instant());
        write(session, session.state);
        lock.lock();
        try {
            setStatus(session, Status.FAILED);
        } finally {
            lock.unlock();
        }
        LOG.error("Session {} failed {} times and is set aside at index {}: {}. The audit export goes on; the session"
                + " is tried again at the next start (state in {})", session.id(), settings.errorAttempts(),
                session.state.nextIndex(), why, store.journal());
    }

    /** Until {@link #due} queues it again. */
    private void park(Session session, Status status, Instant dueAt) {
        lock.lock();
        try {
            session.dueAt = dueAt;
            setStatus(session, status);
        } finally {
            lock.unlock();
        }
    }

    /** Saves the session's index if it moved since the last save. */
    private void saveIndex(Session session) {
        synchronized (session) {
            if (!session.saved || session.savedIndex != session.state.nextIndex()) {
                write(session, session.state);
            }
            session.lastSave = System.nanoTime();
        }
    }

    /** Writes the session's state file, unless the session is finished (its file gone for good). */
    private void write(Session session, SessionState state) {
        synchronized (session) {
            if (session.finished) {
                return;
            }
            store.save(state);
            session.saved = true;
            session.savedIndex = state.nextIndex();
            session.lastSave = System.nanoTime();
        }
    }

    private Session newSession(SessionState state, boolean saved) {
        return new Session(state, saved, RetryDelay.decorrelated(settings.errorBackoff(), settings.errorBackoffMax()),
                RetryDelay.exponential(settings.outageBackoff(), settings.outageBackoffMax()));
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
            synchronized (session) {
                if (System.nanoTime() - session.lastSave >= settings.indexSaveInterval().toNanos()) {
                    saveIndex(session);
                }
            }
        }

        @Override
        public void sent(int events) {
            session.sentThisRun += events;
            session.outageDelay.reset();
            eventsSent.addAndGet(events);
        }
    }

    private static String seconds(Duration duration) {
        return String.format("%.1f s", duration.toMillis() / 1000.0);
    }
}
