package dev.tee.source;

import static dev.tee.testing.RawTwins.raw;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import dev.tee.teleport.proto.raw.RawExportEvent;
import dev.tee.event.AuditEvent;
import dev.tee.state.StateFile;
import dev.tee.teleport.proto.auditlog.EventUnstructured;
import dev.tee.teleport.proto.auditlog.ExportEventUnstructured;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExportReaderTest {

    private static final LocalDate DAY = LocalDate.parse("2026-11-20");
    private static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");

    @TempDir
    Path dir;

    /** date → chunk → events, in stream order. */
    private final Map<LocalDate, Map<String, List<String>>> log = new LinkedHashMap<>();
    private final BlockingQueue<AuditEvent> pipeline = new LinkedBlockingQueue<>();
    private Consumer<AuditEvent> audit = pipeline::add;
    private volatile CountDownLatch listingGate;
    private ExportReader reader;
    /** The export-chunk route's workers, played by this test: three chunk streams at once. */
    private final ExecutorService chunkStreams = Executors.newFixedThreadPool(3);

    private final ExportReader.ExportApi api = new ExportReader.ExportApi() {
        @Override
        public List<String> chunks(LocalDate date) {
            CountDownLatch gate = listingGate;
            if (gate != null) {
                try {
                    gate.await(); // a slow listing (Athena, a congested link)
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return new ArrayList<>(log.getOrDefault(date, Map.of()).keySet());
        }

        @Override
        public ExportReader.ChunkStream export(LocalDate date, String chunk, String cursor) {
            List<String> ids = log.get(date).get(chunk);
            int from = cursor.isEmpty() ? 0 : Integer.parseInt(cursor.substring(3)) + 1;
            Iterator<String> it = ids.subList(from, ids.size()).iterator();
            int[] position = {from};
            return new ExportReader.ChunkStream() {
                @Override
                public boolean hasNext() {
                    return it.hasNext();
                }

                @Override
                public RawExportEvent next() {
                    String id = it.next();
                    Instant time = date.atStartOfDay(ZoneOffset.UTC).toInstant();
                    return raw(ExportEventUnstructured.newBuilder()
                            .setEvent(EventUnstructured.newBuilder().setId(id).setType("user.login")
                                    .setTime(Timestamp.newBuilder().setSeconds(time.getEpochSecond()))
                                    .setUnstructured(Struct.getDefaultInstance()))
                            .setCursor("a1:" + position[0]++).build());
                }

                @Override
                public void close() {
                }
            };
        }
    };

    @AfterEach
    void close() {
        if (reader != null) {
            reader.close();
        }
        chunkStreams.shutdownNow();
    }

    /** What the audit-export and export-chunk routes do: list, then stream each new chunk into the pipeline. */
    private void poll() {
        for (ExportReader.Chunk chunk : reader.poll()) {
            chunkStreams.execute(() -> {
                Iterator<ExportReader.ChunkEvent> events = reader.open(chunk);
                while (events.hasNext()) {
                    audit.accept(reader.read(events.next()));
                }
                reader.ended(chunk);
            });
        }
    }

    private ExportReader reader(ExportCursor resumeAt) {
        return reader(resumeAt, Duration.ofSeconds(60));
    }

    private ExportReader reader(ExportCursor resumeAt, Duration pollInterval) {
        return new ExportReader(api, new StateFile<>(dir.resolve("export-cursor.json"), ExportCursor.class), resumeAt,
                dev.tee.state.InFlight.unlimited(), 2, pollInterval, Duration.ofMillis(10), Duration.ofMillis(50),
                Clock.fixed(NOW, ZoneOffset.UTC));
    }

    @Test
    void readsEveryChunkOfEveryDateUpToTodayAndCatchesUp() {
        log.put(DAY, Map.of("c1", List.of("a", "b"), "c2", List.of("c")));
        log.put(DAY.plusDays(2), Map.of("c3", List.of("d")));
        reader = reader(ExportCursor.startingAt(DAY));

        List<String> read = new ArrayList<>();
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            poll();
            drainAndAcknowledge(read);
            return reader.caughtUp() && reader.idle();
        });
        assertThat(read).containsExactlyInAnyOrder("a", "b", "c", "d");
        assertThat(reader.currentDate()).isEqualTo(LocalDate.parse("2026-11-23"));
    }

    @Test
    void aChunkIsCompletedOnlyOnceEveryEventOfItIsAcknowledged() throws Exception {
        log.put(DAY, Map.of("c1", List.of("a", "b", "c")));
        reader = reader(ExportCursor.startingAt(DAY));
        poll();
        await().until(() -> pipeline.size() == 3);
        List<AuditEvent> events = new ArrayList<>(pipeline);
        events.get(0).receipt().settle();
        events.get(2).receipt().settle();
        reader.flush();

        ExportCursor saved = new StateFile<>(dir.resolve("export-cursor.json"), ExportCursor.class).load().orElseThrow();
        assertThat(saved.days().get(DAY).completed()).isEmpty();
        assertThat(saved.days().get(DAY).cursors()).containsEntry("c1", "a1:0"); // not past the unacknowledged "b"

        // a restart resumes the chunk after "a": "b" and "c" again, nothing lost
        reader.close();
        pipeline.clear();
        reader = reader(saved);
        poll();
        await().until(() -> pipeline.size() == 2);
        assertThat(pipeline).extracting(AuditEvent::id).containsExactly("b", "c");
        pipeline.forEach(event -> event.receipt().settle());
        reader.flush();
        ExportCursor done = new StateFile<>(dir.resolve("export-cursor.json"), ExportCursor.class).load().orElseThrow();
        assertThat(done.days().get(DAY).completed()).containsExactly("c1");
        assertThat(done.days().get(DAY).cursors()).isEmpty();
    }

    @Test
    void hasReadAllAvailableOnceEveryStreamEndedEvenBeforeTheAcknowledgements() {
        // an output that holds events until nothing more comes (the S3 writer's last minute) must
        // learn that now: the date, and so caughtUp, waits for that output's acknowledgements
        log.put(DAY, Map.of("c1", List.of("a", "b"), "c2", List.of("c")));
        reader = reader(ExportCursor.startingAt(DAY));
        poll();
        await().until(() -> pipeline.size() == 3);
        await().atMost(Duration.ofSeconds(5)).until(reader::readAllAvailable);
        assertThat(reader.caughtUp()).as("the date is not done before its events are acknowledged").isFalse();
        assertThat(reader.idle()).isFalse();

        pipeline.forEach(event -> event.receipt().settle());
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            poll();
            return reader.caughtUp() && reader.idle();
        });
    }

    @Test
    void isStillReadingWhileAStreamWaitsForThePipeline() throws Exception {
        log.put(DAY, Map.of("c1", List.of("a", "b", "c")));
        CountDownLatch pipelineBlocked = new CountDownLatch(1);
        audit = event -> {
            try {
                pipelineBlocked.await(); // a full queue in front of a stalled output
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            pipeline.add(event);
        };
        reader = reader(ExportCursor.startingAt(DAY));
        poll();
        await().pollDelay(Duration.ofMillis(200)).until(() -> true);
        assertThat(reader.readAllAvailable()).isFalse();
        pipelineBlocked.countDown();
        await().atMost(Duration.ofSeconds(5)).until(reader::readAllAvailable);
        assertThat(pipeline).hasSize(3);
    }

    @Test
    void acknowledgementsNeverWaitForAListingInProgress() {
        log.put(DAY, new LinkedHashMap<>(Map.of("c1", List.of("a"))));
        reader = reader(ExportCursor.startingAt(DAY), Duration.ZERO); // every poll lists again
        poll();
        await().until(() -> pipeline.size() == 1);
        AuditEvent event = pipeline.poll();

        // the next listing hangs until delivery goes on: acknowledging must not need the poll's lock
        listingGate = new CountDownLatch(1);
        CompletableFuture<Void> polling = CompletableFuture.runAsync(this::poll);
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            await().pollDelay(Duration.ofMillis(100)).until(() -> true); // the poll is now inside its listing
            event.receipt().settle();
            reader.flush();
        });
        listingGate.countDown();
        polling.join();
    }

    private void drainAndAcknowledge(List<String> read) throws InterruptedException {
        AuditEvent event;
        while ((event = pipeline.poll(20, TimeUnit.MILLISECONDS)) != null) {
            read.add(event.id());
            event.receipt().settle();
        }
    }
}
