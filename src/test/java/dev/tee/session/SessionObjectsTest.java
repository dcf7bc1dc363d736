package dev.tee.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.LongStream;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tee.demo.FakeTeleport;
import dev.tee.demo.SessionRecording;
import dev.tee.event.AuditEvent;
import dev.tee.event.Batch;
import dev.tee.event.EventJson;
import dev.tee.sink.DeadLetter;
import dev.tee.sink.s3.DirectoryObjectStore;
import dev.tee.sink.s3.MinuteObject;
import dev.tee.sink.s3.ObjectStore;
import dev.tee.sink.s3.PantherLine;
import dev.tee.sink.s3.S3ObjectStore;
import dev.tee.state.StateFile;
import dev.tee.teleport.IdentityFile;
import dev.tee.teleport.TeleportClient;
import dev.tee.testing.S3ProxyServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Session recordings as objects under the session prefix, in a directory (output=file) and in S3Proxy (s3). */
class SessionObjectsTest {

    private static final Duration PATIENCE = Duration.ofSeconds(30);
    private static final String PREFIX = "teleport/sessions/";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String BUCKET = "recordings";

    private static S3ProxyServer s3;

    @TempDir
    Path dir;

    private FakeTeleport fake;
    private TeleportClient teleport;
    private ObjectStore store;
    private final List<SessionRoutes> exporters = new ArrayList<>();
    /** What the session objects hand to the dead-letter route. */
    private final List<DeadLetter> deadLetters = new CopyOnWriteArrayList<>();

    @AfterAll
    static void stopS3() {
        if (s3 != null) {
            s3.close();
        }
    }

    @BeforeEach
    void start() {
        fake = FakeTeleport.builder().start();
        Path identity = fake.writeIdentityFile(dir.resolve("identity"), "teleport-event-exporter", Duration.ofHours(1));
        teleport = new TeleportClient(fake.address(), IdentityFile.load(identity));
        store = new DirectoryObjectStore(dir.resolve("out"));
    }

    @AfterEach
    void stop() {
        exporters.forEach(SessionRoutes::stop);
        await().atMost(PATIENCE).until(() -> fake.openStreams() == 0);
        teleport.close();
        fake.close();
        if (store instanceof S3ObjectStore bucket) {
            bucket.close();
        }
    }

    @Test
    void writesARecordingAsObjectsOfAThousandEventsUnderTheSessionPrefix() throws Exception {
        SessionRecording recording = SessionRecording.synthetic(7, Instant.parse("2024-05-01T10:00:00Z"), 2500);
        fake.addRecording(recording);
        SessionObjects objects = objects();
        SessionRoutes sessions = exporter(objects);

        sessions.registerUploads(SessionExporterTest.uploads(Instant.now(), recording.sessionId()));

        await().atMost(PATIENCE).until(() -> sessions.sessionsDone() == 1);
        String sid = recording.sessionId();
        assertThat(keys()).containsExactly(PREFIX + sid + "/0000000000.gz", PREFIX + sid + "/0000001000.gz",
                PREFIX + sid + "/0000002000.gz");
        List<String> lines = lines();
        assertThat(lines).hasSize(2502);
        for (int i = 0; i < lines.size(); i++) {
            ObjectNode event = recording.events().get(i);
            assertThat(lines.get(i)).as("line %d", i)
                    .isEqualTo(PantherLine.of(SessionExporterTest.event(event), Instant.EPOCH).toString());
        }
        assertThat(objects.objectsWritten()).isEqualTo(3);
    }

    @ParameterizedTest
    @ValueSource(strings = {"file", "s3"})
    void aReplayAfterACrashFindsEveryObjectWrittenAndWritesNothingTwice(String output) throws Exception {
        if (output.equals("s3")) {
            useS3();
        }
        SessionRecording recording = SessionRecording.synthetic(8, Instant.parse("2024-05-01T10:00:00Z"), 2500);
        fake.addRecording(recording);
        String sid = recording.sessionId();
        SessionRoutes first = exporter(objects());
        first.registerUploads(SessionExporterTest.uploads(Instant.now(), sid));
        await().atMost(PATIENCE).until(() -> first.sessionsDone() == 1);
        first.stop();
        List<String> keys = keys();
        List<byte[]> bodies = new ArrayList<>();
        for (String key : keys) {
            bodies.add(store.get(key).orElseThrow());
        }

        // the state a crash leaves right after the last object was written: the session registered,
        // its index saved at 0 (saves come once a second), not yet finished
        Path sessionsDir = dir.resolve("state").resolve("sessions");
        Files.delete(sessionsDir.resolve("finished-ids"));
        StateFile<SessionState> state = new StateFile<>(sessionsDir.resolve(sid + ".json"), SessionState.class);
        state.update(new SessionState(sid, 0, SessionState.Status.QUEUED, 0, Instant.now(), null, null));
        state.flush();

        SessionObjects replay = objects();
        SessionRoutes second = exporter(replay);
        await().atMost(PATIENCE).until(() -> second.sessionsDone() == 1);

        assertThat(replay.objectsWritten()).isZero();
        assertThat(replay.objectsFoundWritten()).isEqualTo(3);
        assertThat(keys()).isEqualTo(keys);
        for (int i = 0; i < keys.size(); i++) {
            assertThat(store.get(keys.get(i)).orElseThrow()).isEqualTo(bodies.get(i));
        }
        assertThat(lines()).extracting(line -> JSON.readTree(line).get("ei").asLong())
                .containsExactlyElementsOf(LongStream.range(0, 2502).boxed().toList());
    }

    @Test
    void aSessionEventWhoseTimePantherCannotReadGoesToTheDeadLettersBeforeItsObjectIsWritten() throws Exception {
        AuditEvent bad = new AuditEvent("bad", "print", Instant.EPOCH, 5,
                EventJson.toStruct(JSON.readTree("{\"event\":\"print\",\"ei\":5,\"time\":1694}")));
        AuditEvent good = new AuditEvent("good", "print", Instant.EPOCH, 6,
                EventJson.toStruct(JSON.readTree("{\"event\":\"print\",\"ei\":6,\"time\":\"2024-05-01T10:00:00Z\"}")));
        objects().deliver("sid-1", new Batch(List.of(bad, good)));

        String key = PREFIX + "sid-1/0000000005.gz";
        assertThat(deadLetters).singleElement().satisfies(letter -> {
            assertThat(letter.status()).isEqualTo(400);
            assertThat(letter.response()).contains("value must be string: 1694");
            assertThat(letter.url()).isEqualTo(key);
            assertThat(letter.event()).isEqualTo(new String(bad.json(), StandardCharsets.UTF_8));
        });
        assertThat(keys()).containsExactly(key);
        assertThat(lines()).singleElement().asString().contains("\"ei\":6");
    }

    @Test
    void skippedPrintsLeaveOneSmallObject() throws Exception {
        SessionRecording recording = SessionRecording.synthetic(9, Instant.parse("2024-05-01T10:00:00Z"), 300);
        fake.addRecording(recording);
        SessionRoutes sessions = SessionRoutes.start(new SessionExporter(SessionExporterTest.settings(1, "print"),
                new SessionStore(dir.resolve("state").resolve("sessions")), teleport, objects(), Clock.systemUTC()), 1);
        exporters.add(sessions);

        sessions.registerUploads(SessionExporterTest.uploads(Instant.now(), recording.sessionId()));

        await().atMost(PATIENCE).until(() -> sessions.sessionsDone() == 1);
        assertThat(keys()).containsExactly(PREFIX + recording.sessionId() + "/0000000000.gz");
        assertThat(lines()).extracting(line -> JSON.readTree(line).get("event").asText())
                .containsExactly("session.start", "session.end");
    }

    private SessionObjects objects() {
        return new SessionObjects(store, PREFIX, deadLetters::add, Clock.systemUTC());
    }

    private SessionRoutes exporter(SessionObjects objects) {
        SessionRoutes sessions = SessionRoutes.start(new SessionExporter(SessionExporterTest.settings(1),
                new SessionStore(dir.resolve("state").resolve("sessions")), teleport, objects, Clock.systemUTC()), 1);
        exporters.add(sessions);
        return sessions;
    }

    private void useS3() {
        if (s3 == null) {
            s3 = S3ProxyServer.start();
            s3.createBucket(BUCKET);
        }
        store = S3ObjectStore.open(s3.settings(BUCKET));
    }

    private List<String> keys() throws Exception {
        if (store instanceof S3ObjectStore) {
            return s3.keys(BUCKET, PREFIX).stream().sorted().toList();
        }
        Path root = ((DirectoryObjectStore) store).root();
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(Files::isRegularFile).map(file -> root.relativize(file).toString()).sorted().toList();
        }
    }

    /** Every line of every object, in key order. */
    private List<String> lines() throws Exception {
        List<String> lines = new ArrayList<>();
        for (String key : keys()) {
            lines.addAll(MinuteObject.lines(store.get(key).orElseThrow()));
        }
        return lines;
    }
}
