package dev.tee.demo;

import static dev.tee.testing.RawTwins.full;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.stream.LongStream;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Value;
import dev.tee.teleport.proto.raw.RawEvent;
import dev.tee.teleport.IdentityFile;
import dev.tee.teleport.ServerStream;
import dev.tee.teleport.TeleportClient;
import dev.tee.teleport.TeleportException;
import dev.tee.teleport.proto.auditlog.EventUnstructured;
import dev.tee.testing.Fixtures;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** StreamUnstructuredSessionEvents as the fake serves uploaded recordings. */
class FakeTeleportSessionsTest {

    private static final String SID = "037e2e3e-e6f5-11e9-a7ac-42010a80002b";

    private static SessionRecording npm;
    private static byte[] terminal;

    @TempDir
    Path dir;

    private final List<AutoCloseable> resources = new ArrayList<>();

    @BeforeAll
    static void loadFixture() throws Exception {
        npm = SessionRecording.fromFiles(Fixtures.file("teleport-session-events.jsonl"),
                Fixtures.file("teleport-session-npm.tty.stream"));
        terminal = Files.readAllBytes(Fixtures.file("teleport-session-npm.tty.stream"));
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    @Test
    void fixtureRecordingStreamsCompleteInOrderWithTheTerminalBytesOfEachPrint() {
        FakeTeleport fake = start(FakeTeleport.builder().recording(npm));

        List<EventUnstructured> events = readAll(connect(fake), SID, 0);

        assertThat(events).hasSize(866);
        assertThat(events).extracting(EventUnstructured::getIndex)
                .containsExactlyElementsOf(LongStream.range(0, 866).boxed().toList());
        assertThat(events.get(0).getType()).isEqualTo("session.start");
        assertThat(events.get(1).getType()).isEqualTo("resize");
        assertThat(events.subList(2, 864)).extracting(EventUnstructured::getType).containsOnly("print");
        assertThat(events.get(864).getType()).isEqualTo("session.leave");
        assertThat(events.get(865).getType()).isEqualTo("session.end");
        ByteArrayOutputStream replay = new ByteArrayOutputStream();
        for (EventUnstructured print : events.subList(2, 864)) {
            int offset = (int) number(print, "offset");
            int bytes = (int) number(print, "bytes");
            byte[] data = Base64.getDecoder().decode(print.getUnstructured().getFieldsOrThrow("data").getStringValue());
            assertThat(data).as("print %d", print.getIndex()).isEqualTo(Arrays.copyOfRange(terminal, offset, offset + bytes));
            replay.writeBytes(data);
        }
        assertThat(replay.toByteArray()).hasSize(163_019).isEqualTo(terminal);
        assertThat(events.get(0).getId()).isEqualTo("05ed8457-7650-425f-94bf-5fbecc6b5567");
        assertThat(events.subList(2, 864)).extracting(EventUnstructured::getId).doesNotHaveDuplicates()
                .allSatisfy(id -> assertThat(id).matches("[0-9a-f]{64}"));
        assertThat(fake.openStreams()).isZero();
    }

    @Test
    void startIndexResumesTheRecording() {
        TeleportClient client = connect(start(FakeTeleport.builder().recording(npm)));

        assertThat(readAll(client, SID, 500)).extracting(EventUnstructured::getIndex)
                .containsExactlyElementsOf(LongStream.range(500, 866).boxed().toList());
        assertThat(readAll(client, SID, 865)).extracting(EventUnstructured::getType).containsExactly("session.end");
        assertThat(readAll(client, SID, 866)).isEmpty();
    }

    @Test
    void recordingIsNotFoundUntilItIsUploaded() {
        FakeTeleport fake = start(FakeTeleport.builder());
        TeleportClient client = connect(fake);

        assertThatThrownBy(() -> readAll(client, SID, 0)).isInstanceOfSatisfying(TeleportException.class,
                e -> assertThat(e.isNotFound()).isTrue())
                .hasMessage("Teleport StreamUnstructuredSessionEvents failed (NOT_FOUND): session recording " + SID
                        + " is not found");

        fake.addRecording(npm);

        assertThat(readAll(client, SID, 0)).hasSize(866);
    }

    @Test
    void closingAStreamMidwayLeavesNoStreamOpenOnTheServer() {
        // megabytes of terminal output: more than gRPC's flow-control window, so the server waits on the reader
        SessionRecording large = SessionRecording.synthetic(3, Instant.parse("2024-05-01T10:00:00Z"), 30_000);
        FakeTeleport fake = start(FakeTeleport.builder().recording(large));
        TeleportClient client = connect(fake);

        try (ServerStream<RawEvent> first = client.streamSessionEvents(large.sessionId(), 0);
                ServerStream<RawEvent> second = client.streamSessionEvents(large.sessionId(), 0)) {
            first.next();
            second.next();
            assertThat(fake.openStreams()).isEqualTo(2);
            first.close();
            await().atMost(Duration.ofSeconds(10)).until(() -> fake.openStreams() == 1);
        }

        await().atMost(Duration.ofSeconds(10)).until(() -> fake.openStreams() == 0);
    }

    @Test
    void streamCutOnceResumesFromTheNextIndex() {
        FakeTeleport fake = start(FakeTeleport.builder().recording(npm));
        TeleportClient client = connect(fake);
        fake.cutRecordingOnce(SID, 100);
        List<EventUnstructured> read = new ArrayList<>();

        try (ServerStream<RawEvent> stream = client.streamSessionEvents(SID, 0)) {
            assertThatThrownBy(() -> stream.forEachRemaining(event -> read.add(full(event)))).isInstanceOfSatisfying(TeleportException.class,
                    e -> assertThat(e.isRetryable()).isTrue())
                    .hasMessageEndingWith("session stream cut midway (fault injection)");
        }
        int next = (int) read.get(read.size() - 1).getIndex() + 1;
        read.addAll(readAll(client, SID, next));

        assertThat(next).isEqualTo(100);
        assertThat(read).extracting(EventUnstructured::getIndex)
                .containsExactlyElementsOf(LongStream.range(0, 866).boxed().toList());
        assertThat(fake.openStreams()).isZero();
    }

    @Test
    void syntheticRecordingsAreWholeSessionsWithTerminalOutput() {
        Instant start = Instant.parse("2024-05-01T10:00:00Z");
        SessionRecording recording = SessionRecording.synthetic(5, start, 40);

        List<ObjectNode> events = recording.events();
        assertThat(events).hasSize(42);
        assertThat(events).extracting(event -> event.get("ei").asLong())
                .containsExactlyElementsOf(LongStream.range(0, 42).boxed().toList());
        assertThat(events.get(0).get("event").asText()).isEqualTo("session.start");
        assertThat(events.get(41).get("event").asText()).isEqualTo("session.end");
        assertThat(List.of(events.get(0), events.get(41)))
                .allSatisfy(event -> assertThat(event.get("sid").asText()).isEqualTo(recording.sessionId()));
        long offset = 0;
        for (ObjectNode print : events.subList(1, 41)) {
            assertThat(print.get("event").asText()).isEqualTo("print");
            byte[] data = Base64.getDecoder().decode(print.get("data").asText());
            assertThat(data).hasSize(print.get("bytes").asInt());
            assertThat(print.get("offset").asLong()).isEqualTo(offset);
            offset += data.length;
        }
        assertThat(SessionRecording.synthetic(5, start, 40)).isEqualTo(recording);
        assertThat(SessionRecording.synthetic(6, start, 40).sessionId()).isNotEqualTo(recording.sessionId());

        FakeTeleport fake = start(FakeTeleport.builder());
        fake.addRecording(recording);
        assertThat(readAll(connect(fake), recording.sessionId(), 0)).hasSize(42);
    }

    @Test
    void printSliceOutsideTheTerminalStreamIsReported() throws Exception {
        Path events = Files.writeString(dir.resolve("events.jsonl"),
                "{\"event\":\"session.start\",\"sid\":\"s1\",\"ei\":0,\"time\":\"2024-01-01T00:00:00Z\"}\n"
                        + "{\"event\":\"print\",\"ei\":1,\"offset\":3,\"bytes\":5,\"time\":\"2024-01-01T00:00:01Z\"}\n");
        Path stream = Files.write(dir.resolve("tty"), new byte[6]);

        assertThatThrownBy(() -> SessionRecording.fromFiles(events, stream)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage(events + " line 2: print event slice [3, 8) is outside " + stream + " (6 bytes)");
    }

    private static double number(EventUnstructured event, String field) {
        Value value = event.getUnstructured().getFieldsOrThrow(field);
        return value.getNumberValue();
    }

    private static List<EventUnstructured> readAll(TeleportClient client, String sessionId, int startIndex) {
        try (ServerStream<RawEvent> stream = client.streamSessionEvents(sessionId, startIndex)) {
            List<EventUnstructured> events = new ArrayList<>();
            stream.forEachRemaining(event -> events.add(full(event)));
            return events;
        }
    }

    private FakeTeleport start(FakeTeleport.Builder builder) {
        return open(builder.start());
    }

    private TeleportClient connect(FakeTeleport fake) {
        Path identity = fake.writeIdentityFile(dir.resolve("identity-" + resources.size()), "exporter",
                Duration.ofHours(1));
        return open(new TeleportClient(fake.address(), IdentityFile.load(identity)));
    }

    private <T extends AutoCloseable> T open(T resource) {
        resources.add(resource);
        return resource;
    }
}
