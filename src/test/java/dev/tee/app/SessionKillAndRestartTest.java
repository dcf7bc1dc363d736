package dev.tee.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.LongStream;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tee.demo.DemoEnvironment;
import dev.tee.demo.SessionRecording;
import dev.tee.testing.ExporterProcess;
import dev.tee.testing.GeneratedEvents;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A session recording exported by a child JVM that is killed with SIGKILL twice mid-recording: each
 * restart resumes the recording from its saved index, so every event arrives and a kill repeats at
 * most about a second of events (the index is saved once a second, as in the Go handler).
 */
class SessionKillAndRestartTest {

    private static final int PRINTS = 8_000;
    private static final int EVENTS = PRINTS + 2;
    private static final int BATCH = 20;
    /** Each POST takes at least this long, so one session sends at most BATCH / LATENCY = 1,000 events a second. */
    private static final Duration LATENCY = Duration.ofMillis(20);
    /** About a second of events at that pace, the batch being saved, and the batch in flight at the kill. */
    private static final int REPEATS_PER_KILL = 1_000 + 2 * BATCH + 60;
    private static final Duration PATIENCE = Duration.ofSeconds(90);

    @TempDir
    Path dir;

    private DemoEnvironment world;
    private ExporterProcess exporter;
    private String tag;

    @AfterEach
    void stop() throws InterruptedException {
        if (exporter != null && exporter.isAlive()) {
            exporter.kill9();
        }
        if (world != null) {
            world.close();
        }
    }

    @Test
    void resumesTheRecordingAfterEachKillLosingNothing() throws Exception {
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        SessionRecording recording = SessionRecording.synthetic(11, now.minus(Duration.ofMinutes(30)), PRINTS);
        tag = "session." + recording.sessionId() + ".log";
        world = DemoEnvironment.start(dir, List.of(upload(recording.sessionId(), now.minus(Duration.ofMinutes(5)))),
                builder -> { });
        world.teleport().addRecording(recording);
        world.fluentd().latency(LATENCY);
        Map<String, String> settings = new HashMap<>();
        settings.put("start-time", now.minus(Duration.ofHours(1)).toString());
        settings.put("batch", Integer.toString(BATCH));
        settings.put("skip-session-types", "");
        settings.put("timeout", "200ms");
        settings.put("exit-on-last-event", "true");
        settings.put("management.port", "0");
        Path config = world.writeConfig(settings);
        Path log = dir.resolve("exporter.log");

        exporter = ExporterProcess.start(config, log);
        awaitDistinct(2_500);
        exporter.kill9();

        exporter = ExporterProcess.start(config, log);
        awaitDistinct(5_500);
        exporter.kill9();
        int repeatedAfterFirstKill = repeats();

        exporter = ExporterProcess.start(config, log);
        assertThat(exporter.waitFor(PATIENCE)).as("exit status of the last run (log: %s)", log).isZero();
        int repeatedAfterSecondKill = repeats() - repeatedAfterFirstKill;

        List<Long> received = indexes();
        System.out.printf("session recording of %d events, killed twice: %d received, repeated %d and %d%n", EVENTS,
                received.size(), repeatedAfterFirstKill, repeatedAfterSecondKill);
        assertThat(new TreeSet<>(received)).as("every event arrived")
                .containsExactlyElementsOf(LongStream.range(0, EVENTS).boxed().toList());
        assertThat(repeatedAfterFirstKill).as("repeated by the first kill").isLessThanOrEqualTo(REPEATS_PER_KILL);
        assertThat(repeatedAfterSecondKill).as("repeated by the second kill").isLessThanOrEqualTo(REPEATS_PER_KILL);
        assertThat(exporter.log()).contains("Resuming 1 session recordings");
        await().atMost(PATIENCE).until(() -> world.teleport().openStreams() == 0);
    }

    private void awaitDistinct(int count) {
        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(5))
                .until(() -> new TreeSet<>(indexes()).size() >= count || !exporter.isAlive());
        assertThat(exporter.isAlive()).as("the exporter is still running at %d events; its log:%n%s", count,
                exporter.log()).isTrue();
    }

    private List<Long> indexes() {
        return world.fluentd().events(tag).stream().map(event -> event.record().get("ei").asLong()).toList();
    }

    private int repeats() {
        List<Long> indexes = indexes();
        return indexes.size() - new TreeSet<>(indexes).size();
    }

    private static ObjectNode upload(String sessionId, Instant time) {
        return GeneratedEvents.upload(sessionId, time.toString(), "upload-" + sessionId);
    }
}
