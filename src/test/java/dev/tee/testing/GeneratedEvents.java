package dev.tee.testing;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tee.demo.EventGenerator;

/** The demo's generated audit events for tests that want no session recordings. */
public final class GeneratedEvents {

    private GeneratedEvents() {
    }

    /**
     * The generator's first {@code count} events (from {@code from}, one every {@code spacing}) less its
     * session.upload events, about 4 %: the exporter would ask the fake Teleport for their recordings,
     * and wait for them.
     */
    public static List<ObjectNode> withoutUploads(long seed, Instant from, Duration spacing, int count) {
        List<ObjectNode> events = new ArrayList<>(new EventGenerator(seed, from, spacing).generate(count));
        events.removeIf(event -> event.get("event").asText().equals("session.upload"));
        return events;
    }

    /** The session.upload Teleport writes once a session's recording is stored. */
    public static ObjectNode upload(String sessionId, String time, String uid) {
        ObjectNode event = JsonNodeFactory.instance.objectNode();
        event.put("cluster_name", "demo.example.com");
        event.put("code", "T2005I");
        event.put("ei", 2147483647L);
        event.put("event", "session.upload");
        event.put("sid", sessionId);
        event.put("time", time);
        event.put("uid", uid);
        event.put("url", "s3://recordings/" + sessionId);
        return event;
    }
}
