package dev.tee.demo;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tee.teleport.proto.auditlog.EventUnstructured;
import io.grpc.Status;

/**
 * The fake cluster's uploaded session recordings, by session id, as StreamUnstructuredSessionEvents
 * serves them. A recording can be added at any time, since uploads reach Teleport asynchronously,
 * one stream of a recording can be made to fail midway, and a recording can be made unreadable.
 */
final class FakeRecordings {

    private final Map<String, List<EventUnstructured>> recordings = new ConcurrentHashMap<>();
    private final Map<String, Integer> cuts = new ConcurrentHashMap<>();
    private final Map<String, Status> broken = new ConcurrentHashMap<>();

    void add(SessionRecording recording) {
        List<EventUnstructured> events = recording.events().stream().map(FakeRecordings::served).toList();
        recordings.put(recording.sessionId(), events);
    }

    Optional<List<EventUnstructured>> events(String sessionId) {
        return Optional.ofNullable(recordings.get(sessionId));
    }

    /** Makes the next stream of {@code sessionId} fail after {@code afterEvents} events. */
    void cutOnce(String sessionId, int afterEvents) {
        cuts.put(sessionId, afterEvents);
    }

    /** Makes every stream of {@code sessionId} fail with {@code status} before its first event. */
    void breakRecording(String sessionId, Status status) {
        broken.put(sessionId, status);
    }

    /** The failure every stream of {@code sessionId} ends in, if it was broken. */
    Optional<Status> breakage(String sessionId) {
        return Optional.ofNullable(broken.get(sessionId));
    }

    /** The cut planned for the stream starting now, if any; it is used up. */
    Optional<Integer> takeCut(String sessionId) {
        return Optional.ofNullable(cuts.remove(sessionId));
    }

    private static EventUnstructured served(ObjectNode event) {
        String id = event.hasNonNull("uid") ? event.get("uid").asText() : FakeAuditLog.contentId(event);
        return FakeAuditLog.unstructured(event, id);
    }
}
