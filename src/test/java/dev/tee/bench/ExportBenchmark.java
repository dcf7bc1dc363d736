package dev.tee.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tee.demo.DemoEnvironment;
import dev.tee.demo.EventGenerator;
import dev.tee.demo.SessionRecording;
import dev.tee.sink.s3.S3ObjectStore;
import dev.tee.testing.ExporterProcess;
import dev.tee.testing.S3ProxyServer;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * End-to-end throughput: a fake Teleport serving N generated events (spread over some days), the real
 * exporter as a child JVM, and the Fluentd stand-in or S3Proxy. Reports events/s, the exporter's CPU
 * per event (in all, from the first delivery, and over the second half, by thread) and its peak RSS,
 * then the bare reader, and the bare poster or putter, on the same servers ({@link Baselines}). Run with bench/export.sh
 * (see bench/README.md).
 */
public final class ExportBenchmark {

    /** The exporter JVM's options by default in every benchmark: the README's heap and collector. */
    static final String DEFAULT_JVM = "-Xmx160m -XX:+UseParallelGC";

    private ExportBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = options(args, Map.ofEntries(Map.entry("events", "100000"),
                Map.entry("output", "fluentd"), Map.entry("batch", "20"), Map.entry("days", "30"),
                Map.entry("read", "search"), Map.entry("extra", ""), Map.entry("jvm", DEFAULT_JVM),
                Map.entry("baseline", "true"), Map.entry("jar", ""), Map.entry("pad", "0"),
                Map.entry("uploads", "missing")));
        int events = Integer.parseInt(options.get("events"));
        exporterJvm(options);
        String output = options.get("output");
        Path dir = Files.createTempDirectory("tee-bench-");

        Duration span = Duration.ofDays(Long.parseLong(options.get("days")));
        boolean bulk = options.get("read").equals("export");
        Instant start = Instant.now().truncatedTo(ChronoUnit.SECONDS).minus(span);
        List<ObjectNode> generated = new EventGenerator(3, start, span.dividedBy(events)).generate(events);
        // --uploads: the session.upload events (about 4%): "missing", Teleport has no recording for them,
        // so each costs a registration, a NOT_FOUND and its state (the default, as in every run before
        // 2026-12-07); "none", left out (the audit log alone: fewer events than --events); "recorded",
        // each recording is served (a made-up shell session of 20 prints) and exported (output=fluentd
        // only; the figures per event count the audit events, the recordings' events come on top)
        String uploads = options.get("uploads");
        List<SessionRecording> recordings = new ArrayList<>();
        switch (uploads) {
            case "missing" -> { }
            case "none" -> generated.removeIf(ExportBenchmark::isUpload);
            case "recorded" -> {
                if (!options.get("output").equals("fluentd")) {
                    throw new IllegalArgumentException("--uploads=recorded needs --output=fluentd");
                }
                generated.stream().filter(ExportBenchmark::isUpload).forEach(upload -> recordings.add(
                        SessionRecording.synthetic(recordings.size(), Instant.parse(upload.get("time").asText())
                                .minusSeconds(60), 20).withSessionId(upload.get("sid").asText())));
            }
            default -> throw new IllegalArgumentException("--uploads: missing, none or recorded, not " + uploads);
        }
        events = generated.size();
        // --pad=N: each event gets a field of N bytes more (large events: Kubernetes or database requests)
        int pad = Integer.parseInt(options.get("pad"));
        if (pad > 0) {
            String padding = "x".repeat(pad);
            generated.forEach(event -> event.put("db_query", padding));
        }
        long bytes = generated.stream().mapToLong(e -> e.toString().length()).sum();
        System.out.printf("%d events, %.0f bytes each on average, over %d days; read with the %s API, output %s, "
                + "batch %s%n", events, (double) bytes / events, span.toDays(), bulk ? "bulk export" : "search",
                output, options.get("batch"));

        S3ProxyServer s3 = null;
        PythonFluentd python = null;
        try (DemoEnvironment world = DemoEnvironment.start(dir, generated,
                teleport -> teleport.bulkExport(bulk).eventsPerChunk(5000), fluentd -> { })) {
            recordings.forEach(world.teleport()::addRecording);
            // the fake Teleport holds its own copy; the bare poster needs the events again at the end
            List<ObjectNode> toPost = Boolean.parseBoolean(options.get("baseline")) && output.equals("fluentd")
                    ? generated : List.of();
            generated = null;
            Map<String, String> settings = new HashMap<>(Map.of(
                    "start-time", start.toString(),
                    "batch", options.get("batch"),
                    "timeout", "500ms",
                    "exit-on-last-event", "true",
                    "management.port", Integer.toString(freePort())));
            LongSupplier delivered;
            if (output.equals("fluentd")) {
                // the audit events: a recording's events go under their session's tag
                delivered = () -> world.fluentd().eventCount(DemoEnvironment.AUDIT_TAG);
            } else if (output.equals("python-fluentd")) {
                // issue 12's kit-like run: a Fluentd stand-in in Python on the same cores (bench/fluentd-standin.py)
                python = PythonFluentd.start(dir.resolve("python-fluentd"));
                settings.putAll(python.settings());
                PythonFluentd standIn = python;
                delivered = () -> standIn.counts()[0];
            } else {
                s3 = S3ProxyServer.start();
                s3.createBucket("bench");
                settings.putAll(Map.of("output", "s3", "forward.s3.bucket", "bench",
                        "forward.s3.region", S3ProxyServer.REGION, "forward.s3.endpoint", s3.endpoint().toString(),
                        "forward.s3.path-style", "true", "forward.s3.access-key-id", S3ProxyServer.ACCESS_KEY,
                        "forward.s3.secret-access-key", S3ProxyServer.SECRET_KEY));
                S3ProxyServer server = s3;
                delivered = () -> server.client().listObjectsV2(b -> b.bucket("bench").maxKeys(1)).keyCount();
            }
            Path config = world.writeConfig(settings);

            HostSpeed.Speed hostSpeed = HostSpeed.Speed.now(); // again after the run: did the host slow down?
            long began = System.nanoTime();
            // --extra: more options of the exporter's, e.g. "--management.port=0 --jmx=false"
            String extra = options.get("extra").strip();
            ExporterProcess exporter = ExporterProcess.start(config, dir.resolve("exporter.log"),
                    extra.isEmpty() ? new String[0] : extra.split("\\s+"));
            AtomicLong peakRss = new AtomicLong();
            // CPU time, unlike wall time, hardly changes when other processes compete for the cores
            Duration cpu = Duration.ZERO;
            Duration cpuAtFirstDelivery = Duration.ZERO;
            long deliveredAtFirst = 0;
            long firstDelivery = 0;
            Map<String, ThreadTicks> threads = new HashMap<>();
            // the second half: from the moment the exporter reports half the events delivered (its JIT warm)
            URI metrics = URI.create("http://127.0.0.1:" + settings.get("management.port") + "/observe/metrics");
            HttpClient http = HttpClient.newHttpClient();
            long lastScrape = 0;
            Mark half = null;
            // and the last quarter: in runs shorter than the JIT's warm-up the second half still compiles
            Mark late = null;
            // Camel's pools by what they serve (the kernel's 15-character names all read "Camel (camel-N)")
            Map<String, String> camelThreads = new HashMap<>();
            while (exporter.isAlive()) {
                peakRss.accumulateAndGet(rssKib(exporter.pid()), Math::max);
                cpu = ProcessHandle.of(exporter.pid()).flatMap(p -> p.info().totalCpuDuration()).orElse(cpu);
                threadTicks(exporter.pid(), threads, camelThreads);
                if (firstDelivery == 0) {
                    long now = delivered.getAsLong();
                    if (now > 0) {
                        firstDelivery = System.nanoTime();
                        cpuAtFirstDelivery = cpu;
                        deliveredAtFirst = output.equals("s3") ? 0 : now;
                    }
                }
                if (late == null && firstDelivery != 0 && System.nanoTime() - lastScrape > 1_000_000_000L) {
                    lastScrape = System.nanoTime();
                    long reported = deliveredMetric(http, metrics);
                    if (half != null && reported >= events * 3 / 4) {
                        late = Mark.take(exporter.pid(), reported, cpu, threads, camelThreads);
                    }
                    if (half == null && reported >= events / 2) {
                        camelThreads.putAll(camelThreadNames(exporter.pid()));
                        half = Mark.take(exporter.pid(), reported, cpu, threads, camelThreads);
                    }
                }
                Thread.sleep(100);
            }
            int status = exporter.waitFor(Duration.ofSeconds(10));
            long ended = System.nanoTime();
            double total = (ended - began) / 1e9;
            double export = (ended - (firstDelivery == 0 ? began : firstDelivery)) / 1e9;
            System.out.printf("exit status %d; %.1f s in all (JVM start, connect, export, exit)%n", status, total);
            System.out.printf("export: %.1f s from first delivery to exit -> %.0f events/s%n", export, events / export);
            System.out.printf("peak RSS of the exporter: %d MiB%n", peakRss.get() / 1024);
            System.out.printf("CPU time of the exporter: %.1f s (until its last 100 ms), %.0f us per event%n",
                    cpu.toMillis() / 1000.0, cpu.toNanos() / 1000.0 / events);
            System.out.printf("CPU per event in steady state (from the first delivery on): %.1f us%n",
                    cpu.minus(cpuAtFirstDelivery).toNanos() / 1000.0 / Math.max(1, events - deliveredAtFirst));
            if (half != null && events > half.delivered()) {
                System.out.printf("second half (from %d events delivered, JIT warm): %s%n", half.delivered(),
                        half.since(events, cpu, ended));
            }
            if (late != null && events > late.delivered()) {
                System.out.printf("last quarter (from %d events delivered): %s%n", late.delivered(),
                        late.since(events, cpu, ended));
            }
            System.out.println("CPU by thread (s):");
            Map<String, Long> byName = new HashMap<>();
            Map<String, Long> kernelByName = new HashMap<>();
            threads.values().forEach(thread -> {
                byName.merge(thread.name, thread.ticks, Long::sum);
                kernelByName.merge(thread.name, thread.kernel, Long::sum);
            });
            Mark halfMark = half;
            Mark lateMark = late;
            long count = events;
            byName.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(16)
                    .forEach(e -> System.out.printf("  %6.1f  %-16s %3.0f%% kernel  %s%s%n", e.getValue() / 100.0,
                            e.getKey(), 100.0 * kernelByName.get(e.getKey()) / Math.max(1, e.getValue()),
                            halfMark == null || count <= halfMark.delivered() ? "" : String.format(
                                    "second half: %5.1f us/event", halfMark.perEvent(e.getKey(), e.getValue(), count)),
                            lateMark == null || count <= lateMark.delivered() ? "" : String.format(
                                    ", last quarter: %5.1f", lateMark.perEvent(e.getKey(), e.getValue(), count))));
            if (output.equals("fluentd")) {
                System.out.printf("Fluentd stand-in: %d events in %d requests (%d audit events, %d of %d session "
                        + "recordings)%n", world.fluentd().eventCount(), world.fluentd().requestCount(),
                        world.fluentd().eventCount(DemoEnvironment.AUDIT_TAG),
                        world.fluentd().eventCount() - world.fluentd().eventCount(DemoEnvironment.AUDIT_TAG),
                        recordings.size());
            } else if (python != null) {
                long[] counts = python.counts();
                System.out.printf("Python Fluentd stand-in: %d events in %d requests, %.1f s of CPU%n", counts[0],
                        counts[1], python.cpu().toMillis() / 1000.0);
            } else {
                S3ProxyServer server = s3;
                long objects = server.client().listObjectsV2Paginator(b -> b.bucket("bench")).contents().stream().count();
                System.out.printf("S3: %d objects%n", objects);
            }
            System.out.println(HostSpeed.compare(hostSpeed, HostSpeed.Speed.now()));
            if (Boolean.parseBoolean(options.get("baseline"))) {
                // the limits, on the same servers and cores, right after the run (--baseline=false skips them)
                double exported = events / export;
                Baselines.Figure reader = Baselines.bareReader(world.settings(), start, start.plus(span), 500);
                System.out.println(reader.line());
                System.out.printf("  the exporter (first delivery to exit): %.2f of the bare reader's events/s%n",
                        exported / reader.perSecond());
                if (s3 != null) {
                    // the run's own objects (up to 2,000 of them), PUT again by the bare putter
                    S3ProxyServer server = s3;
                    List<String> keys = server.client().listObjectsV2Paginator(b -> b.bucket("bench")).contents()
                            .stream().map(S3Object::key).filter(key -> key.endsWith(".gz")).toList();
                    List<byte[]> bodies = keys.stream().limit(2000).map(key -> server.client()
                            .getObjectAsBytes(b -> b.bucket("bench").key(key)).asByteArray()).toList();
                    try (S3ObjectStore store = S3ObjectStore.open(server.settings("bench"))) {
                        Baselines.Figure putter = Baselines.barePutter(store, bodies, (double) events / keys.size(), 4, 2);
                        System.out.println(putter.line());
                        System.out.printf("  the exporter: %.2f of the bare putter's events/s%n",
                                exported / putter.perSecond());
                    }
                }
                if (!toPost.isEmpty()) {
                    Baselines.Figure poster = Baselines.barePoster(world.settings(), toPost,
                            Integer.parseInt(options.get("batch")), 4);
                    System.out.println(poster.line());
                    System.out.printf("  the exporter: %.2f of the bare poster's events/s%n", exported / poster.perSecond());
                }
            }
        } finally {
            if (s3 != null) {
                s3.close();
            }
            if (python != null) {
                python.close();
            }
        }
    }

    private static boolean isUpload(ObjectNode event) {
        return event.path("event").asText().equals("session.upload");
    }

    /**
     * --jvm: the exporter JVM's options (the README's heap by default), e.g. "-Xmx256m -XX:StartFlightRecording=...";
     * --jar: run that jar (java -jar, as users do) instead of the class path.
     */
    static void exporterJvm(Map<String, String> options) {
        System.setProperty(ExporterProcess.JVM_OPTIONS, options.get("jvm"));
        if (!options.get("jar").isEmpty()) {
            System.setProperty(ExporterProcess.JAR, options.get("jar"));
        }
    }

    /** {@code defaults}, with each {@code --name=value} argument in place of its default. */
    static Map<String, String> options(String[] args, Map<String, String> defaults) {
        Map<String, String> options = new HashMap<>(defaults);
        for (String arg : args) {
            String[] pair = arg.replaceFirst("^--", "").split("=", 2);
            if (pair.length != 2 || !defaults.containsKey(pair[0])) {
                throw new IllegalArgumentException("unknown option " + arg + "; options: " + defaults.keySet());
            }
            options.put(pair[0], pair[1]);
        }
        return options;
    }

    /** The exporter's teleport_exporter_events_delivered_total, or 0 while it does not answer. */
    static long deliveredMetric(HttpClient http, URI metrics) {
        try {
            String body = http.send(HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            for (String line : body.split("\n")) {
                if (line.startsWith("teleport_exporter_events_delivered_total")) {
                    return (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
        } catch (IOException e) {
            // not listening yet, or just stopped
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /**
     * Where the run stood when the exporter reported {@code delivered} events: its CPU, the time, and
     * each thread's CPU ticks by name, for the figures from then to the end.
     */
    private record Mark(long delivered, Duration cpu, long at, Map<String, Long> ticks) {

        static Mark take(long pid, long delivered, Duration cpuSoFar, Map<String, ThreadTicks> threads,
                Map<String, String> javaNames) {
            Duration cpu = ProcessHandle.of(pid).flatMap(p -> p.info().totalCpuDuration()).orElse(cpuSoFar);
            threadTicks(pid, threads, javaNames);
            Map<String, Long> ticks = new HashMap<>();
            threads.values().forEach(thread -> ticks.merge(thread.name, thread.ticks, Long::sum));
            return new Mark(delivered, cpu, System.nanoTime(), ticks);
        }

        /** CPU per event and events/s from this mark to the end ({@code cpuAtEnd}, {@code ended}). */
        String since(long events, Duration cpuAtEnd, long ended) {
            return String.format("%.1f us CPU per event, %.0f events/s",
                    cpuAtEnd.minus(cpu).toNanos() / 1000.0 / (events - delivered),
                    (events - delivered) / ((ended - at) / 1e9));
        }

        /** The µs of CPU per event the threads named {@code name} spent from this mark to the end. */
        double perEvent(String name, long ticksAtEnd, long events) {
            return (ticksAtEnd - ticks.getOrDefault(name, 0L)) * 10_000.0 / (events - delivered);
        }
    }

    /**
     * A thread's name (digits folded, so that a pool adds up to one line), its CPU ticks (1/100 s) and
     * those of them spent in the kernel.
     */
    private static final class ThreadTicks {
        String name;
        long ticks;
        long kernel;
    }

    /**
     * Updates {@code threads} (by thread id) with the CPU ticks each thread of the process has used so
     * far: a thread that ends keeps its last count. Quiet when the process (or a thread) just ended.
     */
    static void threadTicks(long pid, Map<String, ThreadTicks> threads, Map<String, String> javaNames) {
        try (var tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                String stat = Files.readString(task.resolve("stat"));
                // pid (comm) state ... : comm may hold spaces and parentheses, the fields follow the last ')'
                int close = stat.lastIndexOf(')');
                String[] fields = stat.substring(close + 2).split(" ");
                ThreadTicks thread = threads.computeIfAbsent(task.getFileName().toString(), id -> new ThreadTicks());
                String known = javaNames.get(task.getFileName().toString());
                thread.name = known != null ? known
                        : stat.substring(stat.indexOf('(') + 1, close).replaceAll("[0-9]+", "N");
                thread.kernel = Long.parseLong(fields[12]); // stime
                thread.ticks = Long.parseLong(fields[11]) + thread.kernel; // utime + stime
            }
        } catch (IOException | RuntimeException e) {
            // the process or one of its threads just ended
        }
    }

    /**
     * The Camel threads of the process by native thread id, named by the endpoint they serve
     * ({@code Camel seda://audit-batches}), from {@code jcmd Thread.print}; empty if jcmd fails.
     */
    static Map<String, String> camelThreadNames(long pid) {
        Map<String, String> names = new HashMap<>();
        Pattern line = Pattern.compile("^\"Camel \\(camel-\\d+\\) thread #\\d+ - ([^\"]*)\".* nid=(0x[0-9a-f]+|\\d+)");
        try {
            Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                    Long.toString(pid), "Thread.print").redirectErrorStream(true).start();
            for (String text : new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                Matcher m = line.matcher(text);
                if (m.find()) {
                    String nid = m.group(2);
                    long tid = nid.startsWith("0x") ? Long.parseLong(nid.substring(2), 16) : Long.parseLong(nid);
                    names.put(Long.toString(tid), "Camel " + m.group(1).replaceAll("\\?.*", ""));
                }
            }
            jcmd.waitFor();
        } catch (IOException e) {
            System.out.println("(jcmd failed, Camel's threads not named: " + e.getMessage() + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return names;
    }

    /** VmHWM (peak resident set) of a process, in KiB, from /proc. */
    static long rssKib(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 0; // the process just ended
        }
        return 0;
    }
}
