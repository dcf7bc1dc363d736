package dev.tee.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tee.demo.DemoEnvironment;
import dev.tee.demo.EventGenerator;
import dev.tee.testing.ExporterProcess;
import dev.tee.testing.KillLoop;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The delivery contract with real crashes: a child JVM exporting 20,000 events to Fluentd is killed
 * with SIGKILL at several points and restarted, and stopped once with SIGTERM. Afterwards every event
 * id has arrived, a kill repeated at most the batches in flight, and the clean stop repeated nothing.
 */
class KillAndRestartTest {

    private static final int EVENTS = 20_000;
    private static final int BATCH = 20;
    private static final int IN_FLIGHT = KillLoop.IN_FLIGHT;
    private static final Duration PATIENCE = Duration.ofSeconds(90);

    @TempDir
    Path dir;

    private DemoEnvironment world;
    private ExporterProcess exporter;

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
    void losesNothingAndRepeatsAtMostOneBatchPerKill() throws Exception {
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        Instant start = now.minus(Duration.ofDays(2));
        List<ObjectNode> events = new EventGenerator(7, start, Duration.ofDays(2).dividedBy(EVENTS)).generate(EVENTS);
        Set<String> expected = events.stream().map(e -> e.get("uid").asText()).collect(Collectors.toSet());
        world = DemoEnvironment.start(dir, events, builder -> { });
        world.fluentd().latency(Duration.ofMillis(2)); // keep the export going long enough to be interrupted
        Map<String, String> settings = new HashMap<>();
        settings.put("start-time", start.toString());
        settings.put("batch", Integer.toString(BATCH));
        settings.put("timeout", "200ms");
        settings.put("exit-on-last-event", "true");
        settings.put("management.port", "0");
        Path config = world.writeConfig(settings);
        Path log = dir.resolve("exporter.log");

        int duplicatesBefore = 0;
        for (int killAt : new int[] {1_500, 6_000, 11_000}) {
            exporter = ExporterProcess.start(config, log);
            awaitReceived(killAt);
            exporter.kill9();
            int duplicates = duplicates();
            assertThat(duplicates - duplicatesBefore)
                    .as("events repeated by the kill at %d, at most the batches in flight (log: %s)", killAt, log)
                    .isLessThanOrEqualTo(IN_FLIGHT * BATCH);
            System.out.printf("kill -9 at %d received: %d events repeated so far%n", killAt, duplicates);
            duplicatesBefore = duplicates;
            // what the killed process had in flight shows up only after the restart replays it
        }

        exporter = ExporterProcess.start(config, log);
        awaitReceived(15_000);
        assertThat(exporter.terminate(Duration.ofSeconds(20))).as("exit status after SIGTERM").isIn(0, 143);
        int duplicatesAtCleanStop = duplicates();
        assertThat(duplicatesAtCleanStop - duplicatesBefore).as("events repeated by the last kill").isLessThanOrEqualTo(IN_FLIGHT * BATCH);

        exporter = ExporterProcess.start(config, log);
        assertThat(exporter.waitFor(PATIENCE)).as("exit status of the final run (log: %s)", log).isZero();

        List<String> received = world.fluentd().eventIds(DemoEnvironment.AUDIT_TAG);
        System.out.printf("received %d events (%d distinct, %d repeated) in %d requests%n", received.size(),
                new HashSet<>(received).size(), duplicates(), world.fluentd().requestCount());
        assertThat(new HashSet<>(received)).as("every event arrived").isEqualTo(expected);
        assertThat(duplicates()).as("a clean stop repeats nothing").isEqualTo(duplicatesAtCleanStop);
        assertThat(duplicates()).as("at most the batches in flight per kill").isLessThanOrEqualTo(3 * IN_FLIGHT * BATCH);
    }

    private void awaitReceived(int count) {
        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(5))
                .until(() -> world.fluentd().eventCount() >= count || !exporter.isAlive());
        assertThat(exporter.isAlive()).as("the exporter is still running at %d events; its log:%n%s", count,
                exporter.log()).isTrue();
    }

    private int duplicates() {
        List<String> ids = world.fluentd().eventIds(DemoEnvironment.AUDIT_TAG);
        return ids.size() - new HashSet<>(ids).size();
    }
}
