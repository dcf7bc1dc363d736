package dev.tee.demo;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListMap;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Timestamp;
import dev.tee.event.EventJson;
import dev.tee.teleport.proto.auditlog.EventUnstructured;

/**
 * The fake cluster's audit log: events kept sorted by (time, index, arrival) and searched with the
 * rules of Teleport's GetUnstructuredEvents (teleport-wire.md §1.1, §3.2). Appends may run while
 * searches do.
 */
final class FakeAuditLog {

    /** Teleport's MaxEventBytesInResponse: a page holds at most about 1 MiB of event JSON. */
    static final int MAX_PAGE_BYTES = 1024 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One stored event, its place in the log and the size of its JSON (for the page cap). */
    record Stored(PageKey key, EventUnstructured event, int jsonBytes) {
    }

    /** A page of results; {@code lastKey} is empty when nothing more matches. */
    record Page(List<EventUnstructured> items, String lastKey) {
    }

    private final ConcurrentSkipListMap<PageKey, Stored> events = new ConcurrentSkipListMap<>();
    private final Map<String, Integer> uidUses = new HashMap<>();
    private final Set<String> uids = new HashSet<>();
    private long arrivals;

    /**
     * Stores a copy of {@code event}. A uid already used gets "-2", "-3"... in order of arrival, as
     * real events' uids are unique; an event without uid is identified by the SHA-256 of its JSON, as
     * Teleport does.
     */
    synchronized EventUnstructured append(ObjectNode event) {
        ObjectNode copy = event.deepCopy();
        String id;
        if (copy.hasNonNull("uid")) {
            id = uniqueUid(copy.get("uid").asText());
            copy.put("uid", id);
        } else {
            id = contentId(copy);
        }
        EventUnstructured proto = unstructured(copy, id);
        PageKey key = new PageKey(time(copy), proto.getIndex(), arrivals++);
        events.put(key, new Stored(key, proto, jsonBytes(copy)));
        return proto;
    }

    /** The event as the Auth Service serves it: type, id, time, index and the whole event as a Struct. */
    static EventUnstructured unstructured(ObjectNode event, String id) {
        Instant time = time(event);
        return EventUnstructured.newBuilder()
                .setType(event.path("event").asText(""))
                .setId(id)
                .setTime(Timestamp.newBuilder().setSeconds(time.getEpochSecond()).setNanos(time.getNano()))
                .setIndex(event.path("ei").asLong(0))
                .setUnstructured(EventJson.toStruct(event))
                .build();
    }

    /**
     * The id Teleport gives an event without uid: the SHA-256 of its JSON. A print event's {@code data}
     * is not part of that JSON (Teleport adds the terminal bytes only to the Struct it serves).
     */
    static String contentId(ObjectNode event) {
        ObjectNode hashed = event;
        if (event.has("data") && "print".equals(event.path("event").asText())) {
            hashed = event.deepCopy();
            hashed.remove("data");
        }
        return sha256(hashed);
    }

    private String uniqueUid(String uid) {
        String candidate = uid;
        int uses = uidUses.merge(uid, 1, Integer::sum);
        if (uses > 1) {
            candidate = uid + "-" + uses;
        }
        while (!uids.add(candidate)) {
            candidate = uid + "-" + uidUses.merge(uid, 1, Integer::sum);
        }
        return candidate;
    }

    int size() {
        return events.size();
    }

    /** Every event in (time, index, arrival) order. */
    List<EventUnstructured> events() {
        return events.values().stream().map(Stored::event).toList();
    }

    /**
     * Events with time in [from, to] (inclusive), of the given types (all when empty), after
     * {@code after} in the direction of the order, at most {@code limit} of them and at most
     * {@link #MAX_PAGE_BYTES} of JSON (but always at least one, so paging progresses).
     */
    Page search(Instant from, Instant to, Set<String> types, int limit, boolean ascending, PageKey after) {
        NavigableMap<PageKey, Stored> range = events.subMap(PageKey.first(from), true, PageKey.last(to), true);
        if (after != null) {
            range = ascending ? range.tailMap(after, false) : range.headMap(after, false);
        }
        List<EventUnstructured> items = new ArrayList<>();
        long bytes = 0;
        PageKey last = null;
        for (Stored stored : (ascending ? range : range.descendingMap()).values()) {
            if (!types.isEmpty() && !types.contains(stored.event().getType())) {
                continue;
            }
            if (items.size() == limit || (!items.isEmpty() && bytes + stored.jsonBytes() > MAX_PAGE_BYTES)) {
                return new Page(items, last.encode());
            }
            items.add(stored.event());
            bytes += stored.jsonBytes();
            last = stored.key();
        }
        return new Page(items, "");
    }

    private static Instant time(ObjectNode event) {
        String time = event.path("time").asText("");
        try {
            return OffsetDateTime.parse(time).toInstant();
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("event has no RFC 3339 time: \"" + time + "\"", e);
        }
    }

    private static int jsonBytes(ObjectNode event) {
        try {
            return JSON.writeValueAsBytes(event).length;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("event cannot be written as JSON", e);
        }
    }

    private static String sha256(ObjectNode event) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(JSON.writeValueAsBytes(event)));
        } catch (NoSuchAlgorithmException | JsonProcessingException e) {
            throw new IllegalStateException("cannot hash event", e);
        }
    }
}
