package dev.tee.demo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.UUID;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One recorded session as the Auth Service streams it: its id and its events in recorded order, with
 * the terminal output of each {@code print} event in {@code data} (base64, standard alphabet), the
 * field Teleport adds when it serves a recording (teleport-wire.md §1.1).
 */
public record SessionRecording(String sessionId, List<ObjectNode> events) {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final String[] COMMANDS = {"ls -la", "cat /etc/os-release", "uptime", "df -h", "ps aux | head",
            "tail -n 20 /var/log/syslog", "git status", "kubectl get pods -n payments"};

    public SessionRecording {
        events = List.copyOf(events);
    }

    /**
     * Reads a recording kept as Teleport's web UI keeps its player fixtures: the events as JSON lines
     * ({@code print} events carry {@code offset} and {@code bytes} but no terminal bytes) and the raw
     * terminal stream the print events are slices of. Each print event gets {@code data} = base64 of
     * the bytes [offset, offset + bytes) of the stream. The session id is the first {@code sid} found.
     */
    public static SessionRecording fromFiles(Path eventsJsonLines, Path terminalStream) {
        byte[] terminal;
        String text;
        try {
            terminal = Files.readAllBytes(terminalStream);
            text = Files.readString(eventsJsonLines, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read recording " + eventsJsonLines, e);
        }
        List<ObjectNode> events = new ArrayList<>();
        String sessionId = null;
        int lineNumber = 0;
        // split on LF only: event strings may hold U+2028, which other line splitters break on
        for (String line : text.split("\n")) {
            lineNumber++;
            if (line.isBlank()) {
                continue;
            }
            ObjectNode event = parse(line, eventsJsonLines, lineNumber);
            if (sessionId == null && event.hasNonNull("sid")) {
                sessionId = event.get("sid").asText();
            }
            if ("print".equals(event.path("event").asText())) {
                long offset = event.path("offset").asLong(-1);
                long bytes = event.path("bytes").asLong(-1);
                if (offset < 0 || bytes < 0 || offset + bytes > terminal.length) {
                    throw new IllegalArgumentException(eventsJsonLines + " line " + lineNumber + ": print event slice ["
                            + offset + ", " + (offset + bytes) + ") is outside " + terminalStream + " ("
                            + terminal.length + " bytes)");
                }
                event.put("data", Base64.getEncoder().encodeToString(
                        Arrays.copyOfRange(terminal, (int) offset, (int) (offset + bytes))));
            }
            events.add(event);
        }
        if (sessionId == null) {
            throw new IllegalArgumentException(eventsJsonLines + ": no event has a sid");
        }
        return new SessionRecording(sessionId, events);
    }

    /**
     * A made-up interactive SSH session for the demo and volume tests: session.start, {@code prints}
     * print events of shell output (with {@code data}), session.end; indexes 0..prints+1, a few
     * hundred milliseconds apart from {@code start}. Deterministic for a given seed.
     */
    public static SessionRecording synthetic(long seed, Instant start, int prints) {
        Random random = new Random(seed);
        String sessionId = uuid(random);
        String user = "alice@example.com";
        String login = "ubuntu";
        String serverId = uuid(random);
        List<ObjectNode> events = new ArrayList<>(prints + 2);
        ObjectNode begin = metadata("session.start", "T2000I", 0, start, uuid(random), sessionId, user, login,
                serverId);
        begin.put("addr.local", "10.0.1.17:3022");
        begin.put("addr.remote", "203.0.113.9:51234");
        begin.put("size", "80:25");
        events.add(begin);
        Instant time = start;
        long offset = 0;
        for (int i = 0; i < prints; i++) {
            time = time.plusMillis(20 + random.nextInt(400));
            byte[] output = output(random);
            ObjectNode print = NODES.objectNode();
            print.put("bytes", output.length);
            print.put("ci", i);
            print.put("data", Base64.getEncoder().encodeToString(output));
            print.put("ei", i + 1);
            print.put("event", "print");
            print.put("ms", Duration.between(start, time).toMillis());
            print.put("offset", offset);
            print.put("time", DateTimeFormatter.ISO_INSTANT.format(time));
            offset += output.length;
            events.add(print);
        }
        Instant stop = time.plusMillis(50);
        ObjectNode end = metadata("session.end", "T2004I", prints + 1, stop, uuid(random), sessionId, user, login,
                serverId);
        end.put("interactive", true);
        end.putArray("participants").add(user);
        end.put("session_start", DateTimeFormatter.ISO_INSTANT.format(start));
        end.put("session_stop", DateTimeFormatter.ISO_INSTANT.format(stop));
        events.add(end);
        return new SessionRecording(sessionId, events);
    }

    /** The same recording under another session id (each event's {@code sid} replaced where it has one). */
    public SessionRecording withSessionId(String newSessionId) {
        List<ObjectNode> renamed = new ArrayList<>(events.size());
        for (ObjectNode event : events) {
            ObjectNode copy = event.deepCopy();
            if (copy.has("sid")) {
                copy.put("sid", newSessionId);
            }
            renamed.add(copy);
        }
        return new SessionRecording(newSessionId, renamed);
    }

    private static ObjectNode metadata(String type, String code, long index, Instant time, String uid, String sessionId,
            String user, String login, String serverId) {
        ObjectNode event = NODES.objectNode();
        event.put("cluster_name", FakeTeleport.DEFAULT_CLUSTER_NAME);
        event.put("code", code);
        event.put("ei", index);
        event.put("event", type);
        event.put("login", login);
        event.put("namespace", "default");
        event.put("server_id", serverId);
        event.put("sid", sessionId);
        event.put("time", DateTimeFormatter.ISO_INSTANT.format(time));
        event.put("uid", uid);
        event.put("user", user);
        return event;
    }

    /** A prompt and a command, or a few lines of its output, as a terminal receives them. */
    private static byte[] output(Random random) {
        StringBuilder text = new StringBuilder();
        if (random.nextInt(4) == 0) {
            text.append("ubuntu@ip-10-0-1-17:~$ ").append(COMMANDS[random.nextInt(COMMANDS.length)]).append("\r\n");
        } else {
            int lines = 1 + random.nextInt(4);
            for (int i = 0; i < lines; i++) {
                int width = 10 + random.nextInt(60);
                for (int c = 0; c < width; c++) {
                    text.append((char) ('a' + random.nextInt(26)));
                }
                text.append("\r\n");
            }
        }
        return text.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static String uuid(Random random) {
        long high = (random.nextLong() & ~0xF000L) | 0x4000L;
        long low = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new UUID(high, low).toString();
    }

    private static ObjectNode parse(String line, Path file, int lineNumber) {
        try {
            JsonNode node = JSON.readTree(line);
            if (!(node instanceof ObjectNode object)) {
                throw new IllegalArgumentException(file + " line " + lineNumber + ": not a JSON object");
            }
            return object;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(file + " line " + lineNumber + ": not JSON: " + e.getOriginalMessage(),
                    e);
        }
    }
}
