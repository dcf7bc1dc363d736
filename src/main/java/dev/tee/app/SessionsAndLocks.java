package dev.tee.app;

import static dev.tee.config.ConfigKey.CONCURRENCY;
import static dev.tee.config.ConfigKey.DRY_RUN;
import static dev.tee.config.ConfigKey.LOCK_ENABLED;
import static dev.tee.config.ConfigKey.LOCK_FAILED_ATTEMPTS_COUNT;
import static dev.tee.config.ConfigKey.LOCK_FOR;
import static dev.tee.config.ConfigKey.LOCK_PERIOD;
import static dev.tee.config.ConfigKey.SKIP_SESSION_TYPES;

import java.time.Clock;

import dev.tee.config.ExporterConfig;
import dev.tee.lock.FailedLoginLocks;
import dev.tee.lock.FailedLoginState;
import dev.tee.observe.ExporterMetrics;
import dev.tee.session.SessionExporter;
import dev.tee.session.SessionSettings;
import dev.tee.session.SessionStore;
import dev.tee.state.StateDirectory;
import dev.tee.state.StateFile;
import dev.tee.teleport.TeleportClient;
import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.Main;
import org.apache.camel.main.MainListenerSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The beans of the routes' `sessions` and `locks` steps (session recording export and user
 * auto-locking), built from the configuration, started and stopped with the exporter.
 */
final class SessionsAndLocks {

    private static final Logger LOG = LoggerFactory.getLogger(SessionsAndLocks.class);

    private final SessionExporter sessions;
    private final FailedLoginLocks locks;

    private SessionsAndLocks(SessionExporter sessions, FailedLoginLocks locks) {
        this.sessions = sessions;
        this.locks = locks;
    }

    static SessionsAndLocks create(ExporterConfig config, StateDirectory state, TeleportClient teleport,
            Outputs.Output output) {
        boolean dryRun = config.bool(DRY_RUN);
        SessionExporter sessions = dryRun || output.sessionOutput() == null ? SessionExporter.dryRun()
                : new SessionExporter(SessionSettings.of(config.integer(CONCURRENCY), config.list(SKIP_SESSION_TYPES)),
                        new SessionStore(state.file("sessions")), teleport, output.sessionOutput(), Clock.systemUTC());
        FailedLoginLocks.Settings locking = FailedLoginLocks.Settings.of(config.bool(LOCK_ENABLED),
                config.integer(LOCK_FAILED_ATTEMPTS_COUNT), config.duration(LOCK_PERIOD), config.duration(LOCK_FOR),
                dryRun);
        FailedLoginLocks locks = new FailedLoginLocks(locking,
                new StateFile<>(state.file("failed-logins.json"), FailedLoginState.class), teleport::upsertLock,
                Clock.systemUTC());
        return new SessionsAndLocks(sessions, locks);
    }

    /** Reports the session recording export in the metrics and the progress line. */
    void reportTo(ExporterMetrics metrics) {
        metrics.sessions(sessions::activeSessions, sessions::backlog, sessions::sessionsDone);
    }

    /** The {@code sessions} bean: registers each session.upload's recording and exports it. */
    SessionExporter sessions() {
        return sessions;
    }

    /** The {@code locks} bean: counts failed logins towards auto-locking. */
    FailedLoginLocks locks() {
        return locks;
    }

    /**
     * Ties them to Camel: started now; told to stop before the routes stop, so that a registration
     * waiting for room gives way at once (saved, not queued) and the session workers stop at their
     * next event.
     */
    void attach(Main main) {
        main.addMainListener(new MainListenerSupport() {
            @Override
            public void beforeStop(BaseMainSupport main) {
                locks.stop();
                sessions.stop();
            }
        });
        sessions.start();
    }

    /** Once the routes have stopped. */
    void close() {
        locks.stop();
        sessions.stop();
        sessions.close();
    }

    /** {@code stop}, once every session recording registered so far is exported (exit-on-last-event). */
    Runnable afterSessions(Runnable stop) {
        return () -> {
            try {
                sessions.awaitIdle();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                LOG.warn("Interrupted while waiting for session recordings; the rest is exported at the next start");
            }
            stop.run();
        };
    }
}
