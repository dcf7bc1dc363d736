package dev.tee.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import java.util.stream.LongStream;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tee.config.ConfigException;
import dev.tee.demo.DemoEnvironment;
import dev.tee.demo.ReceivedEvent;
import dev.tee.demo.SessionRecording;
import dev.tee.event.AuditEvent;
import dev.tee.event.Batch;
import dev.tee.event.EventJson;
import dev.tee.sink.fluentd.BatchMode;
import dev.tee.sink.fluentd.FluentdConnections;
import dev.tee.sink.fluentd.FluentdSink;
import dev.tee.sink.fluentd.FluentdTls;
import dev.tee.teleport.IdentityFile;
import dev.tee.teleport.TeleportClient;
import dev.tee.testing.Fixtures;
import dev.tee.testing.FluentdRoute;
import dev.tee.testing.GeneratedEvents;
import io.grpc.Status;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Session recordings from a fake Teleport to the Fluentd stand-in, both real servers on 127.0.0.1. */
class SessionExporterTest {

    static final String SID = "037e2e3e-e6f5-11e9-a7ac-42010a80002b";
    static final String STREAM = "StreamUnstructuredSessionEvents";
    private static final Duration PATIENCE = Duration.ofSeconds(30);

    static SessionRecording npm;
    private static byte[] terminal;

    @TempDir
    Path dir;

    private DemoEnvironment world;
    private TeleportClient teleport;
    private FluentdRoute fluentd;
    private final List<SessionRoutes> exporters = new ArrayList<>();

    @BeforeAll
    static void loadFixture() throws Exception {
        npm = SessionRecording.fromFiles(Fixtures.file("teleport-session-events.jsonl"),
                Fixtures.file("teleport-session-npm.tty.stream"));
        terminal = Files.readAllBytes(Fixtures.file("teleport-session-npm.tty.stream"));
    }

    @BeforeEach
    void startServers() {
        world = DemoEnvironment.start(dir.resolve("world"), List.of(), builder -> { });
        teleport = new TeleportClient(world.teleport().address(), IdentityFile.load(world.dir().resolve("identity")));
        FluentdTls tls = FluentdTls.builder().ca(world.dir().resolve("fluentd-ca.crt"))
                .cert(world.dir().resolve("fluentd-client.crt")).key(world.dir().resolve("fluentd-client.key")).build();
        String url = world.fluentd().url("/" + DemoEnvironment.AUDIT_TAG);
        fluentd = FluentdRoute.start(new FluentdSink(tls, url, BatchMode.BATCH), tls, url, 4,
                FluentdConnections.RESPONSE_TIMEOUT, dir);
    }

    @AfterEach
    void stopAll() {
        exporters.forEach(SessionRoutes::stop);
        // every stream the exporter opened was ended or cancelled: none lingers on the server (#68275)
        await().atMost(PATIENCE).until(() -> world.teleport().openStreams() == 0);
        teleport.close();
        fluentd.close();
        world.close();
    }

    @Test
    void exportsTheFixtureRecordingInOrderToItsSessionTagWithoutPrintsByDefault() throws Exception {
        world.teleport().addRecording(npm);
        SessionRoutes sessions = exporter(settings(2, "print", "desktop.recording"));

        sessions.registerUploads(uploads(Instant.now(), SID));

        await().atMost(PATIENCE).until(() -> sessions.sessionsDone() == 1);
        List<ReceivedEvent> received = world.fluentd().events("session." + SID + ".log");
        assertThat(received).extracting(event -> event.record().get("event").asText())
                .containsExactly("session.start", "resize", "session.leave", "session.end");
        assertThat(indexes(SID)).containsExactly(0L, 1L, 864L, 865L);
        assertThat(received.get(0).json()).isEqualTo(json(npm.events().get(0)));
        assertThat(sessions.sessionEventsSent()).isEqualTo(4);
        assertThat(savedStates()).doesNotContainKey(SID);
        assertThat(sessions.idle()).isTrue();
    }

    @Test
    void exportsEveryPrintWithItsTerminalBytesWhenNothingIsSkipped() throws Exception {
        world.teleport().addRecording(npm);
        SessionRoutes sessions = exporter(settings(2));

        long started = System.nanoTime();
        sessions.registerUploads(uploads(Instant.now(), SID));
        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(5)).until(() -> sessions.sessionsDone() == 1);
        double seconds = (System.nanoTime() - started) / 1e9;
        System.out.printf("fixture recording, 866 session events to Fluentd in batches of 20: %.0f ms, %.0f events/s%n",
                seconds * 1000, 866 / seconds);

        List<ReceivedEvent> received = world.fluentd().events("session." + SID + ".log");
        assertThat(indexes(SID)).containsExactlyElementsOf(LongStream.range(0, 866).boxed().toList());
        for (int i = 2; i < 864; i++) {
            ObjectNode print = received.get(i).record();
            int offset = print.get("offset").asInt();
            byte[] data = Base64.getDecoder().decode(print.get("data").asText());
            assertThat(data).as("print %d", i)
                    .isEqualTo(Arrays.copyOfRange(terminal, offset, offset + print.get("bytes").asInt()));
        }
        assertThat(received).extracting(ReceivedEvent::json)
                .containsExactlyElementsOf(npm.events().stream().map(SessionExporterTest::json).toList());
    }

    @Test
    void resumesARecordingCutMidStreamFromItsIndex() throws Exception {
        world.teleport().addRecording(npm);
        world.teleport().cutRecordingOnce(SID, 310);
        SessionRoutes sessions = exporter(settings(1));

        sessions.registerUploads(uploads(Instant.now(), SID));

        await().atMost(PATIENCE).until(() -> sessions.sessionsDone() == 1);
        assertThat(indexes(SID)).containsExactlyElementsOf(LongStream.range(0, 866).boxed().toList());
        assertThat(world.teleport().calls(STREAM)).isEqualTo(2);
        assertThat(sessions.failedSessions()).isZero();
    }

    @Test
    void parksARecordingNotFoundYetAndExportsItOnceUploaded() throws Exception {
        SessionRoutes sessions = exporter(settings(1, "print"));

        sessions.registerUploads(uploads(Instant.now(), SID));

        await().atMost(PATIENCE).until(() -> sessions.missingSessions() == 1);
        assertThat(saved(SID).status()).isEqualTo(SessionState.Status.MISSING);
        assertThat(saved(SID).missingAttempts()).isEqualTo(1);
        assertThat(sessions.idle()).as("a missing recording does not hold up exit-on-last-event").isTrue();

        world.teleport().addRecording(npm);

        await().atMost(PATIENCE).until(() -> sessions.sessionsDone() == 1);
        assertThat(indexes(SID)).containsExactly(0L, 1L, 864L, 865L);
        assertThat(sessions.missingSessions()).isZero();
        assertThat(savedStates()).doesNotContainKey(SID);
    }

    @Test
    void givesUpARecordingStillNotFoundAfterThreeRetries() throws Exception {
        SessionRoutes sessions = exporter(settings(1).withMissingRetryInterval(Duration.ofMillis(20)));

        sessions.registerUploads(uploads(Instant.now(), SID));

        await().atMost(PATIENCE).until(() -> sessions.sessionsGivenUp() == 1);
        assertThat(world.teleport().calls(STREAM)).isEqualTo(4);
        assertThat(sessions.missingSessions()).isZero();
        assertThat(savedStates()).doesNotContainKey(SID);

        sessions.registerUploads(uploads(Instant.now(), SID));
        assertThat(sessions.backlog() + sessions.activeSessions()).as("given up for good").isZero();
        assertThat(world.teleport().calls(STREAM)).isEqualTo(4);
    }

    @Test
    void givesUpAtOnceARecordingNotFoundTwoDaysAfterItsUpload() throws Exception {
        SessionRoutes sessions = exporter(settings(1));

        sessions.registerUploads(uploads(Instant.now().minus(Duration.ofHours(49)), SID));

        await().atMost(PATIENCE).until(() -> sessions.sessionsGivenUp() == 1);
        assertThat(world.teleport().calls(STREAM)).isEqualTo(1);
    }

    @Test
    void setsABrokenRecordingAsideAndExportsTheOthers() throws Exception {
        String broken = "11111111-2222-4333-8444-555555555555";
        world.teleport().breakRecording(broken, Status.INTERNAL.withDescription("the recording is corrupt"));
        List<SessionRecording> healthy = IntStream.range(0, 3)
                .mapToObj(i -> SessionRecording.synthetic(i, Instant.parse("2024-05-01T10:00:00Z"), 5)).toList();
        healthy.forEach(world.teleport()::addRecording);
        SessionRoutes sessions = exporter(settings(1));

        List<String> ids = new ArrayList<>(List.of(broken));
        healthy.forEach(recording -> ids.add(recording.sessionId()));
        sessions.registerUploads(uploads(Instant.now(), ids.toArray(String[]::new)));

        await().atMost(PATIENCE).until(() -> sessions.sessionsDone() == 3 && sessions.failedSessions() == 1);
        for (SessionRecording recording : healthy) {
            assertThat(indexes(recording.sessionId())).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L);
        }
        assertThat(world.teleport().calls(STREAM)).as("three tries of the broken one, one of each other").isEqualTo(6);
        SessionState failed = saved(broken);
        assertThat(failed.status()).isEqualTo(SessionState.Status.FAILED);
        assertThat(failed.error()).contains("INTERNAL").contains("the recording is corrupt");
        assertThat(sessions.idle()).isTrue();
    }

    @Test
    void aSessionSetAsideIsTriedAgainAtTheNextStart() throws Exception {
        world.teleport().addRecording(npm);
        world.teleport().failNext(STREAM, 3, Status.PERMISSION_DENIED.withDescription("access denied to session"));
        SessionRoutes first = exporter(settings(1, "print"));
        first.registerUploads(uploads(Instant.now(), SID));
        await().atMost(PATIENCE).until(() -> first.failedSessions() == 1);
        assertThat(saved(SID).error()).contains("the exporter's role needs rules for resources event and session");
        first.stop();

        SessionRoutes second = exporter(settings(1, "print"));

        await().atMost(PATIENCE).until(() -> second.sessionsDone() == 1);
        assertThat(indexes(SID)).containsExactly(0L, 1L, 864L, 865L);
    }

    @Test
    void aRecordingStillMissingAtAStopIsAskedForAgainAtTheNextStart() throws Exception {
        SessionRoutes first = exporter(settings(1, "print").withMissingRetryInterval(Duration.ofHours(1)));
        first.registerUploads(uploads(Instant.now(), SID));
        await().atMost(PATIENCE).until(() -> first.missingSessions() == 1);
        first.stop();
        world.teleport().addRecording(npm);

        // an hour later (here: with a retry interval that has passed already), e.g. the next cron run
        SessionRoutes second = exporter(settings(1, "print").withMissingRetryInterval(Duration.ZERO));

        await().atMost(PATIENCE).until(() -> second.sessionsDone() == 1);
        assertThat(indexes(SID)).containsExactly(0L, 1L, 864L, 865L);
        assertThat(world.teleport().calls(STREAM)).isEqualTo(2);
    }

    @Test
    void registrationBlocksWhileTheBacklogIsFullAndGoesOnOnceThereIsRoom() throws Exception {
        List<SessionRecording> recordings = IntStream.range(0, 18)
                .mapToObj(i -> SessionRecording.synthetic(100 + i, Instant.parse("2024-05-01T10:00:00Z"), 2)).toList();
        recordings.forEach(world.teleport()::addRecording);
        SessionRoutes sessions = exporter(settings(1));
        world.fluentd().failNext(Integer.MAX_VALUE, 503); // the only worker waits out the outage

        sessions.registerUploads(uploads(Instant.now(), recordings.get(0).sessionId()));
        await().atMost(PATIENCE).until(() -> sessions.activeSessions() == 1);
        sessions.registerUploads(uploads(Instant.now(), recordings.subList(1, 17).stream()
                .map(SessionRecording::sessionId).toArray(String[]::new)));
        assertThat(sessions.backlog()).isEqualTo(16);

        CompletableFuture<Void> eighteenth = CompletableFuture.runAsync(() -> {
            try {
                sessions.registerUploads(uploads(Instant.now(), recordings.get(17).sessionId()));
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        await().atMost(PATIENCE).until(() -> sessions.blockedRegistrations() == 1);
        assertThat(eighteenth).isNotDone();
        assertThat(savedStates()).as("saved while it waits for a place").containsKey(recordings.get(17).sessionId());

        world.fluentd().clearFaults();

        eighteenth.get();
        await().atMost(PATIENCE).until(() -> sessions.sessionsDone() == 18);
        for (SessionRecording recording : recordings) {
            assertThat(indexes(recording.sessionId())).containsExactly(0L, 1L, 2L, 3L);
        }
        assertThat(sessions.failedSessions()).isZero();
    }

    @Test
    void waitsOutAFluentdOutageAndDeliversEveryEventOnce() throws Exception {
        world.teleport().addRecording(npm);
        world.fluentd().failNext(6, 503);
        SessionRoutes sessions = exporter(settings(1));

        sessions.registerUploads(uploads(Instant.now(), SID));

        await().atMost(PATIENCE).until(() -> sessions.sessionsDone() == 1);
        assertThat(indexes(SID)).containsExactlyElementsOf(LongStream.range(0, 866).boxed().toList());
        assertThat(sessions.failedSessions()).isZero();
        assertThat(fluentd.sink().requestsFailed()).isEqualTo(6);
        assertThat(sessions.retries()).as("retries counted by session-errors' onRedeliveryRef").isPositive();
    }

    @Test
    void aStopSavesTheIndexAndTheNextStartResumesWithoutRepeats() throws Exception {
        SessionRecording long1 = SessionRecording.synthetic(42, Instant.parse("2024-05-01T10:00:00Z"), 3000);
        world.teleport().addRecording(long1);
        world.fluentd().latency(Duration.ofMillis(3));
        SessionRoutes first = exporter(settings(1));

        first.registerUploads(uploads(Instant.now(), long1.sessionId()));
        await().atMost(PATIENCE).until(() -> indexes(long1.sessionId()).size() >= 500);
        first.stop();

        int delivered = indexes(long1.sessionId()).size();
        assertThat(delivered).isLessThan(3002);
        assertThat(saved(long1.sessionId()).nextIndex()).isEqualTo(delivered);
        await().atMost(PATIENCE).until(() -> world.teleport().openStreams() == 0);

        world.fluentd().clearFaults();
        SessionRoutes second = exporter(settings(1));
        await().atMost(PATIENCE).until(() -> second.sessionsDone() == 1);
        assertThat(indexes(long1.sessionId())).containsExactlyElementsOf(LongStream.range(0, 3002).boxed().toList());
    }

    @Test
    void aReplayedUploadRegistersNothingTwice() throws Exception {
        world.teleport().addRecording(npm);
        SessionRoutes sessions = exporter(settings(1, "print"));

        sessions.registerUploads(uploads(Instant.now(), SID, SID));
        sessions.registerUploads(uploads(Instant.now(), SID));
        await().atMost(PATIENCE).until(() -> sessions.sessionsDone() == 1);
        sessions.registerUploads(uploads(Instant.now(), SID));
        sessions.stop();

        SessionRoutes restarted = exporter(settings(1, "print"));
        restarted.registerUploads(uploads(Instant.now(), SID));

        assertThat(restarted.backlog() + restarted.activeSessions()).isZero();
        assertThat(indexes(SID)).containsExactly(0L, 1L, 864L, 865L);
        assertThat(world.teleport().calls(STREAM)).isEqualTo(1);
    }

    @Test
    void ignoresUploadEventsWithoutAUsableSessionId() throws Exception {
        SessionRoutes sessions = exporter(settings(1));
        ObjectNode noSid = upload(Instant.now(), SID);
        noSid.remove("sid");
        ObjectNode pathSid = upload(Instant.now(), "../../etc");

        sessions.registerUploads(new Batch(List.of(event(noSid), event(pathSid))));

        assertThat(sessions.backlog() + sessions.activeSessions()).isZero();
        assertThat(savedStates()).isEmpty();
    }

    @Test
    void aCorruptSessionFileOfAnEarlierVersionStopsTheStartWithAClearMessage() throws Exception {
        Path file = store().dir().resolve(SID + ".json");
        Files.createDirectories(file.getParent());
        Files.writeString(file, "{\"sessionId\":");
        SessionExporter sessions = new SessionExporter(settings(1), store(), teleport,
                new FluentdSessionOutput(fluentd.inlet(), world.fluentd().url("/session"), 20), Clock.systemUTC());

        assertThatThrownBy(sessions::start).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("storage: " + file + " is corrupt");
        assertThat(file).hasContent("{\"sessionId\":");
    }

    // ---- helpers ----------------------------------------------------------------------------

    private SessionRoutes exporter(SessionSettings settings) {
        SessionRoutes sessions = SessionRoutes.start(new SessionExporter(settings, store(), teleport,
                new FluentdSessionOutput(fluentd.inlet(), world.fluentd().url("/session"), 20), Clock.systemUTC()),
                settings.concurrency());
        exporters.add(sessions);
        return sessions;
    }

    private SessionStore store() {
        return new SessionStore(dir.resolve("state").resolve("sessions"));
    }

    /** What storage holds now, by session id (read as the next start would). */
    private Map<String, SessionState> savedStates() {
        return store().read(new ArrayList<>());
    }

    private SessionState saved(String sessionId) {
        SessionState state = savedStates().get(sessionId);
        assertThat(state).as("the saved state of " + sessionId).isNotNull();
        return state;
    }

    /** Short pauses, so that retries happen within a test. */
    static SessionSettings settings(int concurrency, String... skipTypes) {
        return SessionSettings.of(concurrency, List.of(skipTypes))
                .withMissingRetryInterval(Duration.ofMillis(200))
                .withErrorBackoff(Duration.ofMillis(10), Duration.ofMillis(50))
                .withOutageBackoff(Duration.ofMillis(10), Duration.ofMillis(100));
    }

    private List<Long> indexes(String sessionId) {
        return world.fluentd().events("session." + sessionId + ".log").stream()
                .map(event -> event.record().get("ei").asLong()).toList();
    }

    /** A batch of session.upload audit events as the routes hand it over. */
    static Batch uploads(Instant time, String... sessionIds) {
        List<AuditEvent> events = new ArrayList<>();
        for (String sessionId : sessionIds) {
            events.add(event(upload(time, sessionId)));
        }
        return new Batch(events);
    }

    static ObjectNode upload(Instant time, String sessionId) {
        return GeneratedEvents.upload(sessionId, time.truncatedTo(ChronoUnit.MILLIS).toString(),
                UUID.randomUUID().toString());
    }

    static AuditEvent event(ObjectNode json) {
        return new AuditEvent(json.path("uid").asText(UUID.randomUUID().toString()), json.get("event").asText(),
                Instant.parse(json.get("time").asText()), json.path("ei").asLong(), EventJson.toStruct(json));
    }

    /** The event as the Go handler posts it: the Struct Teleport sends, in protojson's form. */
    static String json(ObjectNode event) {
        return new String(EventJson.goJson(EventJson.toStruct(event)), java.nio.charset.StandardCharsets.UTF_8);
    }
}
