package dev.tee.sink.fluentd;

import java.util.List;

import dev.tee.event.AuditEvent;

/**
 * The {@code goJson} bean, the encoding step of the fluentd-deliver route: the body of a POST to
 * Fluentd's in_http, each event in the Go handler's bytes ({@link AuditEvent#json}: keys sorted at
 * every level, as protojson writes a Struct, which Jackson cannot reproduce). One event is posted as
 * its JSON object, several as one JSON array; in_http takes both.
 */
public final class GoJsonBody {

    /** {@code events} as one POST body: the event alone, or the array of them. */
    public byte[] request(List<AuditEvent> events) {
        if (events.size() == 1) {
            return events.get(0).json();
        }
        if (events.isEmpty()) {
            return new byte[] {'[', ']'};
        }
        int size = 1 + events.size();
        for (AuditEvent event : events) {
            size += event.json().length;
        }
        byte[] body = new byte[size];
        body[0] = '[';
        int at = 1;
        for (AuditEvent event : events) {
            byte[] json = event.json();
            System.arraycopy(json, 0, body, at, json.length);
            at += json.length;
            body[at++] = ',';
        }
        body[size - 1] = ']';
        return body;
    }
}
