package dev.tee.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tee.demo.FakeTeleport;
import dev.tee.tls.Configure;
import dev.tee.testing.ConfiguredFluentd;
import dev.tee.testing.ExporterProcess;
import dev.tee.testing.GeneratedEvents;
import dev.tee.testing.S3ProxyServer;

/**
 * The exporter (child JVM) into real Fluentd 1.18 with fluent-plugin-s3 on configure's fluent.conf,
 * writing to S3Proxy, from a fake Teleport: events/s, the CPU each process used while the export ran,
 * and how long after the exporter had every event acknowledged the last minute object reached S3.
 * Run with bench/real-fluentd.sh (see bench/README.md).
 */
public final class RealFluentdBenchmark {

    private static final String BUCKET = "bench";
    private static final Pattern CAMEL_STARTED =
            Pattern.compile("(?m)^(\\S+) INFO AbstractCamelContext - Apache Camel \\S+ \\(teleport-event-exporter\\) started");

    private RealFluentdBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = ExportBenchmark.options(args, Map.of("events", "100000", "batch", "20",
                "mode", "batch", "days", "3", "read", "search", "jvm", ExportBenchmark.DEFAULT_JVM));
        // --jvm: the exporter JVM's options, the README's heap by default
        System.setProperty(ExporterProcess.JVM_OPTIONS, options.get("jvm"));
        int count = Integer.parseInt(options.get("events"));
        Duration span = Duration.ofDays(Long.parseLong(options.get("days")));
        Instant start = Instant.now().truncatedTo(ChronoUnit.DAYS).minus(span);
        List<ObjectNode> events = GeneratedEvents.withoutUploads(7, start, span.dividedBy(count), count);
        Set<String> minutes = events.stream()
                .map(e -> Instant.parse(e.get("time").asText()).truncatedTo(ChronoUnit.MINUTES).toString())
                .collect(Collectors.toSet());
        System.out.printf("%d events over %d days (%d minutes with events), %s API, batch %s, batch-mode %s, "
                + "into real Fluentd -> S3Proxy%n", count, span.toDays(), minutes.size(), options.get("read"),
                options.get("batch"), options.get("mode"));

        Path dir = Files.createTempDirectory("tee-bench-fluentd-");
        try (S3ProxyServer s3 = S3ProxyServer.start()) {
            s3.createBucket(BUCKET);
            try (ConfiguredFluentd fluentd = ConfiguredFluentd.start(dir.resolve("configure"), s3, BUCKET);
                    FakeTeleport teleport = FakeTeleport.builder().events(events)
                            .bulkExport(options.get("read").equals("export")).start()) {
                events = null; // the fake Teleport holds its own copy
                Path config = exporterConfig(fluentd, teleport, start, options, dir);

                Duration fluentdCpuBefore = fluentd.fluentd().cpuTime();
                long began = System.nanoTime();
                ExporterProcess exporter = ExporterProcess.start(config, dir.resolve("exporter.log"));
                long peakRss = 0;
                Duration exporterCpu = Duration.ZERO;
                while (exporter.isAlive()) {
                    peakRss = Math.max(peakRss, ExportBenchmark.rssKib(exporter.pid()));
                    exporterCpu = ProcessHandle.of(exporter.pid()).flatMap(p -> p.info().totalCpuDuration())
                            .orElse(exporterCpu);
                    Thread.sleep(100);
                }
                int status = exporter.waitFor(Duration.ofSeconds(10));
                long acknowledged = System.nanoTime();
                Duration fluentdCpuExport = fluentd.fluentd().cpuTime().minus(fluentdCpuBefore);
                double wall = (acknowledged - began) / 1e9;
                double export = wall - startUp(exporter.log(), began);

                // Fluentd writes a minute in two objects (_0, _1) where an enqueue tick fell inside it,
                // so the count may pass the minutes: wait until it stops changing
                long objects = 0;
                long lastChange = System.nanoTime();
                while (System.nanoTime() - lastChange < (objects < minutes.size() ? 60 : 15) * 1_000_000_000L) {
                    long now = s3.keys(BUCKET, "teleport/logs").size();
                    if (now != objects) {
                        objects = now;
                        lastChange = System.nanoTime();
                    }
                    Thread.sleep(200);
                }
                double drained = (lastChange - acknowledged) / 1e9;
                Duration fluentdCpuAll = fluentd.fluentd().cpuTime().minus(fluentdCpuBefore);

                System.out.printf("exporter exit status %d after %.1f s (%.1f s of it exporting, after Camel started)%n",
                        status, wall, export);
                System.out.printf("events/s: %.0f while exporting (%.0f with JVM start)%n", count / export, count / wall);
                System.out.printf("CPU while exporting: exporter %.1f s (%.0f%% of one core, %.0f us/event), "
                        + "Fluentd %.1f s (%.0f%% of one core)%n", exporterCpu.toMillis() / 1000.0,
                        100 * exporterCpu.toMillis() / 1000.0 / wall, exporterCpu.toNanos() / 1000.0 / count,
                        fluentdCpuExport.toMillis() / 1000.0, 100 * fluentdCpuExport.toMillis() / 1000.0 / wall);
                System.out.printf("peak RSS of the exporter: %d MiB%n", peakRss / 1024);
                System.out.printf("S3: %d objects for %d minutes; the last %.1f s after the exporter had all "
                        + "acknowledged; Fluentd used %.1f s of CPU in all%n", objects, minutes.size(), drained,
                        fluentdCpuAll.toMillis() / 1000.0);
            }
        }
    }

    /** configure's application.properties, pointed at the fake Teleport and this Fluentd, for one run. */
    private static Path exporterConfig(ConfiguredFluentd fluentd, FakeTeleport teleport, Instant start,
            Map<String, String> options, Path dir) throws IOException {
        teleport.writeIdentityFile(fluentd.dir().resolve(Configure.IDENTITY), Configure.TELEPORT_USER,
                Duration.ofDays(1));
        Properties properties = new Properties();
        try (var in = Files.newInputStream(fluentd.dir().resolve(Configure.PROPERTIES))) {
            properties.load(in);
        }
        properties.setProperty("teleport.addr", teleport.address());
        properties.setProperty("forward.fluentd.url", fluentd.here(Configure.AUDIT_URL));
        properties.setProperty("forward.fluentd.session-url", fluentd.here(Configure.SESSION_URL));
        properties.setProperty("forward.fluentd.batch-mode", options.get("mode"));
        properties.setProperty("batch", options.get("batch"));
        properties.setProperty("start-time", start.toString());
        properties.setProperty("storage", dir.resolve("storage").toString());
        properties.setProperty("timeout", "500ms");
        properties.setProperty("exit-on-last-event", "true");
        properties.setProperty("management.port", "0");
        Path file = fluentd.dir().resolve("bench.properties");
        try (OutputStream out = Files.newOutputStream(file)) {
            properties.store(out, "bench/real-fluentd.sh");
        }
        return file;
    }

    /** Seconds from the exporter's start to Camel's "started" line in its log (JVM, config, Teleport). */
    private static double startUp(String log, long began) {
        Matcher started = CAMEL_STARTED.matcher(log);
        if (!started.find()) {
            return 0;
        }
        Instant at = Instant.parse(started.group(1));
        Instant launched = Instant.now().minusNanos(System.nanoTime() - began);
        return Math.max(0, Duration.between(launched, at).toMillis() / 1000.0);
    }
}
