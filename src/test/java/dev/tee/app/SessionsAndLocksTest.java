package dev.tee.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tee.demo.DemoEnvironment;
import dev.tee.demo.ReceivedEvent;
import dev.tee.demo.SessionRecording;
import dev.tee.sink.s3.MinuteObject;
import dev.tee.testing.Fixtures;
import dev.tee.testing.GeneratedEvents;
import dev.tee.testing.StartCommand;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole exporter, in this JVM, with session recordings and auto-locking: a session.upload in the
 * audit log brings its recording along, failed logins lock, a dry run does neither.
 */
class SessionsAndLocksTest {

    private static final String SID = "037e2e3e-e6f5-11e9-a7ac-42010a80002b";
    private static final String SESSION_TAG = "session." + SID + ".log";
    private static final String STREAM = "StreamUnstructuredSessionEvents";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private DemoEnvironment world;

    @AfterEach
    void stop() {
        if (world != null) {
            world.close();
        }
    }

    @Test
    void exportsTheRecordingOfAnUploadedSessionBeforeExitingWithoutItsPrints() {
        start(List.of(upload()));

        assertThat(export(Map.of())).isZero();

        assertThat(world.fluentd().events(SESSION_TAG)).extracting(event -> event.record().get("event").asText())
                .containsExactly("session.start", "resize", "session.leave", "session.end");
        assertThat(world.fluentd().eventIds(DemoEnvironment.AUDIT_TAG)).containsExactly("upload-1");
        assertThat(stateDir().resolve("sessions").resolve("journal.jsonl")).as("nothing left to export").isEmptyFile();
        assertThat(world.teleport().openStreams()).isZero();

        assertThat(export(Map.of())).as("a second run").isZero();
        assertThat(world.fluentd().events(SESSION_TAG)).hasSize(4);
        assertThat(world.teleport().calls(STREAM)).isEqualTo(1);
    }

    @Test
    void exportsEveryPrintWithItsDataWhenNoSessionTypeIsSkipped() {
        start(List.of(upload()));

        assertThat(export(Map.of("skip-session-types", ""))).isZero();

        List<ReceivedEvent> received = world.fluentd().events(SESSION_TAG);
        assertThat(received).extracting(event -> event.record().get("ei").asLong())
                .containsExactlyElementsOf(LongStream.range(0, 866).boxed().toList());
        assertThat(received.subList(2, 864)).allSatisfy(print -> assertThat(print.record().get("data").asText())
                .isNotEmpty());
    }

    @Test
    void writesTheRecordingUnderTheSessionPrefixWithOutputFile() throws Exception {
        start(List.of(upload()));
        Map<String, String> file = Map.of("output", "file", "forward.file.dir", dir.resolve("out").toString());

        assertThat(export(file)).isZero();
        assertThat(export(file)).as("a second run").isZero();

        Path object = dir.resolve("out/teleport/sessions/" + SID + "/0000000000.gz");
        assertThat(objects("teleport/sessions")).containsExactly(object);
        List<String> events = new ArrayList<>();
        for (String line : MinuteObject.lines(Files.readAllBytes(object))) {
            events.add(JSON.readTree(line).get("event").asText());
        }
        assertThat(events).containsExactly("session.start", "resize", "session.leave", "session.end");
        assertThat(objects("teleport")).hasSize(2); // and the audit object of the session.upload
        assertThat(world.fluentd().eventCount()).isZero();
    }

    @Test
    void locksALoginAfterThreeFailedLoginsWithinAMinute() {
        start(List.of(failedLogin("f1", "2024-05-01T10:00:00Z"), failedLogin("f2", "2024-05-01T10:00:20Z"),
                failedLogin("f3", "2024-05-01T10:00:40Z")));

        assertThat(export(Map.of("lock-enabled", "true", "lock-for", "1h"))).isZero();

        assertThat(world.teleport().locks()).singleElement().satisfies(lock -> {
            assertThat(lock.getMetadata().getName()).isEqualTo("event-handler-auto-lock-alice-root");
            assertThat(lock.getSpec().getTarget().getUser()).isEqualTo("alice");
            assertThat(lock.getSpec().getTarget().getLogin()).isEqualTo("root");
            assertThat(lock.getSpec().getMessage()).isEqualTo("User is locked due to too many failed login attempts");
            assertThat(lock.getSpec().hasExpires()).isTrue();
        });
        assertThat(world.fluentd().eventIds(DemoEnvironment.AUDIT_TAG)).containsExactly("f1", "f2", "f3");
    }

    @Test
    void twoFailedLoginsLockNobody() {
        start(List.of(failedLogin("f1", "2024-05-01T10:00:00Z"), failedLogin("f2", "2024-05-01T10:00:20Z")));

        assertThat(export(Map.of("lock-enabled", "true"))).isZero();

        assertThat(world.teleport().locks()).isEmpty();
    }

    @Test
    void aDryRunSendsNothingExportsNoRecordingAndLocksNobody() {
        start(List.of(upload(), failedLogin("f1", "2024-05-01T10:00:00Z"), failedLogin("f2", "2024-05-01T10:00:20Z"),
                failedLogin("f3", "2024-05-01T10:00:40Z")));

        assertThat(export(Map.of("dry-run", "true", "lock-enabled", "true"))).isZero();

        assertThat(world.fluentd().eventCount()).isZero();
        assertThat(world.teleport().locks()).isEmpty();
        assertThat(world.teleport().calls("UpsertLock")).isZero();
        assertThat(world.teleport().calls(STREAM)).isZero();
    }

    // ---- helpers ----------------------------------------------------------------------------

    private void start(List<ObjectNode> auditEvents) {
        world = DemoEnvironment.start(dir.resolve("world"), auditEvents, builder -> { });
        world.teleport().addRecording(SessionRecording.fromFiles(Fixtures.file("teleport-session-events.jsonl"),
                Fixtures.file("teleport-session-npm.tty.stream")));
    }

    /** The session.upload Teleport writes once the fixture session's recording is stored. */
    private static ObjectNode upload() {
        return GeneratedEvents.upload(SID, "2019-10-04T22:20:49.5Z", "upload-1");
    }

    private static ObjectNode failedLogin(String uid, String time) {
        ObjectNode event = JsonNodeFactory.instance.objectNode();
        event.put("code", "T1000W");
        event.put("error", "invalid username, password or second factor");
        event.put("event", "user.login");
        event.put("login", "root");
        event.put("method", "local");
        event.put("success", false);
        event.put("time", time);
        event.put("uid", uid);
        event.put("user", "alice");
        return event;
    }

    private Path stateDir() {
        return dir.resolve("world/storage").resolve(world.teleport().address().replace(':', '_'));
    }

    private List<Path> objects(String under) throws Exception {
        try (Stream<Path> files = Files.walk(dir.resolve("out").resolve(under))) {
            return files.filter(Files::isRegularFile).filter(file -> !file.getFileName().toString().startsWith("."))
                    .sorted().toList();
        }
    }

    private int export(Map<String, String> extra) {
        return StartCommand.exportAll(world, "87600h", extra);
    }
}
