package dev.tee.event;

import java.time.Instant;

import java.nio.charset.StandardCharsets;

import com.google.protobuf.Struct;
import dev.tee.state.Receipt;

/**
 * One Teleport audit (or session) event as read from the Auth Service: its id, type, time, index and
 * the whole event as the wire bytes of the protobuf Struct it came in (decoded only where printed or
 * read, see {@link StructBytes}), plus the receipt that tells its reader's delivery ledger when it has
 * been acknowledged.
 */
public final class AuditEvent {

    private final String id;
    private final String type;
    private final Instant time;
    private final long index;
    private final byte[] struct;
    private final Receipt receipt;
    private volatile byte[] json;

    /** An event no ledger tracks. */
    public AuditEvent(String id, String type, Instant time, long index, Struct fields) {
        this(id, type, time, index, fields, Receipt.NONE);
    }

    public AuditEvent(String id, String type, Instant time, long index, Struct fields, Receipt receipt) {
        this(id, type, time, index, fields.toByteArray(), receipt);
    }

    /** {@code struct} is the wire form of the event's Struct, which this event now owns. */
    public AuditEvent(String id, String type, Instant time, long index, byte[] struct, Receipt receipt) {
        this.id = id;
        this.type = type;
        this.time = time;
        this.index = index;
        this.struct = struct;
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

    /** The wire bytes of the event's Struct; not a copy: do not change them. */
    public byte[] struct() {
        return struct;
    }

    /** Settles the event in its reader's ledger. */
    public Receipt receipt() {
        return receipt;
    }

    /** A top-level string field of the event, or null when absent or not a string. */
    public String stringField(String name) {
        long value = StructBytes.find(struct, name.getBytes(StandardCharsets.UTF_8));
        return value < 0 ? null : StructBytes.string(struct, value);
    }

    /** A top-level boolean field, or null when absent or not a boolean. */
    public Boolean boolField(String name) {
        long value = StructBytes.find(struct, name.getBytes(StandardCharsets.UTF_8));
        return value < 0 ? null : StructBytes.bool(struct, value);
    }

    /** The event as the Go event handler sends it to Fluentd (see {@link StructBytes#goJson}). */
    public byte[] json() {
        byte[] bytes = json;
        if (bytes == null) {
            bytes = StructBytes.goJson(struct);
            json = bytes;
        }
        return bytes;
    }

    @Override
    public String toString() {
        return type + " " + id + " @" + time;
    }
}
