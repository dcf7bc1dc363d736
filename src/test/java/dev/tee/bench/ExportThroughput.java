package dev.tee.bench;

import static dev.tee.testing.RawTwins.full;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Timestamp;
import dev.tee.teleport.proto.raw.RawExportEvent;
import dev.tee.demo.EventGenerator;
import dev.tee.demo.FakeTeleport;
import dev.tee.teleport.IdentityFile;
import dev.tee.teleport.ServerStream;
import dev.tee.teleport.TeleportClient;
import dev.tee.teleport.proto.auditlog.EventExportChunk;
import dev.tee.teleport.proto.auditlog.EventsUnstructured;
import dev.tee.teleport.proto.auditlog.ExportEventUnstructured;
import dev.tee.teleport.proto.auditlog.GetUnstructuredEventsRequest;
import dev.tee.teleport.proto.auditlog.Order;

/**
 * How fast a bare {@link TeleportClient} reads the audit log from the fake Teleport, in-process over
 * mutual TLS on 127.0.0.1: first through the bulk-export API (chunks of every date streamed in
 * parallel), then through the paged search API for comparison. Not a test: figures depend on the
 * machine, and client and server share its CPUs.
 *
 * <pre>
 * mvn -q -B test-compile dependency:build-classpath -Dmdep.outputFile=target/test-classpath.txt
 * java -Xmx6g -cp target/test-classes:target/classes:$(cat target/test-classpath.txt) \
 *     dev.tee.bench.ExportThroughput [events=1000000] [days=5] [parallel streams=4] [events per chunk=10000]
 * </pre>
 */
public final class ExportThroughput {

    private ExportThroughput() {
    }

    public static void main(String[] args) throws Exception {
        int events = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        int days = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        int parallel = args.length > 2 ? Integer.parseInt(args[2]) : 4;
        int perChunk = args.length > 3 ? Integer.parseInt(args[3]) : 10_000;
        Instant from = Instant.parse("2024-03-01T00:00:00Z");
        Duration spacing = Duration.ofDays(days).dividedBy(events);

        long generating = System.nanoTime();
        FakeTeleport fake = fakeWith(events, from, spacing, perChunk);
        System.out.printf("%,d events over %d days loaded into the fake in %.1f s%n", fake.eventCount(), days,
                seconds(generating));

        Path dir = Files.createTempDirectory("export-bench");
        Path identity = fake.writeIdentityFile(dir.resolve("identity"), "exporter", Duration.ofHours(1));
        try (fake; TeleportClient client = new TeleportClient(fake.address(), IdentityFile.load(identity))) {
            client.ping();
            for (int round = 1; round <= 2; round++) {
                bulkExport(client, from, days, parallel, round);
            }
            search(client, from, days);
        } finally {
            Files.deleteIfExists(identity);
            Files.deleteIfExists(dir);
        }
    }

    /** The generated JSON trees live only here: the fake keeps its own protobuf copies. */
    private static FakeTeleport fakeWith(int events, Instant from, Duration spacing, int perChunk) {
        List<ObjectNode> generated = new EventGenerator(1, from, spacing).generate(events);
        return FakeTeleport.builder().bulkExport(true).eventsPerChunk(perChunk).events(generated).start();
    }

    private static void bulkExport(TeleportClient client, Instant from, int days, int parallel, int round)
            throws Exception {
        AtomicLong read = new AtomicLong();
        AtomicLong bytes = new AtomicLong();
        long start = System.nanoTime();
        List<Map.Entry<LocalDate, String>> chunks = new ArrayList<>();
        for (int day = 0; day < days; day++) {
            LocalDate date = LocalDate.ofInstant(from, ZoneOffset.UTC).plusDays(day);
            try (ServerStream<EventExportChunk> listing = client.getEventExportChunks(start(date))) {
                listing.forEachRemaining(chunk -> chunks.add(Map.entry(date, chunk.getChunk())));
            }
        }
        ExecutorService pool = Executors.newFixedThreadPool(parallel);
        try {
            List<Future<?>> readers = new ArrayList<>();
            for (Map.Entry<LocalDate, String> chunk : chunks) {
                readers.add(pool.submit(() -> {
                    try (ServerStream<RawExportEvent> stream =
                            client.exportUnstructuredEvents(start(chunk.getKey()), chunk.getValue(), "")) {
                        while (stream.hasNext()) {
                            bytes.addAndGet(stream.next().getSerializedSize());
                            read.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> reader : readers) {
                reader.get();
            }
        } finally {
            pool.shutdownNow();
        }
        double elapsed = seconds(start);
        System.out.printf("bulk export, round %d: %,d events in %d chunks with %d streams at once: %.1f s,"
                        + " %,.0f events/s, %.1f MB/s of protobuf%n", round, read.get(), chunks.size(), parallel, elapsed,
                read.get() / elapsed, bytes.get() / elapsed / 1e6);
    }

    private static void search(TeleportClient client, Instant from, int days) {
        long start = System.nanoTime();
        long read = 0;
        int pages = 0;
        String key = "";
        do {
            EventsUnstructured page = full(client.getUnstructuredEvents(GetUnstructuredEventsRequest.newBuilder()
                    .setNamespace("default").setStartDate(timestamp(from))
                    .setEndDate(timestamp(from.plus(Duration.ofDays(days)))).setLimit(10_000)
                    .setOrder(Order.ORDER_ASCENDING).setStartKey(key).build()));
            read += page.getItemsCount();
            pages++;
            key = page.getLastKey();
        } while (!key.isEmpty());
        double elapsed = seconds(start);
        System.out.printf("search API, one reader: %,d events in %,d pages (1 MiB cap): %.1f s, %,.0f events/s%n",
                read, pages, elapsed, read / elapsed);
    }

    private static Instant start(LocalDate date) {
        return date.atStartOfDay(ZoneOffset.UTC).toInstant();
    }

    private static Timestamp timestamp(Instant instant) {
        return Timestamp.newBuilder().setSeconds(instant.getEpochSecond()).setNanos(instant.getNano())
                .build();
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }
}
