package dev.tee.testing;

import java.util.List;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import dev.tee.teleport.proto.auditlog.EventUnstructured;
import dev.tee.teleport.proto.auditlog.EventsUnstructured;
import dev.tee.teleport.proto.auditlog.ExportEventUnstructured;
import dev.tee.teleport.proto.raw.RawEvent;
import dev.tee.teleport.proto.raw.RawEvents;
import dev.tee.teleport.proto.raw.RawExportEvent;

/**
 * Teleport's event messages and the client's raw twins (raw_events.proto) are the same bytes: tests
 * compare what the client read with what the fake served by re-reading one as the other.
 */
public final class RawTwins {

    private RawTwins() {
    }

    public static EventUnstructured full(RawEvent raw) {
        return reread(raw, EventUnstructured.parser());
    }

    public static List<EventUnstructured> full(List<RawEvent> raw) {
        return raw.stream().map(RawTwins::full).toList();
    }

    public static EventsUnstructured full(RawEvents raw) {
        return reread(raw, EventsUnstructured.parser());
    }

    public static ExportEventUnstructured full(RawExportEvent raw) {
        return reread(raw, ExportEventUnstructured.parser());
    }

    public static RawEvents raw(EventsUnstructured full) {
        return reread(full, RawEvents.parser());
    }

    public static RawExportEvent raw(ExportEventUnstructured full) {
        return reread(full, RawExportEvent.parser());
    }

    private static <T> T reread(MessageLite message, Parser<T> parser) {
        try {
            return parser.parseFrom(message.toByteString());
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError("not the same wire format: " + e.getMessage(), e);
        }
    }
}
