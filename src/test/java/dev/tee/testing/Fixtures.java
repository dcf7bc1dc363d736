package dev.tee.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** The upstream fixtures in ../shared/fixtures, read in place (the project ships none of them). */
public final class Fixtures {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Fixtures() {
    }

    public static Path dir() {
        String configured = System.getProperty("fixtures.dir");
        Path dir = configured != null ? Path.of(configured) : Path.of("../shared/fixtures");
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException("fixtures not found at " + dir.toAbsolutePath());
        }
        return dir;
    }

    public static Path file(String name) {
        return dir().resolve(name);
    }

    /** Lines of a fixture file, split on LF only (some hold U+2028, which other splitters break on). */
    public static List<String> lines(String name) {
        try {
            String text = Files.readString(file(name), StandardCharsets.UTF_8);
            List<String> lines = new ArrayList<>(List.of(text.split("\n", -1)));
            if (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
                lines.remove(lines.size() - 1);
            }
            return lines;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The 170 audit events exactly as in the fixture file (repeated uids and all), for a fake Teleport to serve. */
    public static List<ObjectNode> rawAuditEvents() {
        List<ObjectNode> events = new ArrayList<>();
        for (String line : lines("teleport-audit-events.jsonl")) {
            try {
                events.add((ObjectNode) JSON.readTree(line));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return events;
    }

    /**
     * The 170 audit events, with repeated uids made unique as a real cluster's are: the 2nd, 3rd...
     * use of a uid gets "-2", "-3"... (the rule the golden Fluentd recording used).
     */
    public static List<ObjectNode> auditEvents() {
        List<ObjectNode> events = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        for (String line : lines("teleport-audit-events.jsonl")) {
            try {
                ObjectNode event = (ObjectNode) JSON.readTree(line);
                if (event.hasNonNull("uid")) {
                    String uid = event.get("uid").asText();
                    int n = seen.merge(uid, 1, Integer::sum);
                    if (n > 1) {
                        event.put("uid", uid + "-" + n);
                    }
                }
                events.add(event);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return events;
    }
}
