package dev.tee.event;

import java.time.Instant;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;

/**
 * One Teleport audit (or session) event as read from the Auth Service: its id, type, time, index and
 * the whole event as a protobuf Struct, plus the sequence number the reader gave it so that the
 * delivery ledger can tell when it has been acknowledged.
 */
public final class AuditEvent {

    private final String id;
    private final String type;
    private final Instant time;
    private final long index;
    private final Struct fields;
    private final long sequence;
    private volatile byte[] json;

    public AuditEvent(String id, String type, Instant time, long index, Struct fields, long sequence) {
        this.id = id;
        this.type = type;
        this.time = time;
        this.index = index;
        this.fields = fields;
        this.sequence = sequence;
    }

    public String id() {
        return id;
    }

    public String type() {
        return type;
    }

    public Instant time() {
        return time;
    }

    public long index() {
        return index;
    }

    public Struct fields() {
        return fields;
    }

    /** The reader's sequence number of this event in this run; the ledger's key. */
    public long sequence() {
        return sequence;
    }

    /** A top-level string field of the event, or null when absent or not a string. */
    public String stringField(String name) {
        Value value = fields.getFieldsMap().get(name);
        return value != null && value.hasStringValue() ? value.getStringValue() : null;
    }

    /** A top-level boolean field, or null when absent or not a boolean. */
    public Boolean boolField(String name) {
        Value value = fields.getFieldsMap().get(name);
        return value != null && value.hasBoolValue() ? value.getBoolValue() : null;
    }

    /** The event as the Go event handler sends it to Fluentd (see {@link EventJson#goJson}). */
    public byte[] json() {
        byte[] bytes = json;
        if (bytes == null) {
            bytes = EventJson.goJson(fields);
            json = bytes;
        }
        return bytes;
    }

    @Override
    public String toString() {
        return type + " " + id + " @" + time;
    }
}
