package dev.tee.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Timestamp;
import dev.tee.sink.fluentd.FluentdTls;
import dev.tee.sink.s3.ObjectStore;
import dev.tee.sink.s3.S3ObjectStore;
import dev.tee.teleport.IdentityFile;
import dev.tee.teleport.TeleportClient;
import dev.tee.teleport.proto.auditlog.GetUnstructuredEventsRequest;
import dev.tee.teleport.proto.auditlog.Order;
import dev.tee.teleport.proto.raw.RawEvents;

/**
 * The limits an export run is held against, measured in the benchmark's JVM right after it, against
 * the same fake Teleport and the same Fluentd stand-in: a bare reader (a {@link TeleportClient}
 * paging through the search API as the exporter does, nothing else) and a bare poster (JSON arrays of
 * a batch each, POSTed over the same mTLS by as many threads as batches in flight, nothing else), and
 * into S3Proxy a bare putter (the run's objects PUT again through the exporter's own object store).
 */
final class Baselines {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Baselines() {
    }

    /** What one baseline did: events, seconds, CPU of the threads that did it (not the server's). */
    record Figure(String name, long events, double seconds, double cpuSeconds) {
        double perSecond() {
            return events / seconds;
        }

        String line() {
            return String.format("%s: %,d events in %.1f s: %,.0f events/s, %.1f us CPU per event (its own threads)",
                    name, events, seconds, perSecond(), cpuSeconds * 1e6 / events);
        }
    }

    /** Reads every event from {@code from} to {@code to} in pages of {@code pageSize}, one window. */
    static Figure bareReader(Map<String, String> settings, Instant from, Instant to, int pageSize) throws Exception {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        try (TeleportClient client = new TeleportClient(settings.get("teleport.addr"),
                IdentityFile.load(Path.of(settings.get("teleport.identity"))))) {
            client.ping();
            long cpu = threads.getCurrentThreadCpuTime();
            long start = System.nanoTime();
            long read = 0;
            String key = "";
            do {
                RawEvents page = client.getUnstructuredEvents(GetUnstructuredEventsRequest.newBuilder()
                        .setNamespace("default").setStartDate(timestamp(from)).setEndDate(timestamp(to))
                        .setLimit(pageSize).setOrder(Order.ORDER_ASCENDING).setStartKey(key).build());
                read += page.getItemsCount();
                key = page.getLastKey();
            } while (!key.isEmpty());
            return new Figure("bare reader (search API, pages of " + pageSize + ", the calling thread's CPU only)",
                    read, (System.nanoTime() - start) / 1e9, (threads.getCurrentThreadCpuTime() - cpu) / 1e9);
        }
    }

    /** POSTs {@code events} as JSON arrays of {@code batch} from {@code threads} threads, each waiting for its 200. */
    static Figure barePoster(Map<String, String> settings, List<ObjectNode> events, int batch, int threads)
            throws Exception {
        FluentdTls tls = FluentdTls.builder().cert(Path.of(settings.get("forward.fluentd.cert")))
                .key(Path.of(settings.get("forward.fluentd.key"))).ca(Path.of(settings.get("forward.fluentd.ca")))
                .build();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .sslContext(tls.createSSLContext(null)).build();
        URI url = URI.create(settings.get("forward.fluentd.url"));
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        AtomicLong sent = new AtomicLong();
        AtomicLong cpu = new AtomicLong();
        long start = System.nanoTime();
        onThreads(threads, first -> {
            long began = mx.getCurrentThreadCpuTime();
            for (int at = first * batch; at < events.size(); at += threads * batch) {
                byte[] body = JSON.writeValueAsBytes(events.subList(at, Math.min(events.size(), at + batch)));
                HttpResponse<Void> answer = http.send(HttpRequest.newBuilder(url)
                        .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
                        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
                        HttpResponse.BodyHandlers.discarding());
                if (answer.statusCode() != 200) {
                    throw new IllegalStateException("the stand-in answered " + answer.statusCode());
                }
                sent.addAndGet(Math.min(batch, events.size() - at));
            }
            cpu.addAndGet(mx.getCurrentThreadCpuTime() - began);
        });
        return new Figure("bare poster (" + threads + " threads, batches of " + batch
                + ", JSON by Jackson, java.net.http; the posting threads' CPU only)", sent.get(),
                (System.nanoTime() - start) / 1e9, cpu.get() / 1e9);
    }

    /**
     * PUTs copies of {@code bodies} (objects the exporter wrote) under new keys through our own
     * {@link S3ObjectStore} (the exporter's SDK client and create-if-absent PUT, without Camel's aws2-s3
     * step) from {@code threads} threads: a round unmeasured first (or more, {@code -Dbench.putWarmUp}),
     * for the JIT to compile the SDK's path, then {@code rounds} measured.
     * Events count as {@code eventsPerObject} per PUT, as in the run.
     */
    static Figure barePutter(S3ObjectStore store, List<byte[]> bodies, double eventsPerObject, int threads,
            int rounds) throws Exception {
        // rounds unmeasured: 1, or -Dbench.putWarmUp=N (BENCH_JAVA_OPTS in bench/export.sh)
        int warmUps = Integer.getInteger("bench.putWarmUp", 1);
        for (int warm = 0; warm < warmUps; warm++) {
            putRound(store, bodies, threads, "warm-up-" + warm, new AtomicLong());
        }
        AtomicLong cpu = new AtomicLong();
        AtomicLong user = new AtomicLong();
        long start = System.nanoTime();
        for (int round = 0; round < rounds; round++) {
            cpu.addAndGet(putRound(store, bodies, threads, "round-" + round, user));
        }
        long puts = (long) rounds * bodies.size();
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Figure(String.format("bare putter (%d threads, %,d PUTs of the run's objects after %,d unmeasured, "
                + "%.0f events each, our S3ObjectStore; the putting threads' CPU only: %.0f us per PUT, %.0f of it in "
                + "user mode)", threads, puts, (long) warmUps * bodies.size(), eventsPerObject, cpu.get() / 1e3 / puts,
                user.get() / 1e3 / puts), Math.round(puts * eventsPerObject), seconds,
                cpu.get() / 1e9);
    }

    /**
     * One PUT of each body under {@code prefix}/, spread over {@code threads}; returns their CPU
     * nanoseconds, and adds the user-mode part (the rest is the kernel's: sockets) to {@code user}.
     */
    private static long putRound(S3ObjectStore store, List<byte[]> bodies, int threads, String prefix,
            AtomicLong user) throws Exception {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        AtomicLong cpu = new AtomicLong();
        onThreads(threads, first -> {
            long began = mx.getCurrentThreadCpuTime();
            long beganUser = mx.getCurrentThreadUserTime();
            for (int at = first; at < bodies.size(); at += threads) {
                if (store.putIfAbsent("bare/" + prefix + "/" + at + ".gz", bodies.get(at))
                        != ObjectStore.PutOutcome.CREATED) {
                    throw new IllegalStateException("bare/" + prefix + "/" + at + ".gz was taken");
                }
            }
            cpu.addAndGet(mx.getCurrentThreadCpuTime() - began);
            user.addAndGet(mx.getCurrentThreadUserTime() - beganUser);
        });
        return cpu.get();
    }

    /** What one of {@link #onThreads}' threads does, given its number (0 to threads - 1). */
    private interface ThreadWork {
        void run(int thread) throws Exception;
    }

    /** Runs {@code work} on {@code threads} threads at once and waits for all of them; the first failure is thrown. */
    private static void onThreads(int threads, ThreadWork work) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                running.add(pool.submit(() -> {
                    work.run(thread);
                    return null;
                }));
            }
            for (Future<?> each : running) {
                each.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static Timestamp timestamp(Instant instant) {
        return Timestamp.newBuilder().setSeconds(instant.getEpochSecond()).setNanos(instant.getNano()).build();
    }
}
