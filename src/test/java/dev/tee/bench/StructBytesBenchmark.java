package dev.tee.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tee.demo.EventGenerator;
import dev.tee.event.EventJson;
import dev.tee.event.StructBytes;
import dev.tee.event.Utf8Buffer;
import dev.tee.testing.Fixtures;

/**
 * CPU per event of printing an event's Struct bytes: {@link StructBytes#goJson} (what goes to Fluentd)
 * and {@link StructBytes#members} in the FLUENTD style without {@code time} (the body of a Panther
 * line), over generated events (as the export benchmark serves them) and over the upstream audit
 * fixtures. Counts the current thread's CPU time, so other processes on the machine matter less.
 * Run as bench/README.md says; {@code --seconds=N} sets each measured round's length.
 */
public final class StructBytesBenchmark {

    private static final byte[] TIME = "time".getBytes(StandardCharsets.US_ASCII);
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final int ROUNDS = 9;

    /** Keeps the JIT from dropping the printing. */
    private static long sink;

    private StructBytesBenchmark() {
    }

    private interface Printer {
        int print(byte[] struct);
    }

    public static void main(String[] args) {
        double seconds = 1;
        for (String arg : args) {
            if (arg.startsWith("--seconds=")) {
                seconds = Double.parseDouble(arg.substring("--seconds=".length()));
            }
        }
        Instant from = Instant.parse("2026-11-01T00:00:00Z");
        List<byte[]> generated = structs(new EventGenerator(3, from, Duration.ofMillis(250)).generate(10_000));
        List<byte[]> fixtures = structs(Fixtures.auditEvents());

        Printer go = struct -> StructBytes.goJson(struct).length;
        Printer fluentd = struct -> {
            Utf8Buffer out = new Utf8Buffer(struct.length + struct.length / 4 + 32);
            StructBytes.members(struct, 0, struct.length, StructBytes.Style.FLUENTD, TIME, out);
            return out.length();
        };
        for (Object[] set : new Object[][] {{"generated", generated}, {"fixtures", fixtures}}) {
            @SuppressWarnings("unchecked")
            List<byte[]> events = (List<byte[]>) set[1];
            System.out.printf("%s: %d events, %.0f bytes of Struct each on average%n", set[0], events.size(),
                    events.stream().mapToInt(e -> e.length).average().orElse(0));
            report("goJson (GO)", events, go, seconds);
            report("members (FLUENTD)", events, fluentd, seconds);
        }
        System.out.println("(ignore) " + sink);
    }

    private static List<byte[]> structs(List<ObjectNode> events) {
        List<byte[]> structs = new ArrayList<>(events.size());
        for (ObjectNode event : events) {
            structs.add(EventJson.toStruct(event).toByteArray());
        }
        return structs;
    }

    /** Warms up for one round's length, then prints the median and the best of the measured rounds. */
    private static void report(String name, List<byte[]> events, Printer printer, double seconds) {
        run(events, printer, seconds);
        double[] rounds = new double[ROUNDS];
        for (int i = 0; i < ROUNDS; i++) {
            rounds[i] = run(events, printer, seconds);
        }
        Arrays.sort(rounds);
        System.out.printf("  %-18s %7.0f ns/event (median of %d rounds; best %.0f)%n", name, rounds[ROUNDS / 2],
                ROUNDS, rounds[0]);
    }

    /** Prints the events over and over for about {@code seconds} of CPU; returns CPU ns per event. */
    private static double run(List<byte[]> events, Printer printer, double seconds) {
        long budget = (long) (seconds * 1e9);
        long started = THREADS.getCurrentThreadCpuTime();
        long printed = 0;
        long used;
        do {
            for (byte[] struct : events) {
                sink += printer.print(struct);
            }
            printed += events.size();
            used = THREADS.getCurrentThreadCpuTime() - started;
        } while (used < budget);
        return (double) used / printed;
    }
}
