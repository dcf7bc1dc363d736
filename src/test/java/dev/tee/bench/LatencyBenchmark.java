package dev.tee.bench;

import java.nio.file.Files;
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

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tee.demo.DemoEnvironment;
import dev.tee.demo.EventGenerator;
import dev.tee.testing.ExporterProcess;

/**
 * Live latency: the exporter (child JVM, search API) caught up with a fake Teleport, which then gets
 * one new event every {@code --every} (dated now); each event's latency is from the moment Teleport
 * has it to the moment the Fluentd stand-in has it. Also how long the exporter takes from its start
 * to its first read of the audit log. Run with bench/latency.sh (see bench/README.md).
 */
public final class LatencyBenchmark {

    private LatencyBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = ExportBenchmark.options(args, Map.of("events", "300", "every", "100ms",
                "timeout", "1s", "batch", "20", "jvm", ExportBenchmark.DEFAULT_JVM, "jar", ""));
        ExportBenchmark.exporterJvm(options);
        int events = Integer.parseInt(options.get("events"));
        Duration every = Duration.ofMillis(Long.parseLong(options.get("every").replace("ms", "")));
        Path dir = Files.createTempDirectory("tee-latency-");
        Instant start = Instant.now().truncatedTo(ChronoUnit.SECONDS).minusSeconds(60);
        try (DemoEnvironment world = DemoEnvironment.start(dir, List.of(), fluentd -> { })) {
            Map<String, String> settings = new HashMap<>(Map.of("start-time", start.toString(),
                    "batch", options.get("batch"), "timeout", options.get("timeout"), "management.port", "0"));
            long began = System.nanoTime();
            ExporterProcess exporter = ExporterProcess.start(world.writeConfig(settings), dir.resolve("exporter.log"));
            try {
                while (world.teleport().calls("GetUnstructuredEvents") == 0) {
                    if (!exporter.isAlive()) {
                        throw new IllegalStateException("the exporter exited; log " + dir.resolve("exporter.log"));
                    }
                    Thread.sleep(5);
                }
                System.out.printf("start to first read: %.2f s (JVM start, configuration, connection, routes)%n",
                        (System.nanoTime() - began) / 1e9);
                Thread.sleep(3_000); // caught up: polling every timeout

                List<ObjectNode> fresh = new EventGenerator(5, Instant.now(), Duration.ofMillis(1)).generate(events);
                Map<String, Long> appendedAt = new HashMap<>();
                List<Double> latencies = new ArrayList<>();
                Set<String> seen = new HashSet<>();
                long nextAppend = System.nanoTime();
                int appended = 0;
                long deadline = System.nanoTime() + every.toNanos() * events + Duration.ofSeconds(30).toNanos();
                while (latencies.size() < events && System.nanoTime() < deadline) {
                    long now = System.nanoTime();
                    if (appended < events && now >= nextAppend) {
                        ObjectNode event = fresh.get(appended);
                        event.put("time", Instant.now().toString());
                        appendedAt.put(world.teleport().append(event).getId(), System.nanoTime());
                        appended++;
                        nextAppend += every.toNanos();
                    }
                    for (String id : world.fluentd().eventIds(DemoEnvironment.AUDIT_TAG)) {
                        Long at = appendedAt.get(id);
                        if (at != null && seen.add(id)) {
                            latencies.add((System.nanoTime() - at) / 1e6);
                        }
                    }
                    Thread.sleep(2);
                }
                latencies.sort(Double::compare);
                System.out.printf("%d events, one every %d ms, timeout=%s, batch %s: %d arrived; latency ms: "
                        + "p50 %.0f, p90 %.0f, p99 %.0f, max %.0f%n", events, every.toMillis(), options.get("timeout"),
                        options.get("batch"), latencies.size(), percentile(latencies, 0.5),
                        percentile(latencies, 0.9), percentile(latencies, 0.99), percentile(latencies, 1.0));
            } finally {
                exporter.kill9();
            }
        }
    }

    private static double percentile(List<Double> sorted, double p) {
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(p * sorted.size()); // nearest rank, 1-based
        return sorted.get(Math.max(0, rank - 1));
    }
}
