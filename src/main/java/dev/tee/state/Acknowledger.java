package dev.tee.state;

import dev.tee.event.AuditEvent;
import dev.tee.event.Batch;

/**
 * The routes' `ledger` bean: settles events in whichever reader's ledger they came from, so the
 * cursors move past them.
 */
public final class Acknowledger {

    /** An event the pipeline dropped on purpose (filtered out, or delivered before). */
    public void skipped(AuditEvent event) {
        event.receipt().settle();
    }

    /** A batch the output acknowledged (each event delivered or dead-lettered). */
    public void delivered(Batch batch) {
        for (AuditEvent event : batch.events()) {
            event.receipt().settle();
        }
    }
}
