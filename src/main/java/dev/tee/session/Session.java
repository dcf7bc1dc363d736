package dev.tee.session;

import java.time.Duration;
import java.time.Instant;

import dev.tee.observe.LogThrottle;
import dev.tee.teleport.RetryDelay;

/**
 * A registered session recording as the exporter tracks it while running: the message the session
 * routes pass around. Its state is written by the worker exporting it, or by the exporter under its
 * lock while no worker has it; state files are written under the session's own monitor.
 */
public final class Session {

    /** Where a registered session stands in this run. */
    enum Status {
        /** Queued for a worker, or about to be. */
        WAITING,
        /** A worker is exporting it, or waiting out an outage to go on. */
        ACTIVE,
        /** Failed; tried again once its pause is over. */
        RETRYING,
        /** Teleport did not find the recording (yet); asked for again once its pause is over. */
        MISSING,
        /** Set aside after repeated failures until the next start. */
        FAILED
    }

    volatile SessionState state;
    Status status;
    /** When a RETRYING or MISSING session (or one resumed from storage) is to be queued again; null if not parked. */
    Instant dueAt;
    final RetryDelay errorDelay;
    int errorAttempts;
    final RetryDelay outageDelay;
    /** How long to wait before the route's redelivery goes on after an outage; null if it need not wait. */
    volatile Duration outagePause;
    /** An outage is said once a minute per session; in between it is a debug line. */
    final LogThrottle outageWarnings = new LogThrottle(Duration.ofMinutes(1));
    long sentThisRun;

    /** Whether storage holds the session; guarded by this object's monitor, as are the fields below. */
    boolean saved;
    long savedIndex;
    long lastSave = System.nanoTime();
    boolean finished;

    Session(SessionState state, boolean saved, RetryDelay errorDelay, RetryDelay outageDelay) {
        this.state = state;
        this.saved = saved;
        this.savedIndex = state.nextIndex();
        this.errorDelay = errorDelay;
        this.outageDelay = outageDelay;
    }

    String id() {
        return state.sessionId();
    }

    @Override
    public String toString() {
        return "session " + state.sessionId();
    }
}
