package dev.tee.observe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.management.MBeanServer;
import javax.management.ObjectName;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tee.app.ExporterApp;
import dev.tee.config.ConfigLoader;
import dev.tee.demo.DemoEnvironment;
import dev.tee.demo.EventGenerator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The exporter in this JVM, watched the way an operator would: /observe/metrics and /observe/health
 * scraped over HTTP while it runs against the fake Teleport and the Fluentd stand-in, and its JMX
 * MBeans. The numbers must match what the stand-in received.
 */
class ObservabilityTest {

    private static final Duration PATIENCE = Duration.ofSeconds(60);
    private static final String SKIPPED_TYPE = "exec";

    @TempDir
    Path dir;

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private final Instant startTime = Instant.now().truncatedTo(ChronoUnit.SECONDS).minus(Duration.ofHours(2));
    private DemoEnvironment world;
    private final AtomicReference<ExporterApp.Running> running = new AtomicReference<>();
    private CompletableFuture<Integer> export;
    private int port;

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
    void metricsHealthAndJmxAgreeWithWhatFluentdReceived() throws Exception {
        List<ObjectNode> events = events(600);
        long skipped = events.stream().filter(e -> e.get("event").asText().equals(SKIPPED_TYPE)).count();
        assertThat(skipped).isPositive();
        world = DemoEnvironment.start(dir, events, builder -> { });
        start(events, Map.of("skip-event-types", SKIPPED_TYPE));

        await().atMost(PATIENCE).until(() -> world.fluentd().eventCount() == events.size() - skipped);
        await().atMost(PATIENCE).until(() -> metric(scrape(), "teleport_exporter_caught_up") == 1);
        String metrics = scrape();
        int received = world.fluentd().eventCount();
        assertThat(metric(metrics, "teleport_exporter_events_read_total")).isEqualTo(events.size());
        assertThat(metric(metrics, "teleport_exporter_events_filtered_total")).isEqualTo(skipped);
        assertThat(metric(metrics, "teleport_exporter_events_deduplicated_total")).isZero();
        assertThat(metric(metrics, "teleport_exporter_events_delivered_total")).isEqualTo(received);
        assertThat(metric(metrics, "teleport_exporter_events_dead_lettered_total")).isZero();
        assertThat(metric(metrics, "teleport_exporter_batches_sent_total")).isEqualTo(world.fluentd().requestCount());
        assertThat(metric(metrics, "teleport_exporter_events_pending")).isZero();
        assertThat(metric(metrics, "teleport_exporter_events_pending_bytes")).isZero();
        assertThat(metric(metrics, "teleport_exporter_retries_total")).isZero();
        assertThat(metric(metrics, "teleport_exporter_lag_seconds")).isZero();
        assertThat(metric(metrics, "teleport_exporter_last_send_timestamp_seconds"))
                .isBetween(Instant.now().minusSeconds(120).getEpochSecond() * 1.0, Instant.now().getEpochSecond() + 1.0);
        assertThat(metric(metrics, "teleport_exporter_sessions_active")).isZero();
        assertThat(metrics)
                .contains("# HELP teleport_exporter_events_delivered_total Events the output acknowledged")
                .containsPattern("camel_exchanges_total\\{.*routeId=\"audit-deliver\"")
                // timed per event or per batch inside a timed route, they would cost more than they tell
                .doesNotContainPattern("camel_exchanges_total\\{.*routeId=\"(audit-events|audit-poll|fluentd-deliver|audit-commit|session-uploads)\"")
                .doesNotContain(world.dir().toString()); // no paths, no keys: nothing of the configuration

        HttpResponse<String> health = get("/observe/health?exposureLevel=full");
        assertThat(health.statusCode()).isEqualTo(200);
        JsonNode checks = JSON.readTree(health.body());
        assertThat(checks.path("status").asText()).isEqualTo("UP");
        assertThat(checks.path("checks").findValuesAsText("name"))
                .contains("teleport", "output", "lag", "route:audit-deliver", "route:audit-poll");

        MBeanServer jmx = ManagementFactory.getPlatformMBeanServer();
        assertThat(jmx.queryNames(new ObjectName("org.apache.camel:context=teleport-event-exporter,type=routes,*"), null))
                .extracting(name -> name.getKeyProperty("name"))
                .contains("\"audit-deliver\"", "\"audit-events\"");
        // Camel makes an event for each exchange created, sent and completed, several per audit event,
        // and offers it to each notifier, as long as any one notifier takes exchange events: none may
        // (the retries are counted by the error handlers' countRetry instead)
        Set<ObjectName> notifiers = jmx.queryNames(
                new ObjectName("org.apache.camel:context=teleport-event-exporter,type=eventnotifiers,*"), null);
        assertThat(notifiers).hasSizeGreaterThanOrEqualTo(2); // Micrometer's route notifier, Camel Main's summary
        for (ObjectName notifier : notifiers) {
            assertThat((Boolean) jmx.getAttribute(notifier, "IgnoreExchangeEvents")).as(notifier.toString()).isTrue();
        }
        ObjectName exporter = new ObjectName(
                "org.apache.camel:context=teleport-event-exporter,type=services,name=ExporterMetrics");
        assertThat(jmx.getAttribute(exporter, "EventsDelivered")).isEqualTo((long) received);
        assertThat(jmx.getAttribute(exporter, "EventsFiltered")).isEqualTo(skipped);
    }

    @Test
    void aReplayFromAnOldCursorCountsEveryEventAsDeduplicated() throws Exception {
        List<ObjectNode> events = events(200);
        world = DemoEnvironment.start(dir, events, builder -> { });
        start(events, Map.of());
        await().atMost(PATIENCE).until(() -> world.fluentd().eventCount() == events.size());
        stopExport();
        // the cursor goes, the delivered ids stay: the exporter reads everything again and sends nothing
        try (var files = Files.walk(dir.resolve("storage"))) {
            files.filter(file -> file.getFileName().toString().equals("legacy-cursor.json")).forEach(ObservabilityTest::delete);
        }
        long requests = world.fluentd().requestCount();

        start(events, Map.of());
        await().atMost(PATIENCE).until(() -> metric(scrape(), "teleport_exporter_events_deduplicated_total") == events.size());
        String metrics = scrape();
        assertThat(metric(metrics, "teleport_exporter_events_read_total")).isEqualTo(events.size());
        assertThat(metric(metrics, "teleport_exporter_events_delivered_total")).isZero();
        assertThat(world.fluentd().requestCount()).isEqualTo(requests);
    }

    @Test
    void healthIsDownWhileFluentdIsAwayAndUpOnceItIsBack() throws Exception {
        List<ObjectNode> events = events(100);
        world = DemoEnvironment.start(dir, events, builder -> { });
        world.fluentd().stop();
        start(events, Map.of());

        assertThat(downChecks(awaitHealth(503))).containsOnlyKeys("output")
                .hasEntrySatisfying("output", message -> assertThat(message)
                        .startsWith("the output has refused or not answered for")
                        .contains("(health.unreachable-after 2s): Fluentd at https:")
                        .endsWith("is unreachable: connection refused"));
        String metrics = scrape();
        assertThat(metric(metrics, "teleport_exporter_retries_total")).isPositive();
        assertThat(metric(metrics, "teleport_exporter_output_failing_seconds")).isGreaterThanOrEqualTo(2);
        assertThat(get("/observe/health/live").statusCode()).as("liveness ignores the output").isEqualTo(200);

        world.fluentd().start();
        awaitHealth(200);
        await().atMost(PATIENCE).until(() -> world.fluentd().eventCount() == events.size());
        assertThat(metric(scrape(), "teleport_exporter_output_failing_seconds")).isZero();
    }

    @Test
    void healthIsDownWhileTeleportIsAwayAndUpOnceItIsBack() throws Exception {
        List<ObjectNode> events = events(100);
        world = DemoEnvironment.start(dir, events, builder -> { });
        start(events, Map.of());
        await().atMost(PATIENCE).until(() -> world.fluentd().eventCount() == events.size());
        assertThat(get("/observe/health").statusCode()).isEqualTo(200);

        world.teleport().stop();
        assertThat(downChecks(awaitHealth(503))).containsOnlyKeys("teleport")
                .hasEntrySatisfying("teleport", message -> assertThat(message)
                        .startsWith("calls to Teleport have failed for")
                        .contains("(health.unreachable-after 2s): GetUnstructuredEvents: UNAVAILABLE"));
        assertThat(metric(scrape(), "teleport_exporter_teleport_failing_seconds")).isGreaterThanOrEqualTo(2);

        world.teleport().restart();
        awaitHealth(200);
        assertThat(metric(scrape(), "teleport_exporter_teleport_failing_seconds")).isZero();
    }

    @Test
    void healthIsDownWhileTheExportLagsMoreThanAllowed() throws Exception {
        // events of two days ago, delivered slowly: the lag check fails until the export caught up
        List<ObjectNode> events = new EventGenerator(11, Instant.now().minus(Duration.ofDays(2)), Duration.ofSeconds(1))
                .generate(400);
        world = DemoEnvironment.start(dir, events, builder -> { });
        world.fluentd().latency(Duration.ofMillis(500));
        start(events, Map.of("health.max-lag", "1h", "start-time", Instant.now().minus(Duration.ofDays(3))
                .truncatedTo(ChronoUnit.SECONDS).toString()));

        assertThat(downChecks(awaitHealth(503))).containsOnlyKeys("lag")
                .hasEntrySatisfying("lag", message -> assertThat(message)
                        .matches("the newest exported event is 4[78]h\\d+m\\d+s old \\(health.max-lag 1h\\)"));
        assertThat(metric(scrape(), "teleport_exporter_lag_seconds")).isGreaterThan(3600);

        world.fluentd().latency(Duration.ZERO);
        awaitHealth(200);
        assertThat(world.fluentd().eventCount()).isEqualTo(events.size());
    }

    /** {@code n} events of the last hour. */
    private static List<ObjectNode> events(int n) {
        Instant start = Instant.now().truncatedTo(ChronoUnit.SECONDS).minus(Duration.ofHours(1));
        return new EventGenerator(5, start, Duration.ofHours(1).dividedBy(n)).generate(n);
    }

    /** The DOWN checks of a health answer, by name, with their messages. */
    private static Map<String, String> downChecks(HttpResponse<String> health) throws IOException {
        Map<String, String> down = new HashMap<>();
        for (JsonNode check : JSON.readTree(health.body()).path("checks")) {
            if (check.path("status").asText().equals("DOWN")) {
                down.put(check.path("name").asText(), check.path("message").asText());
            }
        }
        return down;
    }

    private void start(List<ObjectNode> events, Map<String, String> extra) throws IOException {
        port = freePort();
        Map<String, String> settings = new HashMap<>(Map.of(
                "start-time", startTime.toString(),
                "timeout", "200ms",
                "management.port", Integer.toString(port),
                "health.unreachable-after", "2s",
                "progress.interval", "1s"));
        settings.putAll(extra);
        var config = new ConfigLoader(Map.of()).configFile(world.writeConfig(settings)).load();
        running.set(null);
        export = CompletableFuture.supplyAsync(() -> ExporterApp.run(config, running::set));
        await().atMost(PATIENCE).until(() -> export.isDone() || running.get() != null && reachable());
        assertThat(export).as("the exporter runs").isNotDone();
    }

    private void stopExport() throws Exception {
        running.get().stop().run();
        assertThat(export.get(30, TimeUnit.SECONDS)).isZero();
        running.set(null);
        export = null;
    }

    private HttpResponse<String> awaitHealth(int status) {
        AtomicReference<HttpResponse<String>> last = new AtomicReference<>();
        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(200)).until(() -> {
            last.set(get("/observe/health"));
            return last.get().statusCode() == status;
        });
        return last.get();
    }

    private boolean reachable() {
        try {
            return get("/observe/health").statusCode() > 0;
        } catch (IOException e) {
            return false;
        }
    }

    private String scrape() throws IOException {
        HttpResponse<String> response = get("/observe/metrics");
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body();
    }

    private HttpResponse<String> get(String path) throws IOException {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** The value of an unlabelled sample in Prometheus' text format. */
    static double metric(String text, String name) {
        Matcher matcher = Pattern.compile("(?m)^" + Pattern.quote(name) + "(?:\\{[^}]*\\})? (\\S+)$").matcher(text);
        assertThat(matcher.find()).as("%s in%n%s", name, text).isTrue();
        return Double.parseDouble(matcher.group(1));
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static void delete(Path file) {
        try {
            Files.delete(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
