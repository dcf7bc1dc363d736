package dev.tee.event;

import java.time.Instant;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.tee.state.Receipt;

/**
 * One Teleport audit (or session) event as read from the Auth Service: its id, type, time, index and
 * the whole event as a protobuf Struct, plus the receipt that tells its reader's delivery ledger when
 * it has been acknowledged.
 */
public final class AuditEvent {

    private final String id;
    private final String type;
    private final Instant time;
    private final long index;
    private final Struct fields;
    private final Receipt receipt;
    private volatile byte[] json;

    /** An event no ledger tracks. */
    public AuditEvent(String id, String type, Instant time, long index, Struct fields) {
        this(id, type, time, index, fields, Receipt.NONE);
    }

    public AuditEvent(String id, String type, Instant time, long index, Struct fields, Receipt receipt) {
        this.id = id;
        this.type = type;
        this.time = time;
        this.index = index;
        this.fields = fields;
        this.receipt = receipt;
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

    /** Settles the event in its reader's ledger. */
    public Receipt receipt() {
        return receipt;
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
