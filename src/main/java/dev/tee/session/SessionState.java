package dev.tee.session;

import java.time.Instant;

/**
 * What storage keeps about one registered session recording until it is exported: the index to
 * resume from (every event before it is delivered or skipped) and what became of it so far.
 *
 * @param sessionId the recording's session id (the {@code sid} of its session.upload event)
 * @param nextIndex the first event index not yet delivered or skipped
 * @param status where the session stands
 * @param missingAttempts how many times Teleport answered NOT_FOUND for the recording
 * @param uploadTime time of the session.upload event, from which a missing recording is given up after 48 h
 * @param lastAttempt when the last NOT_FOUND or failure happened (null before)
 * @param error why the session was set aside (status FAILED), else null
 */
public record SessionState(String sessionId, long nextIndex, Status status, int missingAttempts, Instant uploadTime,
        Instant lastAttempt, String error) {

    /** Where a registered session stands. */
    public enum Status {
        /** Waiting for a worker, or being exported. */
        QUEUED,
        /** Teleport did not find the recording (yet); asked for again later. */
        MISSING,
        /** Failed the allowed number of times for another reason; retried at the next start. */
        FAILED
    }

    static SessionState registered(String sessionId, Instant uploadTime) {
        return new SessionState(sessionId, 0, Status.QUEUED, 0, uploadTime, null, null);
    }

    SessionState at(long index) {
        return new SessionState(sessionId, index, status, missingAttempts, uploadTime, lastAttempt, error);
    }

    SessionState missing(Instant now) {
        return new SessionState(sessionId, nextIndex, Status.MISSING, missingAttempts + 1, uploadTime, now, null);
    }

    SessionState failed(String why, Instant now) {
        return new SessionState(sessionId, nextIndex, Status.FAILED, missingAttempts, uploadTime, now, why);
    }

    SessionState queued() {
        return new SessionState(sessionId, nextIndex, Status.QUEUED, missingAttempts, uploadTime, lastAttempt, null);
    }
}
