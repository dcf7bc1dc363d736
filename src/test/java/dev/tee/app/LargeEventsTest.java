package dev.tee.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tee.demo.DemoEnvironment;
import dev.tee.demo.SessionRecording;
import dev.tee.sink.s3.MinuteObject;
import dev.tee.testing.Downstream;
import dev.tee.testing.ExporterProcess;
import dev.tee.testing.GeneratedEvents;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backlog of large events (Teleport lets one reach 1 MiB: Kubernetes and database requests) within
 * a small heap. The readers' limit of events in flight alone lets them read 50,000 events ahead of the
 * output, far more than the heap holds at this size; their byte budget (an eighth of the heap) keeps
 * them within it, and the object writer, holding at most half of that budget in unfinished minutes,
 * never leaves reading waiting for room it will not give back.
 */
class LargeEventsTest {

    private static final int EVENTS = 400;
    private static final int EVENT_BYTES = 256 * 1024;
    private static final String HEAP = "-Xmx96m";
    private static final int SESSIONS = 5;
    private static final int PRINTS = 300;
    private static final int PRINT_BYTES = 48 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();
    /** forward.s3.session-prefix's default, under which the file output writes session objects. */
    private static final String SESSION_PREFIX = "teleport/sessions";

    // kept when the test fails: the exporter's log is in it
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    @Test
    void aBacklogOfLargeEventsIsExportedWholeWithinASmallHeap() throws Exception {
        Instant start = Instant.now().truncatedTo(ChronoUnit.SECONDS).minus(Duration.ofDays(2));
        // 100 events a minute: each minute weighs 25 MiB, twice the byte budget of this heap
        List<ObjectNode> events = GeneratedEvents.withoutUploads(11, start, Duration.ofMillis(600), EVENTS * 11 / 10)
                .subList(0, EVENTS);
        String query = "SELECT 1 -- " + "x".repeat(EVENT_BYTES);
        events.forEach(event -> event.put("db_query", query));
        List<String> ids = events.stream().map(event -> event.get("uid").asText()).toList();

        try (DemoEnvironment world = DemoEnvironment.start(dir, events, fluentd -> { });
             Downstream out = Downstream.file(dir.resolve("out"))) {
            Path config = world.writeConfig(out.runToTheEnd(start, 20));

            ExporterProcess exporter = ExporterProcess.start(List.of(HEAP, "-XX:+ExitOnOutOfMemoryError"), config,
                    dir.resolve("exporter.log"));
            int status = exporter.waitFor(Duration.ofMinutes(3));

            assertThat(status).as("exit status; log %s", dir.resolve("exporter.log")).isZero();
            List<String> arrived = out.ids();
            assertThat(arrived).as("every event once").hasSameSizeAs(ids)
                    .containsExactlyInAnyOrderElementsOf(ids);
            assertThat(arrived.stream().collect(Collectors.toSet())).hasSize(EVENTS);
        }
    }

    /**
     * Recordings of sessions that printed a lot (a `cat` of a large file, a build log), several at once:
     * each transfer gathers up to 4 MiB before it writes an object, and `concurrency` of them run side by
     * side, outside the audit log's byte budget unless they share one.
     */
    @Test
    void largeSessionRecordingsSideBySideFitASmallHeap() throws Exception {
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        Instant start = now.minus(Duration.ofHours(1));
        List<SessionRecording> recordings = new ArrayList<>();
        // and large audit events at the same time, in the audit log's own budget
        List<ObjectNode> audit = GeneratedEvents.withoutUploads(12, start, Duration.ofMillis(600), 220).subList(0, 200);
        String query = "SELECT 1 -- " + "x".repeat(EVENT_BYTES);
        audit.forEach(event -> event.put("db_query", query));
        List<ObjectNode> events = new ArrayList<>(audit);
        for (int i = 0; i < SESSIONS; i++) {
            SessionRecording recording = loudSession(100 + i, start.plus(Duration.ofMinutes(i)));
            recordings.add(recording);
            events.add(upload(recording.sessionId(), start.plus(Duration.ofMinutes(30 + i))));
        }

        try (DemoEnvironment world = DemoEnvironment.start(dir, events, fluentd -> { });
             Downstream out = Downstream.file(dir.resolve("out"))) {
            recordings.forEach(world.teleport()::addRecording);
            Map<String, String> settings = new HashMap<>(out.runToTheEnd(start, 20));
            settings.put("skip-session-types", "");
            settings.put("concurrency", Integer.toString(SESSIONS));
            Path config = world.writeConfig(settings);

            ExporterProcess exporter = ExporterProcess.start(List.of(HEAP, "-XX:+ExitOnOutOfMemoryError"), config,
                    dir.resolve("exporter.log"));
            int status = exporter.waitFor(Duration.ofMinutes(3));

            assertThat(status).as("exit status; log %s", dir.resolve("exporter.log")).isZero();
            List<String> auditIds = events.stream().map(event -> event.get("uid").asText()).toList();
            assertThat(auditIds(dir.resolve("out"))).as("every audit event once")
                    .containsExactlyInAnyOrderElementsOf(auditIds);
            for (SessionRecording recording : recordings) {
                assertThat(sessionIndexes(dir.resolve("out"), recording.sessionId())).as(recording.sessionId())
                        .containsExactlyElementsOf(LongStream.range(0, recording.events().size()).boxed().toList());
            }
        }
    }

    /** A session whose prints are large (random, so gzip cannot shrink them much): 19 MiB of events. */
    private static SessionRecording loudSession(long seed, Instant start) {
        SessionRecording plain = SessionRecording.synthetic(seed, start, PRINTS);
        Random random = new Random(seed);
        byte[] output = new byte[PRINT_BYTES];
        for (ObjectNode event : plain.events()) {
            if (event.path("event").asText().equals("print")) {
                random.nextBytes(output);
                event.put("data", Base64.getEncoder().encodeToString(output));
                event.put("bytes", PRINT_BYTES);
            }
        }
        return plain;
    }

    private static ObjectNode upload(String sessionId, Instant time) {
        return GeneratedEvents.upload(sessionId, time.toString(), "upload-" + sessionId);
    }

    /** The ids of the audit events in the objects outside the session prefix. */
    private static List<String> auditIds(Path out) throws IOException {
        Path sessionDir = out.resolve(SESSION_PREFIX);
        return lines(out, file -> !file.startsWith(sessionDir)).stream().map(line -> line.get("uid").asText()).toList();
    }

    /** The indexes ({@code ei}) of the session's events in the objects under the session prefix, in order. */
    private static List<Long> sessionIndexes(Path out, String sessionId) throws IOException {
        return lines(out.resolve(SESSION_PREFIX), file -> file.toString().contains(sessionId)).stream()
                .map(line -> line.get("ei").asLong()).sorted().toList();
    }

    /** Every line of the objects under {@code dir} that {@code which} picks. */
    private static List<JsonNode> lines(Path dir, Predicate<Path> which) throws IOException {
        List<JsonNode> lines = new ArrayList<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".gz") && which.test(f)).toList()) {
                for (String line : MinuteObject.lines(Files.readAllBytes(file))) {
                    lines.add(JSON.readTree(line));
                }
            }
        }
        return lines;
    }
}
