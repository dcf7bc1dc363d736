package dev.tee.demo;

import java.io.UncheckedIOException;
import java.time.Instant;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One record the Fluentd stand-in accepted: the tag, the event time Fluentd assigned, the event's
 * {@code uid} (null if it had none) and the object exactly as it appeared in the request body.
 */
public record ReceivedEvent(String tag, Instant time, String uid, String json) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The record as Fluentd emits it: the posted object without its {@code time} member. */
    public ObjectNode record() {
        ObjectNode record = posted();
        record.remove("time");
        return record;
    }

    /** The posted {@code time} member as text, or null when the event had none. */
    public String postedTime() {
        JsonNode time = posted().get("time");
        return time == null ? null : time.asText();
    }

    private ObjectNode posted() {
        try {
            return (ObjectNode) JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
