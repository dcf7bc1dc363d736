package dev.tee.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tee.demo.DemoEnvironment;
import dev.tee.demo.EventGenerator;
import dev.tee.testing.ExporterProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM and SIGINT sent with kill(1) to the exporter as a child JVM, in the middle of an export:
 * the first stops it gracefully, the batch in flight delivered and the cursor saved, so a restart
 * repeats nothing; a second SIGINT ends it at once.
 */
class StopSignalsTest {

    private static final int EVENTS = 10_000;
    private static final Duration PATIENCE = Duration.ofSeconds(90);
    /** The Go handler's allowance for a graceful stop (event-handler.md §2.1). */
    private static final Duration STOP_DEADLINE = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    private DemoEnvironment world;
    private ExporterProcess exporter;
    private Set<String> expected;
    private Path config;
    private Path log;

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
    void sigtermStopsGracefullyAndARestartRepeatsNothing() throws Exception {
        stopsGracefullyOn("TERM");
    }

    @Test
    void aFirstSigintStopsGracefullyToo() throws Exception {
        stopsGracefullyOn("INT");
    }

    @Test
    void aSecondSigintExitsAtOnce() throws Exception {
        exportInBackground();
        // every request now takes longer than the whole stop may: only the second SIGINT can end it quickly
        world.fluentd().latency(Duration.ofSeconds(30));
        await().atMost(PATIENCE).until(() -> exporter.log().contains("Event processing"));

        exporter.signal("INT");
        await().atMost(PATIENCE).until(() -> exporter.log().contains("SIGINT: stopping"));
        exporter.signal("INT");

        assertThat(exporter.waitFor(STOP_DEADLINE)).as("exit status (log: %s)", log).isEqualTo(130);
        assertThat(exporter.log()).contains("Interrupted again: exiting now")
                .doesNotContain("Not stopped after");
    }

    private void stopsGracefullyOn(String signal) throws Exception {
        exportInBackground();
        await().atMost(PATIENCE).until(() -> exporter.log().contains("Event processing"));
        assertThat(exporter.log()).as("the progress line").containsPattern(
                "Event processing read_per_minute=\\d+ events_per_minute=\\d+ pending=\\d+ lag=\\S+ "
                        + "read_up_to=\\S+ caught_up=(true|false) retries_per_minute=0");

        long signalled = System.nanoTime();
        exporter.signal(signal);
        assertThat(exporter.waitFor(STOP_DEADLINE.plusSeconds(5))).as("exit status (log: %s)", log).isZero();
        System.out.printf("SIG%s: exited after %d ms with %d events delivered%n", signal,
                (System.nanoTime() - signalled) / 1_000_000, world.fluentd().eventCount());
        assertThat(exporter.log()).contains("SIG" + signal + ": stopping")
                .doesNotContain("Not stopped after")
                .contains("Exported in");
        int receivedAtStop = world.fluentd().eventCount();
        assertThat(receivedAtStop).as("stopped in the middle").isLessThan(EVENTS);

        long linesBefore = exporter.log().lines().count();
        exporter = ExporterProcess.start(config, log, "--exit-on-last-event");
        assertThat(exporter.waitFor(PATIENCE)).as("exit status of the restart (log: %s)", log).isZero();
        // the cursor was saved exactly at the stop: the restart reads nothing that was delivered before
        assertThat(exporter.log().lines().skip(linesBefore).filter(line -> line.contains("Exported in")))
                .singleElement().asString().contains(" 0 de-duplicated");
        List<String> received = world.fluentd().eventIds(DemoEnvironment.AUDIT_TAG);
        assertThat(new HashSet<>(received)).as("every event arrived").isEqualTo(expected);
        assertThat(received).as("none twice").hasSameSizeAs(expected);
    }

    /** The exporter exporting {@code EVENTS} events of the last two days, slowly enough to be interrupted. */
    private void exportInBackground() {
        Instant start = Instant.now().truncatedTo(ChronoUnit.SECONDS).minus(Duration.ofDays(2));
        List<ObjectNode> events = new EventGenerator(9, start, Duration.ofDays(2).dividedBy(EVENTS)).generate(EVENTS);
        expected = events.stream().map(e -> e.get("uid").asText()).collect(Collectors.toSet());
        world = DemoEnvironment.start(dir, events, builder -> { });
        world.fluentd().latency(Duration.ofMillis(20));
        config = world.writeConfig(Map.of(
                "start-time", start.toString(),
                "timeout", "200ms",
                "management.port", "0",
                "progress.interval", "1s"));
        log = dir.resolve("exporter.log");
        exporter = ExporterProcess.start(config, log);
    }
}
