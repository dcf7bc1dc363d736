package dev.tee.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tee.config.ConfigKey;
import dev.tee.demo.FakeTeleport;
import dev.tee.demo.SessionRecording;
import dev.tee.event.AuditEvent;
import dev.tee.event.EventJson;
import dev.tee.sink.s3.PantherLine;
import dev.tee.tls.Configure;
import dev.tee.testing.FluentdToS3;
import dev.tee.testing.Fixtures;
import dev.tee.testing.InProcessExporter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Session recordings through configure's fluent.conf: each session.upload brings its recording to
 * real Fluentd, tagged session.&lt;sid&gt;.log, which the session {@code <match>} prints to Fluentd's
 * log (out_stdout), every event once, in recorded order, print events skipped as configured.
 */
class RealFluentdSessionsTest {

    private static final String BUCKET = "sessions";
    private static final Duration PATIENCE = Duration.ofMinutes(2);

    @RegisterExtension
    static final FluentdToS3 servers = new FluentdToS3(BUCKET);

    @Test
    void recordingsOfUploadedSessionsReachTheSessionMatchOfFluentd() {
        SessionRecording npm = SessionRecording.fromFiles(Fixtures.file("teleport-session-events.jsonl"),
                Fixtures.file("teleport-session-npm.tty.stream"));
        Instant start = Instant.parse("2026-11-23T17:00:00Z");
        List<SessionRecording> recordings = List.of(npm,
                SessionRecording.synthetic(1, start, 30).withSessionId("4f0b8c52-6f5e-4a47-9d3b-0c2f8c1e7a01"),
                SessionRecording.synthetic(2, start.plusSeconds(600), 5)
                        .withSessionId("9a1d2e3f-4b5c-4d6e-8f70-8192a3b4c5d6"));
        List<ObjectNode> uploads = new ArrayList<>();
        for (SessionRecording recording : recordings) {
            uploads.add(upload(recording, "upload-" + uploads.size()));
        }

        try (FakeTeleport teleport = FakeTeleport.builder().events(uploads).start()) {
            recordings.forEach(teleport::addRecording);
            int status = InProcessExporter.runToEnd(servers.fluentd().exporter(teleport)
                    .set(ConfigKey.START_TIME, "2019-01-01T00:00:00Z")
                    .set(ConfigKey.WINDOW_SIZE, "87600h")
                    .set(ConfigKey.TIMEOUT, "100ms")
                    .set(ConfigKey.EXIT_ON_LAST_EVENT, "true")
                    .load(), PATIENCE);
            assertThat(status).isZero();
        }

        String log = servers.fluentd().fluentd().log();
        for (SessionRecording recording : recordings) {
            String tag = Configure.tagOf(Configure.SESSION_URL) + "." + recording.sessionId() + ".log";
            List<String> expected = recording.events().stream()
                    .filter(event -> !event.get("event").asText().equals("print"))
                    .map(event -> stdoutLine(tag, event)).toList();
            List<String> printed = log.lines().filter(line -> line.contains(" " + tag + ": ")).toList();
            assertThat(printed).as(tag).containsExactlyElementsOf(expected);
        }
        assertThat(servers.s3().keys(BUCKET, "")).as("audit events only go to S3").allMatch(key -> key.startsWith("teleport/logs"));
    }

    /** The session.upload Teleport writes once a session's recording is stored. */
    private static ObjectNode upload(SessionRecording recording, String uid) {
        List<ObjectNode> events = recording.events();
        ObjectNode event = JsonNodeFactory.instance.objectNode();
        event.put("cluster_name", FakeTeleport.DEFAULT_CLUSTER_NAME);
        event.put("code", "T2005I");
        event.put("ei", 2147483647L);
        event.put("event", "session.upload");
        event.put("sid", recording.sessionId());
        event.put("time", Instant.parse(events.get(events.size() - 1).get("time").asText()).plusSeconds(1).toString());
        event.put("uid", uid);
        event.put("url", "s3://recordings/" + recording.sessionId());
        return event;
    }

    /**
     * What out_stdout prints for an event: its Fluentd time (whole seconds of {@code time}, host time
     * zone UTC), the tag, and the record as the parser left it (without {@code time}), re-printed as
     * Fluentd's JSON formatter does, the same as in S3 lines.
     */
    private static String stdoutLine(String tag, ObjectNode event) {
        String line = PantherLine.of(new AuditEvent("", "", Instant.EPOCH, 0, EventJson.toStruct(event)),
                Instant.EPOCH).toString();
        String time = line.substring(line.lastIndexOf(",\"time\":\"") + 9, line.length() - 2);
        String record = line.substring(0, line.lastIndexOf(",\"time\":\"")) + "}";
        return time.substring(0, 10) + " " + time.substring(11, 19) + ".000000000 +0000 " + tag + ": " + record;
    }
}
