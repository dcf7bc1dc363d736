package dev.tee.source;

/**
 * A read path the exporter can ask how far it got: whether it has caught up with the present, and
 * whether everything it handed out has been acknowledged (both together end an
 * `exit-on-last-event` run).
 */
public interface AuditSource {

    /** The reader has read everything up to now (the last poll found nothing new). */
    boolean caughtUp();

    /** Every event the reader handed to the pipeline has been settled. */
    boolean idle();
}
