package dev.tee.source;

import java.time.Instant;

/**
 * A read path the exporter can ask how far it got: whether it has caught up with the present,
 * whether everything it handed out has been acknowledged (both together end an
 * `exit-on-last-event` run), and up to which event time it has read.
 */
public interface AuditSource {

    /**
     * Events before this time have all been read (as far as the API lets a reader know: late
     * export chunks can still add some). Outputs that group events by time use it to decide when a
     * group is complete.
     */
    Instant readPosition();

    /** The reader has read everything up to now (the last poll found nothing new). */
    boolean caughtUp();

    /**
     * Every event the reader can see right now has been handed to the pipeline: it caught up, or,
     * for the export API, every chunk stream it started has ended (their events may still wait for
     * an acknowledgement, which is what holds the export API's reader on a date). An output that
     * groups events may then close its groups instead of waiting for more; a reader held back by a
     * stalled pipeline is still reading.
     */
    default boolean readAllAvailable() {
        return caughtUp();
    }

    /**
     * Events handed to the pipeline and not yet settled (delivered, skipped or dead-lettered): an
     * output holding this many has every one of them, none is still on its way.
     */
    long unsettled();

    /**
     * The wire size of those events, in bytes: reading waits while it reaches the in-flight byte
     * budget ({@link dev.tee.state.InFlight}). 0 for a source that does not count it.
     */
    default long unsettledBytes() {
        return 0;
    }

    /** Every event the reader handed to the pipeline has been settled. */
    boolean idle();
}
