package dev.tee.source;

import java.util.List;

import dev.tee.event.AuditEvent;

/**
 * Events read in one request, and whether the reader has caught up with the present (then the poll
 * route sleeps `timeout` before asking again).
 */
public record Page(List<AuditEvent> events, boolean caughtUp) {

    /** Short: a page is read, logged and compared per request, its events are not. */
    @Override
    public String toString() {
        return "page of " + events.size() + " events" + (caughtUp ? ", caught up" : "");
    }
}
