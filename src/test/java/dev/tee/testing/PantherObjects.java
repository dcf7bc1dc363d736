package dev.tee.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tee.event.AuditEvent;
import dev.tee.sink.s3.PantherLine;
import dev.tee.sink.s3.PantherObjectKey;
import dev.tee.teleport.proto.auditlog.EventUnstructured;

/** The S3 objects Panther's Fluentd setup writes for events a fake Teleport served, and the event ids in objects read back. */
public final class PantherObjects {

    private static final ObjectMapper JSON = new ObjectMapper();

    private PantherObjects() {
    }

    /** The line Fluentd writes for {@code served} (the exporter posts it as the Go handler would). */
    public static String line(EventUnstructured served) {
        return pantherLine(served).toString();
    }

    /**
     * Key → lines when every minute's events reach Fluentd before it writes that minute: one object
     * per minute ({@code _0}), lines in the order given.
     */
    public static Map<String, List<String>> oneObjectPerMinute(Collection<EventUnstructured> served) {
        Map<String, List<String>> objects = new TreeMap<>();
        for (EventUnstructured event : served) {
            PantherLine line = pantherLine(event);
            String key = PantherObjectKey.of(PantherObjectKey.DEFAULT_PREFIX, line.time(), 0).key();
            objects.computeIfAbsent(key, k -> new ArrayList<>()).add(line.toString());
        }
        return objects;
    }

    /** The {@code uid} of every line of every object, in key and line order (repeats kept). */
    public static List<String> uids(Map<String, List<String>> objects) {
        List<String> uids = new ArrayList<>();
        for (List<String> lines : objects.values()) {
            for (String line : lines) {
                try {
                    uids.add(JSON.readTree(line).path("uid").asText());
                } catch (IOException e) {
                    throw new UncheckedIOException("not a JSON line: " + line, e);
                }
            }
        }
        return uids;
    }

    private static PantherLine pantherLine(EventUnstructured served) {
        // every served event has a time, so the receipt time (EPOCH) is never used
        return PantherLine.of(new AuditEvent(served.getId(), served.getType(), Instant.EPOCH, served.getIndex(),
                served.getUnstructured()), Instant.EPOCH);
    }
}
