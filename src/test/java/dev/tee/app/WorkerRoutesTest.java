package dev.tee.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import javax.management.MBeanServer;
import javax.management.ObjectName;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tee.config.ConfigLoader;
import dev.tee.demo.DemoEnvironment;
import dev.tee.demo.EventGenerator;
import dev.tee.demo.SessionRecording;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The exporter's workers are Camel routes: export chunk streams and session recordings run as seda
 * routes with their own consumers, and JMX shows each with its statistics, while the exporter runs in
 * this JVM against the fake Teleport (bulk export API) and the Fluentd stand-in.
 */
class WorkerRoutesTest {

    /**
     * A cut chunk pauses 1 s before it opens again. (CI once waited 100 s here: a stream cut right after
     * one event made no progress, as the split had not handed that event on, and each such cut doubled
     * the pause; ExportPathTest's aChunkWhoseEveryStreamBreaksAfterItsFirstEventStillMovesOn pins the fix.)
     */
    private static final Duration PATIENCE = Duration.ofSeconds(60);
    private static final int EVENTS = 400;

    @TempDir
    Path dir;

    private DemoEnvironment world;
    private final AtomicReference<ExporterApp.Running> running = new AtomicReference<>();
    private CompletableFuture<Integer> export;

    @AfterEach
    void stop() throws Exception {
        if (running.get() != null) {
            running.get().stop().run();
        }
        if (export != null) {
            export.get(30, TimeUnit.SECONDS);
        }
        if (world != null) {
            world.close();
        }
    }

    @Test
    void exportChunksAndSessionRecordingsAreRoutesThatJmxShowsWithTheirStatistics() throws Exception {
        Instant start = Instant.now().truncatedTo(ChronoUnit.DAYS).minus(Duration.ofDays(1));
        List<ObjectNode> events = new EventGenerator(31, start, Duration.ofMinutes(1)).generate(EVENTS);
        // half the chunk streams are cut midway: the export-chunk route's redelivery opens them again
        world = DemoEnvironment.start(dir, events, teleport -> teleport.bulkExport(true).eventsPerChunk(50)
                .cutExportStreams(0.5).seed(7), fluentd -> { });
        // a recording for every session.upload in the audit log, as Teleport has one for each uploaded session
        List<String> sessions = events.stream().filter(event -> event.get("event").asText().equals("session.upload"))
                .map(event -> event.get("sid").asText()).toList();
        assertThat(sessions).isNotEmpty();
        for (int i = 0; i < sessions.size(); i++) {
            world.teleport().addRecording(SessionRecording.synthetic(i, start, 20).withSessionId(sessions.get(i)));
        }
        var config = new ConfigLoader(Map.of()).configFile(world.writeConfig(Map.of(
                "start-time", start.toString(),
                "timeout", "200ms",
                "concurrency", "4",
                "management.port", "0"))).load();

        export = CompletableFuture.supplyAsync(() -> ExporterApp.run(config, running::set));

        await().atMost(PATIENCE).until(() -> world.fluentd().eventCount() == EVENTS + 2 * sessions.size()
                && sessions.stream().allMatch(sid -> world.fluentd().events("session." + sid + ".log").size() == 2));
        MBeanServer jmx = ManagementFactory.getPlatformMBeanServer();
        ObjectName chunks = route("export-chunk");
        ObjectName recordings = route("session-recordings");
        await().atMost(PATIENCE).until(() -> (Long) jmx.getAttribute(recordings, "ExchangesCompleted")
                == sessions.size());
        // 400 events over two dates in chunks of 50: at least one chunk per date, each one exchange
        assertThat((Long) jmx.getAttribute(chunks, "ExchangesCompleted")).isGreaterThanOrEqualTo(EVENTS / 50);
        assertThat(jmx.getAttribute(chunks, "ExchangesFailed")).isEqualTo(0L);
        // the cut streams, opened again by the redelivery of the route's split (its statistics as a processor)
        assertThat((Long) jmx.getAttribute(processor("stream-chunk"), "Redeliveries")).isPositive();
        assertThat(world.fluentd().eventIds(DemoEnvironment.AUDIT_TAG)).as("every event once").doesNotHaveDuplicates();
        assertThat((String) jmx.getAttribute(chunks, "EndpointUri")).startsWith("seda://export-chunks")
                .contains("concurrentConsumers=3"); // max(concurrency / 4, 3), as the Go handler reads
        assertThat(jmx.getAttribute(recordings, "ExchangesFailed")).isEqualTo(0L);
        assertThat((String) jmx.getAttribute(recordings, "EndpointUri")).startsWith("seda://session-recordings")
                .contains("concurrentConsumers=4");
        assertThat((Long) jmx.getAttribute(route("session-uploads"), "ExchangesCompleted")).isPositive();
        assertThat((Long) jmx.getAttribute(route("session-retries"), "ExchangesCompleted")).isPositive();
        assertThat((Long) jmx.getAttribute(route("audit-export"), "ExchangesCompleted")).isPositive();

        running.get().stop().run();
        assertThat(export.get(30, TimeUnit.SECONDS)).isZero();
        running.set(null);
        // every chunk and recording stream ended or was cancelled
        await().atMost(PATIENCE).until(() -> world.teleport().openStreams() == 0);
    }

    private static ObjectName route(String id) throws Exception {
        return new ObjectName("org.apache.camel:context=teleport-event-exporter,type=routes,name=\"" + id + "\"");
    }

    private static ObjectName processor(String id) throws Exception {
        return new ObjectName("org.apache.camel:context=teleport-event-exporter,type=processors,name=\"" + id + "\"");
    }
}
