package dev.tee.testing;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tee.demo.DemoEnvironment;

/**
 * Crashes an export again and again: starts the exporter as a child JVM, kills it with SIGKILL once a
 * seeded random number of events has arrived downstream, restarts it, and so on; then lets the last
 * run finish (the configuration must have {@code exit-on-last-event}) and counts every event id that
 * arrived. The seed is in every failure message, so a failing run can be repeated exactly.
 */
public final class KillLoop {

    /** batches-in-flight's default: a kill (or an outage mid-POST) can repeat that many batches in Fluentd. */
    public static final int IN_FLIGHT =
            Integer.parseInt(dev.tee.config.ConfigKey.BATCHES_IN_FLIGHT.defaultValue().orElseThrow());


    /** What one loop did: where each kill fell, and what arrived in the end. */
    public record Result(String output, long seed, int events, int kills, List<Integer> killedAt, int received,
            Set<String> lost, int repeated, int mostRepeatedByOneRun, Duration duration, String log,
            String whereRepeated) {

        /** Seed and log, for every assertion's description; where repeated events are, when known. */
        public String context() {
            return String.format("output %s, seed %d (-Dfaults.seed=%d repeats it), kills at %s; exporter log %s%s",
                    output, seed, seed, killedAt, log, whereRepeated.isEmpty() ? "" : "; repeated: " + whereRepeated);
        }

        /** One line for the report: events, kills, lost, repeated, duration. */
        public String summary() {
            return String.format("%s: %,d events, %d kills (seed %d): %d lost, %d repeated (at most %d by one run), "
                    + "%,d received, %.1f s", output, events, kills, seed, lost.size(), repeated,
                    mostRepeatedByOneRun, received, duration.toMillis() / 1000.0);
        }
    }

    private KillLoop() {
    }

    /** The seed given as -Dfaults.seed, else a fresh one. */
    public static long seed() {
        return Long.getLong("faults.seed", System.nanoTime());
    }

    /**
     * Runs the loop: {@code kills} crashes at random points of the export of {@code expected} events
     * into {@code downstream}, then a last run to the end.
     */
    public static Result run(Downstream downstream, Path config, Path log, Set<String> expected, int kills, long seed,
            Duration patience) throws InterruptedException {
        System.out.printf("kill loop into %s: %,d events, %d kills, seed %d%n", downstream.output(), expected.size(),
                kills, seed);
        long began = System.nanoTime();
        List<Integer> killedAt = new ArrayList<>();
        List<Integer> repeatedAtKill = new ArrayList<>();
        for (int target : killPoints(new Random(seed), expected.size(), kills)) {
            long runBegan = System.nanoTime();
            long firstArrival = 0;
            int before = distinct(downstream);
            ExporterProcess exporter = ExporterProcess.start(config, log);
            try {
                // a run always delivers something before it dies, so the loop moves on
                int goal = Math.max(target, distinct(downstream) + 1);
                long deadline = System.nanoTime() + patience.toNanos();
                int arrived;
                while ((arrived = distinct(downstream)) < goal && exporter.isAlive() && System.nanoTime() < deadline) {
                    if (firstArrival == 0 && arrived > before) {
                        firstArrival = System.nanoTime();
                    }
                    Thread.sleep(20);
                }
                if (!exporter.isAlive() || arrived < goal) {
                    throw new AssertionError(String.format("kill %d of %d into %s: the exporter %s before %,d events "
                            + "had arrived (%,d had); seed %d (-Dfaults.seed=%d repeats it), log %s%n%s",
                            killedAt.size() + 1, kills, downstream.output(),
                            exporter.isAlive() ? "stalled" : "exited", goal, arrived, seed, seed, log,
                            tail(exporter.log())));
                }
            } finally {
                exporter.kill9();
            }
            killedAt.add(distinct(downstream));
            repeatedAtKill.add(downstream.repeated());
            System.out.printf("  kill %d at %,d events: %.1f s after the start, %.1f s after the first new event%n",
                    killedAt.size(), killedAt.get(killedAt.size() - 1), (System.nanoTime() - runBegan) / 1e9,
                    firstArrival == 0 ? 0 : (System.nanoTime() - firstArrival) / 1e9);
        }
        ExporterProcess last = ExporterProcess.start(config, log);
        int status;
        try {
            status = last.waitFor(patience);
        } catch (AssertionError e) {
            throw new AssertionError(String.format("the last run into %s did not finish within %s; seed %d, log %s",
                    downstream.output(), patience, seed, log), e);
        }
        if (status != 0) {
            throw new AssertionError(String.format("the last run into %s exited %d; seed %d, log %s%n%s",
                    downstream.output(), status, seed, log, tail(last.log())));
        }
        Duration duration = Duration.ofNanos(System.nanoTime() - began);

        List<String> ids = downstream.ids();
        Set<String> lost = new TreeSet<>(expected);
        lost.removeAll(new HashSet<>(ids)); // a set: removeAll with a list argument is quadratic
        int repeated = downstream.repeated();
        repeatedAtKill.add(repeated);
        int most = repeatedAtKill.get(0);
        for (int i = 1; i < repeatedAtKill.size(); i++) {
            most = Math.max(most, repeatedAtKill.get(i) - repeatedAtKill.get(i - 1));
        }
        Result result = new Result(downstream.output(), seed, expected.size(), kills, killedAt, ids.size(), lost,
                repeated, most, duration, log.toString(), repeated == 0 ? "" : downstream.whereRepeated());
        System.out.println(result.summary());
        return result;
    }

    /**
     * The whole scenario in {@code dir}: a fake Teleport serving {@code events} generated events over
     * two days (search API), the exporter exporting them into {@code output} (fluentd, s3 or file) in
     * batches of {@code batch}, killed {@code kills} times.
     */
    public static Result export(Path dir, String output, int events, int kills, int batch, long seed,
            Duration patience) throws InterruptedException {
        Instant start = Instant.now().truncatedTo(ChronoUnit.SECONDS).minus(Duration.ofDays(2));
        List<ObjectNode> generated = GeneratedEvents.withoutUploads(seed, start,
                Duration.ofDays(2).dividedBy(events * 11L / 10), events * 11 / 10).subList(0, events);
        Set<String> expected = generated.stream().map(event -> event.get("uid").asText())
                .collect(Collectors.toCollection(HashSet::new));
        try (DemoEnvironment world = DemoEnvironment.start(dir, generated, fluentd -> { });
             Downstream downstream = switch (output) {
                 case "fluentd" -> Downstream.fluentd(world);
                 case "s3" -> {
                     // answers after 30 ms, as a real region does: S3Proxy alone takes the whole export in
                     // bursts faster than the loop can count the objects to pick its moment to kill
                     S3ProxyServer s3 = S3ProxyServer.start();
                     SlowDownProxy proxy = SlowDownProxy.to(s3.port()).latency(Duration.ofMillis(30));
                     yield Downstream.s3(s3, proxy.endpoint()).closing(proxy);
                 }
                 case "file" -> Downstream.file(dir.resolve("out"));
                 default -> throw new IllegalArgumentException("no output " + output + "; fluentd, s3 or file");
             }) {
            Path config = world.writeConfig(downstream.runToTheEnd(start, batch));
            return run(downstream, config, dir.resolve("exporter.log"), expected, kills, seed, patience);
        }
    }

    /** {@code kills} distinct event counts between 2 % and 90 % of the export, ascending. */
    static List<Integer> killPoints(Random random, int events, int kills) {
        int low = Math.max(1, events / 50);
        int high = events * 9 / 10;
        TreeSet<Integer> points = new TreeSet<>();
        while (points.size() < kills) {
            points.add(low + random.nextInt(high - low));
        }
        return new ArrayList<>(points);
    }

    private static int distinct(Downstream downstream) {
        return new HashSet<>(downstream.ids()).size();
    }

    private static String tail(String log) {
        List<String> lines = log.lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    }
}
