package dev.tee.demo;

import static dev.tee.testing.RawTwins.full;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tee.teleport.proto.raw.RawExportEvent;
import dev.tee.teleport.IdentityFile;
import dev.tee.teleport.ServerStream;
import dev.tee.teleport.TeleportClient;
import dev.tee.teleport.TeleportException;
import dev.tee.teleport.proto.auditlog.EventExportChunk;
import dev.tee.teleport.proto.auditlog.EventUnstructured;
import dev.tee.teleport.proto.auditlog.ExportEventUnstructured;
import io.grpc.Status;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fake's bulk-export API as the exporter's bulk reader will see it, through the real client. */
class FakeTeleportExportTest {

    private static final Instant FIRST = Instant.parse("2024-03-01T21:00:00Z");
    /** 1000 events 7 minutes apart: from 2024-03-01 21:00 to 2024-03-06 09:33, six UTC dates. */
    private static final List<ObjectNode> EVENTS = new EventGenerator(42, FIRST, Duration.ofMinutes(7)).generate(1000);

    @TempDir
    Path dir;

    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    @Test
    void listsTheChunksOfEachUtcDateHoldingExactlyThatDatesEvents() {
        FakeTeleport fake = start(FakeTeleport.builder().bulkExport(true).eventsPerChunk(60).events(EVENTS));
        TeleportClient client = connect(fake);
        Map<LocalDate, Set<String>> expected = idsByDate(fake.events());

        assertThat(expected.keySet()).hasSize(6);
        for (LocalDate date : expected.keySet()) {
            List<String> chunks = list(client, date);
            Set<String> ids = new HashSet<>();
            for (String chunk : chunks) {
                assertThat(chunk).matches(date + "/[0-9a-f]{32}\\.parquet");
                List<ExportEventUnstructured> events = read(client, date, chunk, "");
                assertThat(events.size()).isBetween(1, 60);
                events.forEach(event -> assertThat(ids.add(event.getEvent().getId())).isTrue());
            }
            assertThat(ids).as("events of %s", date).isEqualTo(expected.get(date));
            assertThat(list(client, date)).as("a second listing").containsExactlyInAnyOrderElementsOf(chunks);
        }
        assertThat(fake.exportChunkCount()).isEqualTo(expected.values().stream()
                .mapToInt(ids -> (ids.size() + 59) / 60).sum());
        assertThat(fake.openStreams()).isZero();
    }

    @Test
    void listsChunksInNoParticularOrder() {
        FakeTeleport fake = start(FakeTeleport.builder().bulkExport(true).eventsPerChunk(10).events(EVENTS));
        TeleportClient client = connect(fake);
        LocalDate date = LocalDate.of(2024, 3, 3);

        List<List<String>> listings = List.of(list(client, date), list(client, date), list(client, date));

        assertThat(listings.get(0)).hasSize(21).containsExactlyInAnyOrderElementsOf(listings.get(1));
        assertThat(listings).as("three listings, not all in the same order").extracting(List::toString)
                .doesNotHaveDuplicates();
    }

    @Test
    void dayWithoutEventsIsAnEmptyListing() {
        TeleportClient client = connect(start(FakeTeleport.builder().bulkExport(true).events(EVENTS)));

        assertThat(list(client, LocalDate.of(2024, 2, 29))).isEmpty();
        // the event handler's probe: two days ahead, so it is empty even with some clock drift
        assertThat(list(client, LocalDate.now(ZoneOffset.UTC).plusDays(2))).isEmpty();
    }

    @Test
    void streamsAChunkInTimeOrderWithCursorsThatResumeAfterEachEvent() {
        FakeTeleport fake = start(FakeTeleport.builder().bulkExport(true).eventsPerChunk(50).events(EVENTS));
        TeleportClient client = connect(fake);
        LocalDate date = LocalDate.of(2024, 3, 2);
        String chunk = list(client, date).get(0);

        List<ExportEventUnstructured> all = read(client, date, chunk, "");

        assertThat(all).hasSize(50);
        assertThat(all).extracting(ExportEventUnstructured::getCursor)
                .containsExactlyElementsOf(IntStream.rangeClosed(1, 50).mapToObj(i -> "a1:" + i).toList());
        assertThat(all).extracting(ExportEventUnstructured::getEvent).isSortedAccordingTo(byTime());
        for (int resumeAfter : List.of(1, 17, 49, 50)) {
            List<ExportEventUnstructured> rest = read(client, date, chunk, all.get(resumeAfter - 1).getCursor());
            assertThat(rest).as("after cursor a1:%d", resumeAfter).containsExactlyElementsOf(all.subList(resumeAfter, 50));
        }
    }

    @Test
    void unorderedChunksServeTheSameEventsOutOfTimeOrder() {
        TeleportClient ordered = connect(start(FakeTeleport.builder().bulkExport(true).eventsPerChunk(1000)
                .events(EVENTS)));
        TeleportClient unordered = connect(start(FakeTeleport.builder().bulkExport(true).eventsPerChunk(1000)
                .unorderedChunks(true).events(EVENTS)));
        LocalDate date = LocalDate.of(2024, 3, 4);

        List<EventUnstructured> inOrder = events(read(ordered, date, list(ordered, date).get(0), ""));
        List<EventUnstructured> shuffled = events(read(unordered, date, list(unordered, date).get(0), ""));

        assertThat(inOrder).hasSize(205).isSortedAccordingTo(byTime()); // 24 h / 7 min
        assertThat(shuffled).containsExactlyInAnyOrderElementsOf(inOrder).isNotEqualTo(inOrder);
    }

    @Test
    void resumingCutStreamsFromTheLastCursorExportsEveryEventExactlyOnce() throws Exception {
        FakeTeleport fake = start(FakeTeleport.builder().bulkExport(true).eventsPerChunk(40).cutExportStreams(1.0 / 3)
                .seed(7).events(EVENTS));
        TeleportClient client = connect(fake);
        ConcurrentLinkedQueue<String> exported = new ConcurrentLinkedQueue<>();
        AtomicInteger cuts = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(3); // the Go exporter reads 3 chunks of a date at once
        try {
            List<Future<?>> readers = new ArrayList<>();
            for (LocalDate date : idsByDate(fake.events()).keySet()) {
                for (String chunk : list(client, date)) {
                    readers.add(pool.submit(() -> {
                        String cursor = "";
                        while (true) {
                            try (ServerStream<RawExportEvent> stream =
                                    client.exportUnstructuredEvents(start(date), chunk, cursor)) {
                                while (stream.hasNext()) {
                                    ExportEventUnstructured event = full(stream.next());
                                    exported.add(event.getEvent().getId());
                                    cursor = event.getCursor();
                                }
                                return null;
                            } catch (TeleportException e) {
                                assertThat(e.isRetryable()).isTrue();
                                assertThat(e.getMessage()).contains("(fault injection)");
                                cuts.incrementAndGet();
                            }
                        }
                    }));
                }
            }
            for (Future<?> reader : readers) {
                reader.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(exported).hasSize(1000).doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(fake.events().stream().map(EventUnstructured::getId).toList());
        assertThat(cuts.get()).isPositive()
                .isEqualTo(fake.calls("ExportUnstructuredEvents") - fake.exportChunkCount());
        assertThat(fake.openStreams()).isZero();
    }

    @Test
    void eventsAppendedLaterShowUpAsNewChunksOfTheirDateOnTheNextListing() {
        FakeTeleport fake = start(FakeTeleport.builder().bulkExport(true).eventsPerChunk(100).events(EVENTS));
        TeleportClient client = connect(fake);
        LocalDate past = LocalDate.of(2024, 3, 2);
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        List<String> before = list(client, past);
        Map<String, List<ExportEventUnstructured>> contents = new HashMap<>();
        before.forEach(chunk -> contents.put(chunk, read(client, past, chunk, "")));
        assertThat(list(client, today)).isEmpty();

        List<ObjectNode> late = new EventGenerator(43, Instant.parse("2024-03-02T12:00:00Z"), Duration.ofSeconds(1))
                .generate(3);
        List<String> lateIds = fake.append(late).stream().map(EventUnstructured::getId).toList();
        List<ObjectNode> live = new EventGenerator(44, Instant.now().minusSeconds(10), Duration.ofSeconds(1))
                .generate(2);
        List<String> liveIds = fake.append(live).stream().map(EventUnstructured::getId).toList();

        List<String> after = list(client, past);
        assertThat(after).hasSize(before.size() + 1).containsAll(before);
        String newChunk = after.stream().filter(chunk -> !before.contains(chunk)).findFirst().orElseThrow();
        assertThat(ids(read(client, past, newChunk, ""))).containsExactlyElementsOf(lateIds);
        before.forEach(chunk -> assertThat(read(client, past, chunk, "")).isEqualTo(contents.get(chunk)));
        List<String> todays = list(client, today);
        assertThat(todays).hasSize(1);
        assertThat(ids(read(client, today, todays.get(0), ""))).containsExactlyElementsOf(liveIds);
    }

    @Test
    void requestsTheAthenaBackendRefusesAreInvalidArguments() {
        FakeTeleport fake = start(FakeTeleport.builder().bulkExport(true).events(EVENTS));
        TeleportClient client = connect(fake);
        LocalDate date = LocalDate.of(2024, 3, 2);
        String chunk = list(client, date).get(0);

        assertFails(() -> list(client, LocalDate.of(1970, 1, 1)), Status.Code.INVALID_ARGUMENT,
                "Teleport GetEventExportChunks failed (INVALID_ARGUMENT): missing required parameter 'date'");
        assertFails(() -> {
            try (ServerStream<RawExportEvent> zeroDate = client.exportUnstructuredEvents(Instant.EPOCH, chunk, "")) {
                zeroDate.hasNext();
            }
        }, Status.Code.INVALID_ARGUMENT,
                "Teleport ExportUnstructuredEvents failed (INVALID_ARGUMENT): missing required parameter 'date'");
        assertFails(() -> read(client, date, chunk, "b2:17"), Status.Code.INVALID_ARGUMENT,
                "Teleport ExportUnstructuredEvents failed (INVALID_ARGUMENT): unsupported cursor format");
        assertFails(() -> read(client, date, chunk, "a1:x"), Status.Code.INVALID_ARGUMENT,
                "Teleport ExportUnstructuredEvents failed (INVALID_ARGUMENT): malformed cursor \"a1:x\"");
        assertFails(() -> read(client, date, chunk, "a1:100000"), Status.Code.INVALID_ARGUMENT,
                "Teleport ExportUnstructuredEvents failed (INVALID_ARGUMENT): cursor \"a1:100000\" is outside chunk "
                        + chunk);
        assertFails(() -> read(client, date, "2024-03-02/nope.parquet", ""), Status.Code.NOT_FOUND,
                "Teleport ExportUnstructuredEvents failed (NOT_FOUND): export chunk 2024-03-02/nope.parquet of"
                        + " 2024-03-02 is not found");
        assertFails(() -> read(client, date.plusDays(1), chunk, ""), Status.Code.NOT_FOUND,
                "Teleport ExportUnstructuredEvents failed (NOT_FOUND): export chunk " + chunk + " of 2024-03-03"
                        + " is not found");
        assertThat(fake.openStreams()).isZero();
    }

    @Test
    void clientThatStopsReadingAChunkLeavesNoStreamOpen() {
        FakeTeleport fake = start(FakeTeleport.builder().bulkExport(true).eventsPerChunk(1000).events(EVENTS));
        TeleportClient client = connect(fake);
        LocalDate date = LocalDate.of(2024, 3, 3);

        try (ServerStream<RawExportEvent> stream = client.exportUnstructuredEvents(start(date),
                list(client, date).get(0), "")) {
            stream.next();
            // at most this one (the server may already have written its last event into the buffers)
            assertThat(fake.openStreams()).isLessThanOrEqualTo(1);
        }

        await().atMost(Duration.ofSeconds(10)).until(() -> fake.openStreams() == 0);
    }

    private static void assertFails(Runnable call, Status.Code code, String message) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(TeleportException.class,
                e -> assertThat(e.code()).isEqualTo(code)).hasMessage(message);
    }

    private static List<String> list(TeleportClient client, LocalDate date) {
        try (ServerStream<EventExportChunk> chunks = client.getEventExportChunks(start(date))) {
            List<String> names = new ArrayList<>();
            chunks.forEachRemaining(chunk -> names.add(chunk.getChunk()));
            return names;
        }
    }

    private static List<ExportEventUnstructured> read(TeleportClient client, LocalDate date, String chunk, String cursor) {
        // any time of the day will do: only the UTC date counts
        try (ServerStream<RawExportEvent> events =
                client.exportUnstructuredEvents(start(date).plusSeconds(3600 * 13), chunk, cursor)) {
            List<ExportEventUnstructured> read = new ArrayList<>();
            events.forEachRemaining(event -> read.add(full(event)));
            return read;
        }
    }

    private static Instant start(LocalDate date) {
        return date.atStartOfDay(ZoneOffset.UTC).toInstant();
    }

    private static Map<LocalDate, Set<String>> idsByDate(Collection<EventUnstructured> events) {
        return events.stream().collect(Collectors.groupingBy(
                event -> LocalDate.ofInstant(Instant.ofEpochSecond(event.getTime().getSeconds()), ZoneOffset.UTC),
                TreeMap::new, Collectors.mapping(EventUnstructured::getId, Collectors.toSet())));
    }

    private static List<EventUnstructured> events(List<ExportEventUnstructured> exported) {
        return exported.stream().map(ExportEventUnstructured::getEvent).toList();
    }

    private static List<String> ids(List<ExportEventUnstructured> exported) {
        return exported.stream().map(event -> event.getEvent().getId()).toList();
    }

    private static Comparator<EventUnstructured> byTime() {
        return Comparator.comparingLong((EventUnstructured event) -> event.getTime().getSeconds())
                .thenComparingInt(event -> event.getTime().getNanos()).thenComparingLong(EventUnstructured::getIndex);
    }

    private FakeTeleport start(FakeTeleport.Builder builder) {
        return open(builder.start());
    }

    private TeleportClient connect(FakeTeleport fake) {
        Path identity = fake.writeIdentityFile(dir.resolve("identity-" + resources.size()), "exporter",
                Duration.ofHours(1));
        return open(new TeleportClient(fake.address(), IdentityFile.load(identity)));
    }

    private <T extends AutoCloseable> T open(T resource) {
        resources.add(resource);
        return resource;
    }
}
