package dev.tee.demo;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tee.app.ExporterApp;
import dev.tee.config.ConfigException;
import dev.tee.config.ConfigKey;
import dev.tee.config.ConfigLoader;
import dev.tee.config.ExporterConfig;
import dev.tee.observe.ExporterMetrics;

/**
 * Shows the whole pipeline on one machine, with no cluster: a fake Teleport serving generated events
 * of the last hour, the real exporter with its real routes, and the chosen output (the Fluentd
 * stand-in, a directory, or an S3 bucket the user names); a progress bar while it runs, then what
 * arrived where.
 */
public final class Demo {

    /** Where --output file writes, below the working directory; each run gets its own directory. */
    public static final String FILE_OUTPUT_DIR = "demo-output";
    /** Where --output s3 writes in the bucket, so that nothing a Panther source reads is touched. */
    public static final String S3_PREFIX = "teleport-event-exporter-demo/";
    /** The environment variables --output s3 takes its bucket and credentials from (and only those). */
    public static final String S3_ENV_PREFIX = ConfigKey.ENV_PREFIX + "FORWARD_S3_";

    private static final Duration HISTORY = Duration.ofHours(1);
    private static final DateTimeFormatter RUN_ID = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

    private Demo() {
    }

    /**
     * Runs the demo and returns the exit status.
     *
     * @param environment read for {@code FDFWD_FORWARD_S3_*} only (--output s3)
     * @param workingDir where --output file makes {@value #FILE_OUTPUT_DIR}
     * @param terminal whether {@code out} is a terminal (the progress bar redraws itself in place)
     */
    public static int run(int events, String output, Map<String, String> environment, Path workingDir,
            PrintStream out, boolean terminal) {
        Map<String, String> s3Environment = environment.entrySet().stream()
                .filter(entry -> entry.getKey().startsWith(S3_ENV_PREFIX))
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
        if (output.equals("s3") && !s3Environment.containsKey(S3_ENV_PREFIX + "BUCKET")) {
            throw new ConfigException("demo --output s3 needs a bucket to write to: set " + S3_ENV_PREFIX
                    + "BUCKET (and " + S3_ENV_PREFIX + "REGION, ENDPOINT, ...), see demo --help; "
                    + "--output file writes the same objects to ./" + FILE_OUTPUT_DIR);
        }
        Instant now = Instant.now();
        String runId = RUN_ID.format(now);
        // objects of a minute are written once it is over: end with the last whole minute, not now
        Instant end = now.truncatedTo(ChronoUnit.MINUTES).minusSeconds(1);
        Instant start = end.minus(HISTORY);
        List<ObjectNode> generated = new EventGenerator(42, start, HISTORY.dividedBy(events)).generate(events);
        Path dir = temporaryDirectory();

        try (DemoEnvironment world = DemoEnvironment.start(dir, generated, builder -> { })) {
            int recordings = uploadRecordings(world.teleport(), generated);
            out.printf("Fake Teleport  : cluster %s at %s, %d events of the last hour%n",
                    world.teleport().clusterName(), world.teleport().address(), events);
            Map<String, String> settings = new HashMap<>(Map.of(
                    "start-time", start.minusSeconds(1).toString(),
                    "exit-on-last-event", "true",
                    "timeout", "200ms",
                    "management.port", "0",
                    "output", output,
                    "forward.s3.flush-delay", "500ms"));
            Path fileOutput = workingDir.resolve(FILE_OUTPUT_DIR).resolve(runId);
            String s3Run = S3_PREFIX + runId + "/";
            switch (output) {
                case "fluentd" -> out.printf("Output         : Fluentd stand-in at %s (mTLS)%n",
                        world.fluentd().url("/" + DemoEnvironment.AUDIT_TAG));
                case "file" -> {
                    settings.put("forward.file.dir", fileOutput.toAbsolutePath().toString());
                    out.printf("Output         : Panther's S3 layout in %s%n", fileOutput);
                }
                default -> {
                    settings.put("forward.s3.prefix", s3Run + "teleport/logs");
                    settings.put("forward.s3.session-prefix", s3Run + "teleport/sessions/");
                }
            }
            ExporterConfig config = new ConfigLoader(s3Environment).configFile(world.writeConfig(settings)).load();
            if (output.equals("s3")) {
                out.printf("Output         : s3://%s/%s...%s%n", config.string(ConfigKey.FORWARD_S3_BUCKET),
                        config.string(ConfigKey.FORWARD_S3_PREFIX),
                        config.optionalString(ConfigKey.FORWARD_S3_ENDPOINT).map(e -> " at " + e).orElse(""));
            }
            out.printf("Working dir    : %s%n%n", dir);

            AtomicReference<ExporterMetrics> metrics = new AtomicReference<>();
            long began = System.nanoTime();
            int status;
            ProgressBar bar = new ProgressBar(out, terminal, events, () -> delivered(metrics.get()));
            try (bar) {
                status = ExporterApp.run(config, running -> metrics.set(running.metrics()));
            }
            double seconds = (System.nanoTime() - began) / 1e9;
            summary(out, world, output, metrics.get().snapshot(), seconds, bar.deliverySeconds(), fileOutput, config,
                    recordings);
            return status;
        }
    }

    private static long delivered(ExporterMetrics metrics) {
        return metrics == null ? 0 : metrics.getEventsDelivered(); // sampled every 20 ms: no full snapshot
    }

    private static void summary(PrintStream out, DemoEnvironment world, String output, ExporterMetrics.Snapshot done,
            double seconds, double delivering, Path fileOutput, ExporterConfig config, int recordings) {
        out.printf("%nRead %d events and delivered %d in %.1f s with start-up and shutdown", done.read(),
                done.delivered(), seconds);
        if (delivering > 0) { // with every event in one request there is no span to divide by
            out.printf("; delivering took %.1f s (%.0f events/s)", delivering, done.delivered() / delivering);
        }
        out.println();
        if (done.deadLettered() > 0) {
            out.printf("Dead-lettered  : %d (see dead-letter.jsonl in the state directory)%n", done.deadLettered());
        }
        switch (output) {
            case "fluentd" -> {
                List<ReceivedEvent> received = world.fluentd().events(DemoEnvironment.AUDIT_TAG);
                out.printf("Fluentd        : %d events in %d requests%n", received.size(), done.batches());
                Map<String, Long> byType = received.stream().collect(Collectors.groupingBy(
                        event -> event.record().path("event").asText(), TreeMap::new, Collectors.counting()));
                byType.forEach((type, count) -> out.printf("  %-24s %6d%n", type, count));
                List<String> sessionTags = world.fluentd().tags().stream()
                        .filter(tag -> tag.startsWith("session.")).toList();
                out.printf("Sessions       : %d of %d recordings (%d events; print events skipped, see"
                        + " skip-session-types) to session.<sid>.log tags%n", sessionTags.size(), recordings,
                        sessionTags.stream().mapToInt(tag -> world.fluentd().events(tag).size()).sum());
            }
            case "file" -> {
                List<Path> objects = objects(fileOutput.resolve("teleport"), "logs");
                out.printf("Objects        : %d written, e.g. %s%n", done.batches(),
                        objects.isEmpty() ? "none" : objects.get(0));
                out.printf("                 zcat %s/teleport/logs*.gz | head%n", fileOutput);
                out.printf("Sessions       : %d of %d recordings, in %s%n", done.sessionsDone(), recordings,
                        fileOutput.resolve(config.string(ConfigKey.FORWARD_S3_SESSION_PREFIX)));
            }
            default -> {
                out.printf("Objects        : %d written to s3://%s/%s...%n", done.batches(),
                        config.string(ConfigKey.FORWARD_S3_BUCKET), config.string(ConfigKey.FORWARD_S3_PREFIX));
                out.printf("Sessions       : %d of %d recordings, under s3://%s/%s%n", done.sessionsDone(), recordings,
                        config.string(ConfigKey.FORWARD_S3_BUCKET), config.string(ConfigKey.FORWARD_S3_SESSION_PREFIX));
            }
        }
        out.printf("State          : %s (cursor, delivered ids)%n", world.dir().resolve("storage"));
    }

    /** The files in {@code dir} whose names start with {@code prefix}. */
    private static List<Path> objects(Path dir, String prefix) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(file -> Files.isRegularFile(file) && file.getFileName().toString().startsWith(prefix))
                    .sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
    }

    /** A short recording for each session.upload generated, as Teleport has one for each uploaded session. */
    static int uploadRecordings(FakeTeleport teleport, List<ObjectNode> generated) {
        int count = 0;
        for (ObjectNode event : generated) {
            if (event.path("event").asText().equals("session.upload")) {
                Instant uploaded = Instant.parse(event.get("time").asText());
                teleport.addRecording(SessionRecording.synthetic(count, uploaded.minusSeconds(120), 20)
                        .withSessionId(event.get("sid").asText()));
                count++;
            }
        }
        return count;
    }

    private static Path temporaryDirectory() {
        try {
            return Files.createTempDirectory("teleport-event-exporter-demo-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a directory for the demo", e);
        }
    }
}
