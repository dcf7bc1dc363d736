package dev.tee.sink;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.annotation.JsonRawValue;
import dev.tee.event.AuditEvent;

/**
 * One line of the dead-letter file {@code dead-letter.jsonl} in the state directory: an event an output
 * refused for good (Fluentd's 4xx for it alone, a time Panther's layout cannot carry), with the answer and
 * where it was refused ({@code url}: a Fluentd URL, an S3 key prefix), so that nothing is dropped
 * silently (DESIGN.md §7). The dead-letter route (routes/dead-letters.yaml) marshals it with Jackson and
 * appends it; the event is embedded as it was sent, in the Go handler's bytes, not serialised again.
 */
@JsonPropertyOrder({"time", "status", "response", "url", "event"})
public record DeadLetter(String time, int status, String response, String url, @JsonRawValue String event) {

    /** The file in the state directory the dead-letter route appends to. */
    public static final String FILE_NAME = "dead-letter.jsonl";

    /** The dead letter of {@code event}, refused now. */
    public static DeadLetter of(AuditEvent event, int status, String response, String url) {
        return new DeadLetter(Instant.now().toString(), status, response, url,
                new String(event.json(), StandardCharsets.UTF_8));
    }
}
