package dev.tee.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tee.demo.DemoEnvironment;
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
}
