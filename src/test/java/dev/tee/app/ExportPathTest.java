package dev.tee.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
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
import dev.tee.cli.Main;
import dev.tee.demo.DemoEnvironment;
import dev.tee.demo.EventGenerator;
import dev.tee.testing.ExporterProcess;
import dev.tee.testing.Fixtures;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bulk export read path, end to end, against a fake Teleport that serves the export API. */
class ExportPathTest {

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
    void exportsEveryEventOfEveryDateOnce() {
        Instant start = Instant.now().truncatedTo(ChronoUnit.DAYS).minus(Duration.ofDays(3));
        List<ObjectNode> events = new EventGenerator(21, start, Duration.ofMinutes(3)).generate(1200); // 2.5 days
        world = DemoEnvironment.start(dir, events, teleport -> teleport.bulkExport(true).eventsPerChunk(50)
                .unorderedChunks(true), fluentd -> { });

        assertThat(export(Map.of("start-time", start.toString()))).isZero();

        List<String> received = world.fluentd().eventIds(DemoEnvironment.AUDIT_TAG);
        assertThat(received).hasSize(1200);
        assertThat(new HashSet<>(received)).isEqualTo(uids(events));
        assertThat(Files.exists(world.dir().resolve("storage").resolve(storageName()).resolve("export-cursor.json")))
                .isTrue();
    }

    @Test
    void writesPantherObjectsFromChunksThatInterleaveInTime() throws Exception {
        Instant start = Instant.now().truncatedTo(ChronoUnit.DAYS).minus(Duration.ofDays(2));
        List<ObjectNode> events = new EventGenerator(25, start, Duration.ofSeconds(30)).generate(4000); // ~1.4 days
        world = DemoEnvironment.start(dir, events, teleport -> teleport.bulkExport(true).eventsPerChunk(400),
                fluentd -> { });
        Path out = dir.resolve("panther");
        assertThat(export(Map.of("start-time", start.toString(), "output", "file", "forward.file.dir", out.toString(),
                "forward.s3.flush-delay", "1s", "batch", "100"))).isZero();

        Map<String, Integer> copies = new HashMap<>();
        long objects;
        try (var files = Files.walk(out)) {
            List<Path> all = files.filter(Files::isRegularFile).toList();
            objects = all.size();
            for (Path file : all) {
                for (String line : dev.tee.sink.s3.MinuteObject.lines(Files.readAllBytes(file))) {
                    copies.merge(new com.fasterxml.jackson.databind.ObjectMapper().readTree(line).get("uid").asText(),
                            1, Integer::sum);
                }
            }
        }
        assertThat(copies.keySet()).isEqualTo(uids(events));
        assertThat(copies.values()).allMatch(n -> n == 1);
        long minutes = events.stream().map(e -> e.get("time").asText().substring(0, 16)).distinct().count();
        assertThat(objects).as("about one object per minute with events, not one per batch")
                .isLessThanOrEqualTo(minutes + minutes / 10);
    }

    @Test
    void appliesTheTypeFiltersOnTheExportPathToo() {
        world = DemoEnvironment.start(dir, Fixtures.rawAuditEvents(),
                teleport -> teleport.bulkExport(true).eventsPerChunk(10), fluentd -> { });

        assertThat(export(Map.of("start-time", "2019-04-20T00:00:00Z", "types", "user.login,session.start",
                "skip-event-types", "session.start"))).isZero();

        List<String> types = world.fluentd().events(DemoEnvironment.AUDIT_TAG).stream()
                .map(event -> event.record().get("event").asText()).toList();
        assertThat(types).hasSize(4).containsOnly("user.login");
    }

    @Test
    void everyEventArrivesOnceWhenAThirdOfTheStreamsAreCutAndTheExporterIsRestarted() throws Exception {
        Instant start = Instant.now().truncatedTo(ChronoUnit.DAYS).minus(Duration.ofDays(2));
        List<ObjectNode> events = new EventGenerator(22, start, Duration.ofSeconds(20)).generate(8000); // ~1.9 days
        world = DemoEnvironment.start(dir, events, teleport -> teleport.bulkExport(true).eventsPerChunk(200)
                .cutExportStreams(1.0 / 3).seed(9), fluentd -> { });
        world.fluentd().latency(Duration.ofMillis(3));
        Path config = world.writeConfig(settings(Map.of("start-time", start.toString())));
        Path log = dir.resolve("exporter.log");

        for (int stopAt : new int[] {1500, 4500}) {
            exporter = ExporterProcess.start(config, log);
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(10))
                    .until(() -> world.fluentd().eventCount() >= stopAt || !exporter.isAlive());
            assertThat(exporter.isAlive()).as("exporting at %d; log %s", stopAt, log).isTrue();
            assertThat(exporter.terminate(Duration.ofSeconds(20))).isIn(0, 143);
        }
        exporter = ExporterProcess.start(config, log);
        assertThat(exporter.waitFor(Duration.ofMinutes(2))).as("last run, log %s", log).isZero();

        List<String> received = world.fluentd().eventIds(DemoEnvironment.AUDIT_TAG);
        assertThat(new HashSet<>(received)).isEqualTo(uids(events));
        assertThat(received).as("nothing repeated").hasSize(events.size());
    }

    /**
     * Camel's split looks one element ahead (to mark the last), so a stream that broke right after an
     * event stopped it before that event was handed on: a chunk whose every stream breaks after one
     * event never moved on, and each attempt doubled the pause (the cause of a WorkerRoutesTest timeout).
     */
    @Test
    void aChunkWhoseEveryStreamBreaksAfterItsFirstEventStillMovesOn() throws Exception {
        Instant start = Instant.now().truncatedTo(ChronoUnit.DAYS).minus(Duration.ofDays(1));
        List<ObjectNode> events = new EventGenerator(25, start, Duration.ofMinutes(30)).generate(12);
        world = DemoEnvironment.start(dir, events, teleport -> teleport.bulkExport(true).eventsPerChunk(4)
                .cutExportStreamsAfter(1), fluentd -> { });
        Path config = world.writeConfig(settings(Map.of("start-time", start.toString())));
        Path log = dir.resolve("exporter.log");

        exporter = ExporterProcess.start(config, log);
        assertThat(exporter.waitFor(Duration.ofMinutes(1))).as("log %s", log).isZero();

        List<String> received = world.fluentd().eventIds(DemoEnvironment.AUDIT_TAG);
        assertThat(received).containsExactlyInAnyOrderElementsOf(uids(events));
        assertThat(world.teleport().openStreams()).isZero();
    }

    @Test
    void aSearchExportInProgressMovesToTheExportApiFromTheStartOfItsDay() throws Exception {
        Instant start = Instant.now().truncatedTo(ChronoUnit.DAYS).minus(Duration.ofDays(2));
        List<ObjectNode> events = new EventGenerator(23, start, Duration.ofMinutes(10)).generate(250);
        world = DemoEnvironment.start(dir, events, fluentd -> { });
        assertThat(export(Map.of("start-time", start.toString()))).isZero();
        assertThat(world.fluentd().eventCount()).isEqualTo(250);
        world.close();

        // the same cluster after an upgrade: the export API appears, with 50 more events
        // all of today (UTC), where the moved export starts: shortly after midnight, less than 30 minutes
        Instant now = Instant.now();
        Instant today = now.truncatedTo(ChronoUnit.DAYS).plusSeconds(1);
        Instant laterStart = now.minus(Duration.ofMinutes(30)).isAfter(today) ? now.minus(Duration.ofMinutes(30)) : today;
        List<ObjectNode> later = new EventGenerator(24, laterStart,
                Duration.between(laterStart, now).dividedBy(51)).generate(50);
        List<ObjectNode> all = new java.util.ArrayList<>(events);
        all.addAll(later);
        Path second = dir.resolve("after-upgrade");
        Files.createDirectories(second);
        try (DemoEnvironment upgraded = DemoEnvironment.start(second, all,
                teleport -> teleport.bulkExport(true).eventsPerChunk(40), fluentd -> { })) {
            // keep the state of the first run: same storage, and the same address key as far as the exporter knows
            Map<String, String> settings = new HashMap<>(settings(Map.of("start-time", start.toString())));
            settings.put("storage", dir.resolve("storage").toString());
            Path oldState = dir.resolve("storage").resolve(storageName());
            Path newState = dir.resolve("storage").resolve(upgraded.teleport().address().replace(':', '_'));
            Files.move(oldState, newState);
            Path config = upgraded.writeConfig(settings);
            StringWriter err = new StringWriter();
            assertThat(Main.run(new String[] {"start", "--config", config.toString()}, Map.of(),
                    new PrintWriter(new StringWriter()), new PrintWriter(err))).as(err.toString()).isZero();
            Set<String> received = new HashSet<>(upgraded.fluentd().eventIds(DemoEnvironment.AUDIT_TAG));
            assertThat(received).as("the 50 new events arrive").containsAll(uids(later));
            assertThat(Files.exists(newState.resolve("export-cursor.json"))).isTrue();
        }
        world = null;
    }

    private String storageName() {
        return world.teleport().address().replace(':', '_');
    }

    private static Set<String> uids(List<ObjectNode> events) {
        return events.stream().map(e -> e.get("uid").asText()).collect(Collectors.toSet());
    }

    private static Map<String, String> settings(Map<String, String> extra) {
        Map<String, String> settings = new HashMap<>(Map.of(
                "timeout", "200ms",
                "exit-on-last-event", "true",
                "management.port", "0"));
        settings.putAll(extra);
        return settings;
    }

    private int export(Map<String, String> extra) {
        Path config = world.writeConfig(settings(extra));
        StringWriter err = new StringWriter();
        int status = Main.run(new String[] {"start", "--config", config.toString()}, Map.of(),
                new PrintWriter(new StringWriter()), new PrintWriter(err));
        assertThat(err.toString()).isEmpty();
        return status;
    }
}
