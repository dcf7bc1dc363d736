package dev.tee.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tee.config.ConfigLoader;
import dev.tee.demo.DemoEnvironment;
import dev.tee.demo.FakeTeleport;
import dev.tee.testing.Downstream;
import dev.tee.testing.GeneratedEvents;
import dev.tee.testing.InProcessExporter;
import dev.tee.testing.KillLoop;
import dev.tee.testing.S3ProxyServer;
import dev.tee.testing.SlowDownProxy;
import io.grpc.Status;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fault suite's outages, each in the middle of an export: Fluentd down, S3 answering 503
 * SlowDown, Teleport unreachable and then UNAVAILABLE, export streams cut. Each is waited out, and
 * afterwards every event has arrived, and arrived once.
 */
class OutagesTest {

    private static final int BATCH = 100;
    private static final Duration PATIENCE = Duration.ofSeconds(90);

    @TempDir
    Path dir;

    private final List<AutoCloseable> resources = new ArrayList<>();
    private final Instant start = Instant.now().truncatedTo(ChronoUnit.SECONDS).minus(Duration.ofDays(2));

    @AfterEach
    void close() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    @Test
    void waitsOutFluentdDownForEightSeconds() throws Exception {
        List<ObjectNode> events = events(1, 4_000);
        DemoEnvironment world = world(events, teleport -> { });
        Downstream fluentd = Downstream.fluentd(world);
        InProcessExporter exporter = start(world, fluentd, true);

        awaitArrived(fluentd, 1_000);
        world.fluentd().stop();
        int before = fluentd.ids().size();
        Thread.sleep(8_000); // past four retries (0.5, 1, 2, 4 s)
        assertThat(exporter.isRunning()).as("still exporting, waiting for Fluentd").isTrue();
        assertThat(fluentd.ids()).as("nothing arrives while Fluentd is down").hasSize(before);
        world.fluentd().start();

        assertThat(exporter.awaitExit(PATIENCE)).isZero();
        assertThat(new HashSet<>(fluentd.ids())).as("every event arrived").isEqualTo(ids(events));
        assertThat(fluentd.repeated()).as("at most the batches in flight again").isLessThanOrEqualTo(KillLoop.IN_FLIGHT * BATCH);
    }

    @Test
    void waitsOutS3AnsweringSlowDownForTenSeconds() throws Exception {
        List<ObjectNode> events = events(2, 10_000);
        DemoEnvironment world = world(events, teleport -> { });
        SlowS3 slow = slowS3();
        SlowDownProxy proxy = slow.proxy();
        Downstream objects = slow.objects();
        InProcessExporter exporter = start(world, objects, true);

        awaitArrived(objects, 1);
        proxy.slowDown();
        Thread.sleep(6_000);
        assertThat(exporter.isRunning()).as("still exporting, waiting for S3").isTrue();
        assertThat(proxy.refusedCount()).as("requests answered 503 SlowDown").isPositive();
        proxy.recover();

        assertThat(exporter.awaitExit(PATIENCE)).isZero();
        assertThat(new HashSet<>(objects.ids())).as("every event is in S3").isEqualTo(ids(events));
        assertThat(objects.repeated()).as("events in two objects").isZero();
    }

    /**
     * S3 slow from the very first PUT: the aws2-s3 endpoint checks the bucket when it starts (at the
     * first PUT), and Camel wraps that failure in the endpoint's; it is waited out like a PUT's.
     */
    @Test
    void waitsOutS3AnsweringSlowDownFromTheFirstPut() throws Exception {
        List<ObjectNode> events = events(5, 2_000);
        DemoEnvironment world = world(events, teleport -> { });
        SlowS3 slow = slowS3();
        SlowDownProxy proxy = slow.proxy();
        Downstream objects = slow.objects();
        proxy.slowDown();
        InProcessExporter exporter = start(world, objects, true);

        await().atMost(PATIENCE).until(() -> proxy.refusedCount() > 0 || !exporter.isRunning());
        Thread.sleep(3_000);
        assertThat(exporter.isRunning()).as("still exporting, waiting for S3").isTrue();
        proxy.recover();

        assertThat(exporter.awaitExit(PATIENCE)).isZero();
        assertThat(new HashSet<>(objects.ids())).as("every event is in S3").isEqualTo(ids(events));
    }

    @Test
    void waitsOutTeleportUnreachableThenUnavailable() throws Exception {
        List<ObjectNode> first = events(3, 2_000);
        DemoEnvironment world = world(first, teleport -> { });
        Downstream fluentd = Downstream.fluentd(world);
        InProcessExporter exporter = start(world, fluentd, false);
        awaitArrived(fluentd, first.size());

        world.teleport().stop();
        Thread.sleep(5_000);
        // what Teleport records meanwhile, served once it is back: first 30 polls answer UNAVAILABLE
        List<ObjectNode> later = GeneratedEvents.withoutUploads(4, Instant.now(), Duration.ofMillis(2), 2_000);
        world.teleport().append(later);
        int callsBefore = world.teleport().calls("GetUnstructuredEvents");
        world.teleport().failNext("GetUnstructuredEvents", 30, Status.UNAVAILABLE.withDescription("auth is restarting"));
        world.teleport().restart();

        Set<String> expected = ids(first);
        expected.addAll(ids(later));
        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(100))
                .until(() -> new HashSet<>(fluentd.ids()).containsAll(expected) || !exporter.isRunning());
        exporter.close();
        assertThat(world.teleport().calls("GetUnstructuredEvents") - callsBefore)
                .as("polls after the restart, the 30 UNAVAILABLE ones included").isGreaterThan(30);
        assertThat(new HashSet<>(fluentd.ids())).as("every event arrived").isEqualTo(expected);
        assertThat(fluentd.repeated()).as("events repeated").isZero();
    }

    @Test
    void resumesExportStreamsCutMidwayIntoFiles() throws Exception {
        List<ObjectNode> events = events(5, 6_000);
        DemoEnvironment world = world(events, teleport -> teleport.bulkExport(true).eventsPerChunk(500)
                .cutExportStreams(0.5).seed(5));
        Downstream files = Downstream.file(dir.resolve("out"));
        InProcessExporter exporter = start(world, files, true);

        assertThat(exporter.awaitExit(PATIENCE)).isZero();
        assertThat(new HashSet<>(files.ids())).as("every event is in a file").isEqualTo(ids(events));
        assertThat(files.repeated()).as("events in two files").isZero();
    }

    private List<ObjectNode> events(long seed, int count) {
        return GeneratedEvents.withoutUploads(seed, start, Duration.ofDays(2).dividedBy(count), count);
    }

    private DemoEnvironment world(List<ObjectNode> events, Consumer<FakeTeleport.Builder> teleport) {
        DemoEnvironment world = DemoEnvironment.start(dir, events, teleport, fluentd -> { });
        resources.add(world);
        return world;
    }

    private InProcessExporter start(DemoEnvironment world, Downstream downstream, boolean exitOnLastEvent) {
        Map<String, String> settings = new HashMap<>(downstream.settings());
        settings.put("start-time", start.toString());
        settings.put("batch", Integer.toString(BATCH));
        settings.put("timeout", "200ms");
        settings.put("retry-max-delay", "2s");
        settings.put("exit-on-last-event", Boolean.toString(exitOnLastEvent));
        settings.put("management.port", "0");
        settings.put("jmx", "false");
        InProcessExporter exporter = InProcessExporter.start(
                new ConfigLoader(Map.of()).configFile(world.writeConfig(settings)).load());
        resources.add(exporter);
        return exporter;
    }

    /** S3Proxy behind a proxy that can answer 503 SlowDown, and the exporter's objects there. */
    private record SlowS3(SlowDownProxy proxy, Downstream objects) {
    }

    private SlowS3 slowS3() {
        S3ProxyServer s3 = S3ProxyServer.start();
        SlowDownProxy proxy = SlowDownProxy.to(s3.port());
        resources.add(proxy);
        Downstream objects = Downstream.s3(s3, proxy.endpoint());
        resources.add(objects);
        return new SlowS3(proxy, objects);
    }

    private static void awaitArrived(Downstream downstream, int count) {
        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(20))
                .until(() -> new HashSet<>(downstream.ids()).size() >= count);
    }

    private static Set<String> ids(List<ObjectNode> events) {
        return events.stream().map(event -> event.get("uid").asText()).collect(Collectors.toCollection(HashSet::new));
    }
}
