package dev.tee.demo;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tee.app.ExporterApp;
import dev.tee.config.ConfigLoader;
import dev.tee.config.ExporterConfig;

/**
 * Shows the whole pipeline on one machine, with no cluster: a fake Teleport serving generated events
 * of the last hour, the real exporter with its real routes, and the chosen output; then reports what
 * arrived.
 */
public final class Demo {

    private static final Duration HISTORY = Duration.ofHours(1);

    private Demo() {
    }

    public static int run(int events, String output) {
        PrintStream out = System.out;
        if (!output.equals("fluentd")) {
            out.println("The demo can only export to fluentd in this version.");
            return 2;
        }
        Path dir = temporaryDirectory();
        Instant end = Instant.now().truncatedTo(ChronoUnit.SECONDS).minusSeconds(1);
        Instant start = end.minus(HISTORY);
        List<ObjectNode> generated = new EventGenerator(42, start, HISTORY.dividedBy(events)).generate(events);

        try (DemoEnvironment world = DemoEnvironment.start(dir, generated, builder -> { })) {
            int recordings = uploadRecordings(world.teleport(), generated);
            out.printf("Fake Teleport  : cluster %s at %s, %d events of the last hour%n",
                    world.teleport().clusterName(), world.teleport().address(), events);
            out.printf("Fluentd        : stand-in at %s (mTLS)%n", world.fluentd().url("/" + DemoEnvironment.AUDIT_TAG));
            out.printf("Working dir    : %s%n%n", dir);
            Path configFile = world.writeConfig(Map.of(
                    "start-time", start.toString(),
                    "exit-on-last-event", "true",
                    "timeout", "200ms",
                    "management.port", "0"));
            ExporterConfig config = new ConfigLoader(Map.of()).configFile(configFile).load();

            long began = System.nanoTime();
            int status = ExporterApp.run(config);
            double seconds = (System.nanoTime() - began) / 1e9;

            List<ReceivedEvent> received = world.fluentd().events(DemoEnvironment.AUDIT_TAG);
            Map<String, Long> byType = received.stream().collect(Collectors.groupingBy(
                    event -> event.record().path("event").asText(), TreeMap::new, Collectors.counting()));
            out.printf("%nDelivered %d of %d events to Fluentd in %d requests, %.1f s including start-up (%.0f events/s)%n",
                    received.size(), events, world.fluentd().requestCount(), seconds, received.size() / seconds);
            byType.forEach((type, count) -> out.printf("  %-24s %6d%n", type, count));
            List<String> sessionTags = world.fluentd().tags().stream()
                    .filter(tag -> tag.startsWith("session.")).toList();
            out.printf("Exported %d of %d session recordings (%d events; print events skipped, see skip-session-types)"
                    + " to session.<sid>.log tags%n", sessionTags.size(), recordings,
                    sessionTags.stream().mapToInt(tag -> world.fluentd().events(tag).size()).sum());
            out.printf("State (cursor, delivered ids): %s%n", dir.resolve("storage"));
            return status;
        }
    }

    /** A short recording for each session.upload generated, as Teleport has one for each uploaded session. */
    private static int uploadRecordings(FakeTeleport teleport, List<ObjectNode> generated) {
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
