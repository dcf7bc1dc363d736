package dev.tee.sink.s3;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tee.event.AuditEvent;
import dev.tee.event.Batch;
import dev.tee.event.EventJson;
import dev.tee.sink.DeadLetter;
import dev.tee.testing.ObjectRoutes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The minute rule and the read-back after a replay, through the object routes that run them (output=file). */
class PantherWriterTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final List<String> acknowledged = new CopyOnWriteArrayList<>();
    private Instant now = Instant.parse("2026-11-23T18:00:00Z");
    private Instant readPosition = Instant.EPOCH;
    private boolean caughtUp;
    /** What the source has not seen settled; 0 stands for "no more than the writer holds". */
    private long unsettled;
    private final dev.tee.source.AuditSource source = new dev.tee.source.AuditSource() {
        @Override
        public Instant readPosition() {
            return readPosition;
        }

        @Override
        public boolean caughtUp() {
            return caughtUp;
        }

        @Override
        public boolean idle() {
            return false;
        }

        @Override
        public long unsettled() {
            return unsettled;
        }
    };
    private final Clock clock = new Clock() {
        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    };

    private ObjectRoutes routes;

    @AfterEach
    void stopRoutes() {
        if (routes != null) {
            routes.close();
        }
    }

    /** A writer in the object routes (output=file), as a restart makes one: the previous one's routes stop. */
    private RoutedWriter writer() throws Exception {
        return writer(null, MinuteObject.DEFAULT_MAX_BYTES);
    }

    /**
     * The same, with objects of at most {@code maxObjectBytes}, writing through {@code held} (which
     * holds one key's write back) when not null.
     */
    private RoutedWriter writer(HeldWrite held, long maxObjectBytes) throws Exception {
        return writer(held, maxObjectBytes, PantherWriter.MAX_PENDING_BYTES);
    }

    private RoutedWriter writer(HeldWrite held, long maxObjectBytes, long maxPendingBytes) throws Exception {
        stopRoutes();
        DirectoryObjectStore out = new DirectoryObjectStore(dir.resolve("out"));
        PantherWriter writer = new PantherWriter("teleport/logs", maxObjectBytes, Duration.ofSeconds(5), out, source,
                clock, maxPendingBytes);
        routes = ObjectRoutes.file(writer, source, held == null ? out : held.on(out), acknowledged,
                dir.resolve("state"));
        return new RoutedWriter(writer, routes);
    }

    /** The output=file route's {@code outputDirectory} bean, whose write of one key waits until released. */
    public static final class HeldWrite {
        private final String key;
        private final CountDownLatch reached = new CountDownLatch(1);
        private final CountDownLatch released = new CountDownLatch(1);
        private DirectoryObjectStore out;

        HeldWrite(String key) {
            this.key = key;
        }

        HeldWrite on(DirectoryObjectStore directory) {
            this.out = directory;
            return this;
        }

        public void create(String objectKey, byte[] body) throws Exception {
            if (objectKey.equals(key)) {
                reached.countDown();
                if (!released.await(30, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("never released: " + key);
                }
            }
            out.create(objectKey, body);
        }
    }

    /** The writer as the routes drive it: batches through the delivery route, flushDue as the audit-flush timer. */
    private record RoutedWriter(PantherWriter writer, ObjectRoutes routes) {
        void add(Batch batch) {
            routes.deliver(batch);
        }

        void flushDue() {
            routes.writeDue();
        }

        long objectsWritten() {
            return writer.objectsWritten();
        }

        long objectsFoundWritten() {
            return writer.objectsFoundWritten();
        }

        int pendingMinutes() {
            return writer.pendingMinutes();
        }
    }

    @Test
    void writesAMinuteOnceTheSourceHasMovedPastIt() throws Exception {
        RoutedWriter writer = writer();
        writer.add(batch(event("a", "2026-11-23T17:22:01.5Z"), event("b", "2026-11-23T17:22:59Z")));
        writer.flushDue();
        assertThat(keys()).isEmpty(); // 17:22 could still get events... until the clock or the source says otherwise
        now = Instant.parse("2026-11-23T17:22:30Z");
        writer.flushDue();
        assertThat(keys()).isEmpty();

        writer.add(batch(event("c", "2026-11-23T17:23:00Z")));
        readPosition = Instant.parse("2026-11-23T17:23:00Z"); // the source read everything before c
        writer.flushDue();
        assertThat(keys()).containsExactly("teleport/logs20261123172200_0.gz");
        assertThat(acknowledged).containsExactly("a", "b");
        assertThat(lines("teleport/logs20261123172200_0.gz")).hasSize(2)
                .first().asString().endsWith(",\"time\":\"2026-11-23T17:22:01Z\"}");
    }

    @Test
    void writesALiveMinuteAfterItIsOverAndQuiet() throws Exception {
        caughtUp = true;
        RoutedWriter writer = writer();
        now = Instant.parse("2026-11-23T17:22:58Z");
        writer.add(batch(event("a", "2026-11-23T17:22:30Z")));
        now = Instant.parse("2026-11-23T17:23:02Z");
        writer.flushDue();
        assertThat(acknowledged).isEmpty(); // over, but not yet quiet for 5 s after the last event
        now = Instant.parse("2026-11-23T17:23:03Z");
        writer.flushDue();
        assertThat(acknowledged).containsExactly("a");
    }

    @Test
    void aWriterThatStopsReceivingBecauseThePipelineWaitsIsNotQuiet() throws Exception {
        RoutedWriter writer = writer();
        now = Instant.parse("2019-04-22T19:41:30Z");
        writer.add(batch(event("a", "2019-04-22T19:41:10Z")));
        readPosition = Instant.parse("2019-04-22T19:41:20Z"); // a backfill, its next events held up (S3 down)
        now = Instant.parse("2019-04-22T19:45:00Z");
        writer.flushDue();
        assertThat(acknowledged).as("the minute may still get events: not written").isEmpty();
    }

    @Test
    void aCaughtUpReaderWhoseEventsAreStillOnTheirWayIsNotQuiet() throws Exception {
        // the reader read everything, but the pipeline holds some events back (S3 was down, batches
        // queue in front of this writer): writing now would split the minute into _0 and _1
        caughtUp = true;
        RoutedWriter writer = writer();
        now = Instant.parse("2019-04-22T19:41:30Z");
        writer.add(batch(event("a", "2019-04-22T19:41:10Z"), event("b", "2019-04-22T19:41:11Z")));
        unsettled = 3; // "c" of the same minute is still queued
        now = Instant.parse("2019-04-22T19:45:00Z");
        writer.flushDue();
        assertThat(acknowledged).as("the minute's last event is on its way: not written").isEmpty();

        writer.add(batch(event("c", "2019-04-22T19:41:50Z")));
        now = Instant.parse("2019-04-22T19:45:06Z");
        writer.flushDue();
        assertThat(acknowledged).containsExactly("a", "b", "c");
        assertThat(writer.objectsWritten()).isEqualTo(1);
    }

    @Test
    void aBackfillWritesOneObjectPerMinuteNotPerBatch() throws Exception {
        RoutedWriter writer = writer();
        for (int batch = 0; batch < 10; batch++) {
            List<AuditEvent> events = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                int n = batch * 20 + i;
                events.add(event("e" + n, Instant.parse("2019-04-22T10:00:00Z").plusSeconds(n * 3).toString()));
            }
            writer.add(batch(events.toArray(AuditEvent[]::new)));
            readPosition = events.get(events.size() - 1).time();
            writer.flushDue();
        }
        writer.flushDue();
        assertThat(keys()).hasSize(9).allSatisfy(key -> assertThat(key).endsWith("_0.gz")); // 600 s of events
        assertThat(acknowledged).hasSize(180); // the last minute waits: it may get more events
    }

    @Test
    void aReplayAfterACrashRecognisesWhatIsAlreadyWrittenAndWritesOnlyTheRest() throws Exception {
        RoutedWriter first = writer();
        first.add(batch(event("a", "2026-11-23T17:22:01Z"), event("b", "2026-11-23T17:22:02Z"),
                event("next", "2026-11-23T17:23:00Z")));
        readPosition = Instant.parse("2026-11-23T17:23:00Z");
        first.flushDue();
        acknowledged.clear(); // the crash: written, but never acknowledged

        RoutedWriter replay = writer();
        replay.add(batch(event("a", "2026-11-23T17:22:01Z"), event("b", "2026-11-23T17:22:02Z"),
                event("late", "2026-11-23T17:22:03Z"), event("next", "2026-11-23T17:23:00Z")));
        replay.flushDue();

        assertThat(acknowledged).containsExactly("a", "b", "late");
        assertThat(replay.objectsFoundWritten()).isEqualTo(1);
        assertThat(keys()).containsExactly("teleport/logs20261123172200_0.gz", "teleport/logs20261123172200_1.gz");
        assertThat(lines("teleport/logs20261123172200_1.gz")).hasSize(1).first().asString().contains("\"uid\":\"late\"");
    }

    /**
     * Written in parallel, a minute's _1 could be stored while a kill stopped its _0; the replay then
     * found _0 free and wrote _1's events into it again (the kill loop into S3 saw it in CI).
     */
    @Test
    void aMinutesNextObjectWaitsUntilItsPreviousOneIsStored() throws Exception {
        HeldWrite held = new HeldWrite("teleport/logs20261123172200_0.gz");
        RoutedWriter writer = writer(held, MinuteObject.DEFAULT_MAX_BYTES);
        try {
            writer.add(batch(event("a", "2026-11-23T17:22:01Z"), event("next", "2026-11-23T17:23:00Z")));
            readPosition = Instant.parse("2026-11-23T17:23:00Z");
            CompletableFuture<Void> first = CompletableFuture.runAsync(writer::flushDue);
            assertThat(held.reached.await(10, TimeUnit.SECONDS)).as("the write of _0 began").isTrue();

            // a late event of the same minute (batches can overtake each other on their way here)
            writer.add(batch(event("b", "2026-11-23T17:22:30Z")));
            assertThat(keys()).as("nothing of the minute is written while _0 is on its way").isEmpty();

            held.released.countDown();
            first.get(10, TimeUnit.SECONDS);
        } finally {
            held.released.countDown();
        }
        writer.flushDue();
        assertThat(keys()).containsExactly("teleport/logs20261123172200_0.gz", "teleport/logs20261123172200_1.gz");
        assertThat(lines("teleport/logs20261123172200_1.gz")).singleElement().asString().contains("\"uid\":\"b\"");
        assertThat(acknowledged).containsExactly("a", "b");
    }

    /** An earlier run's object gone since (a lifecycle rule, an operator) no longer holds its events: they are written again. */
    @Test
    void anEarlierRunsObjectGoneSinceHoldsNothing() throws Exception {
        RoutedWriter replay = aRunStoredTwoObjectsOfAMinuteThenCrashed();
        replay.add(batch(event("b", "2026-11-23T17:22:30Z"), event("next", "2026-11-23T17:23:00Z")));
        Files.delete(dir.resolve("out").resolve("teleport/logs20261123172200_0.gz"));
        replay.add(batch(event("a", "2026-11-23T17:22:01Z")));

        assertThat(acknowledged).containsExactly("b", "a");
        assertThat(keys()).containsExactly("teleport/logs20261123172200_1.gz", "teleport/logs20261123172200_2.gz");
        assertThat(lines("teleport/logs20261123172200_2.gz")).singleElement().asString().contains("\"uid\":\"a\"");
    }

    /** Past the size cap, a minute's objects are written one after the other, each once the one before is stored. */
    @Test
    void aMinutePastTheSizeCapIsWrittenAsSeveralObjectsInTurn() throws Exception {
        RoutedWriter writer = writer(null, 1); // an object takes one line, however long
        writer.add(batch(event("a", "2026-11-23T17:22:01Z"), event("b", "2026-11-23T17:22:02Z"),
                event("c", "2026-11-23T17:22:03Z"), event("next", "2026-11-23T17:23:00Z")));
        readPosition = Instant.parse("2026-11-23T17:23:00Z");
        for (int i = 0; i < 3; i++) {
            writer.flushDue();
            assertThat(keys()).as("after the audit-flush timer's tick %d", i + 1).hasSize(i + 1);
        }
        assertThat(keys()).containsExactly("teleport/logs20261123172200_0.gz", "teleport/logs20261123172200_1.gz",
                "teleport/logs20261123172200_2.gz");
        assertThat(lines("teleport/logs20261123172200_2.gz")).singleElement().asString().contains("\"uid\":\"c\"");
        assertThat(acknowledged).containsExactly("a", "b", "c");
        assertThat(writer.pendingMinutes()).isEqualTo(1); // 17:23, which may still get events
    }

    /**
     * A replay whose minute comes as two objects: each must find what an earlier run stored under any
     * of the minute's keys, not only under the keys it meets itself.
     */
    @Test
    void aReplayWhoseMinuteComesAsTwoObjectsFindsEverythingAnEarlierRunWroteOfIt() throws Exception {
        RoutedWriter replay = aRunStoredTwoObjectsOfAMinuteThenCrashed();
        replay.add(batch(event("b", "2026-11-23T17:22:30Z"), event("next", "2026-11-23T17:23:00Z")));
        replay.add(batch(event("a", "2026-11-23T17:22:01Z")));

        assertThat(acknowledged).containsExactlyInAnyOrder("a", "b");
        assertThat(replay.objectsWritten()).isZero();
        assertThat(keys()).containsExactly("teleport/logs20261123172200_0.gz", "teleport/logs20261123172200_1.gz");
    }

    @Test
    void writesTheOldestMinutesEarlyRatherThanBufferWithoutBound() throws Exception {
        RoutedWriter writer = writer();
        List<AuditEvent> events = new ArrayList<>();
        for (int i = 0; i <= PantherWriter.MAX_PENDING_EVENTS; i++) {
            events.add(event("e" + i, i % 2 == 0 ? "2026-11-23T17:22:30Z" : "2026-11-23T17:25:30Z"));
        }
        writer.add(new Batch(events));
        writer.flushDue(); // the source has read nothing past 17:22 and is not quiet: only the cap applies

        assertThat(keys()).containsExactly("teleport/logs20261123172200_0.gz");
        assertThat(writer.pendingMinutes()).isEqualTo(1);
        assertThat(acknowledged).hasSize(PantherWriter.MAX_PENDING_EVENTS / 2 + 1);
    }

    /**
     * Few events can weigh more than the readers' byte budget (large Kubernetes or database requests):
     * the writer must not hold half of it in unfinished minutes, or reading stalls with the heap full.
     */
    @Test
    void writesTheOldestMinutesEarlyWhenTheBytesBufferedPassTheirCap() throws Exception {
        List<AuditEvent> events = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            events.add(event("e" + i, i % 2 == 0 ? "2026-11-23T17:22:30Z" : "2026-11-23T17:25:30Z"));
        }
        long eachSize = events.get(0).struct().length;
        RoutedWriter writer = writer(null, MinuteObject.DEFAULT_MAX_BYTES, eachSize * 6);
        writer.add(new Batch(events.subList(0, 6)));
        writer.flushDue(); // at the cap, not over it; the source has read nothing past 17:22 and is not quiet
        assertThat(keys()).isEmpty();

        writer.add(new Batch(events.subList(6, 10)));
        writer.flushDue();

        assertThat(keys()).containsExactly("teleport/logs20261123172200_0.gz");
        assertThat(acknowledged).hasSize(5);
        assertThat(writer.pendingMinutes()).isEqualTo(1);
    }

    /**
     * The bulk export reads three chunks at once, each in time order: over the cap, the minutes written
     * early are those the streams have left behind, whole, never the one a stream is filling (which
     * would split it across objects: the cap alone once made 36,143 objects of 7,200 minutes).
     */
    @Test
    void overTheCapTheMinutesNoStreamIsFillingAreWrittenFirstAndWhole() throws Exception {
        RoutedWriter writer = writer();
        int streams = 3;
        int perMinute = 60;
        // long enough for the oldest stream to have had all its past minutes written: from then on, the
        // oldest minute is the one it is filling
        int minutes = PantherWriter.MAX_PENDING_EVENTS / perMinute / streams + 150;
        int batch = 20;
        Instant[] hours = {Instant.parse("2026-11-20T01:00:00Z"), Instant.parse("2026-11-21T01:00:00Z"),
                Instant.parse("2026-11-22T01:00:00Z")}; // far enough apart that no two streams share a minute
        int[] next = new int[streams];
        int added = 0;
        while (added < streams * minutes * perMinute) {
            for (int s = 0; s < streams; s++) {
                List<AuditEvent> events = new ArrayList<>();
                for (int i = 0; i < batch; i++, next[s]++) {
                    Instant at = hours[s].plusSeconds(60L * (next[s] / perMinute) + next[s] % perMinute);
                    events.add(event("s" + s + "-" + next[s], at.toString()));
                }
                writer.add(new Batch(events));
                writer.flushDue(); // the source has read nothing past these hours: only the cap applies
                added += batch;
            }
        }

        List<String> keys = keys();
        assertThat(keys).as("minutes written early").hasSizeGreaterThan(150);
        assertThat(keys).allSatisfy(key -> assertThat(key).endsWith("_0.gz"));
        for (String key : keys) {
            assertThat(lines(key)).as(key).hasSize(perMinute);
        }
        assertThat(acknowledged).hasSize(keys.size() * perMinute);
    }

    @Test
    void anEventWhoseTimePantherCannotReadGoesToTheDeadLetters() throws Exception {
        RoutedWriter writer = writer();
        AuditEvent bad = new AuditEvent("bad", "user.login", Instant.EPOCH, 0,
                EventJson.toStruct(JSON.readTree("{\"event\":\"user.login\",\"uid\":\"bad\",\"time\":1694}")));
        writer.add(batch(bad));
        assertThat(acknowledged).containsExactly("bad");
        assertThat(Files.readString(dir.resolve("state").resolve(DeadLetter.FILE_NAME)))
                .contains("\"status\":400", "value must be string: 1694", "\"uid\":\"bad\"");
    }

    @Test
    void anEventWhoseDeadLetterCannotBeWrittenIsNotAcknowledgedUntilItIs() throws Exception {
        Path deadLetters = dir.resolve("state").resolve(DeadLetter.FILE_NAME);
        Files.createDirectories(deadLetters.resolve("in-the-way")); // a directory where the file should be
        RoutedWriter writer = writer();
        AuditEvent bad = new AuditEvent("bad", "user.login", Instant.EPOCH, 0,
                EventJson.toStruct(JSON.readTree("{\"event\":\"user.login\",\"uid\":\"bad\",\"time\":1694}")));
        CompletableFuture<Void> delivery = CompletableFuture.runAsync(() -> writer.add(batch(bad)));
        Thread.sleep(500); // the write is retried (10 ms doubling to 100 ms) while the file cannot be written
        assertThat(delivery).isNotDone();
        assertThat(acknowledged).isEmpty();

        Files.delete(deadLetters.resolve("in-the-way"));
        Files.delete(deadLetters);
        delivery.get(10, TimeUnit.SECONDS);
        assertThat(acknowledged).containsExactly("bad");
        assertThat(Files.readAllLines(deadLetters)).singleElement().asString().contains("\"uid\":\"bad\"");
    }

    /**
     * A run that stored minute 17:22 as two objects, _0 with event a and _1 with the late event b, and
     * was killed before acknowledging them; returns the writer of the run after it.
     */
    private RoutedWriter aRunStoredTwoObjectsOfAMinuteThenCrashed() throws Exception {
        readPosition = Instant.parse("2026-11-23T17:23:00Z");
        RoutedWriter first = writer();
        first.add(batch(event("a", "2026-11-23T17:22:01Z"), event("next", "2026-11-23T17:23:00Z")));
        first.add(batch(event("b", "2026-11-23T17:22:30Z")));
        assertThat(keys()).containsExactly("teleport/logs20261123172200_0.gz", "teleport/logs20261123172200_1.gz");
        acknowledged.clear(); // the crash: written, but never acknowledged
        return writer();
    }

    private List<String> keys() throws Exception {
        Path root = dir.resolve("out");
        if (!Files.exists(root)) {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(Files::isRegularFile).map(p -> root.relativize(p).toString()).sorted().toList();
        }
    }

    private List<String> lines(String key) throws Exception {
        return MinuteObject.lines(Files.readAllBytes(dir.resolve("out").resolve(key)));
    }

    private static Batch batch(AuditEvent... events) {
        return new Batch(List.of(events));
    }

    private static AuditEvent event(String uid, String time) {
        try {
            return new AuditEvent(uid, "user.login", Instant.parse(time), 0, EventJson.toStruct(JSON.readTree(
                    "{\"event\":\"user.login\",\"code\":\"T1000I\",\"uid\":\"" + uid + "\",\"time\":\"" + time + "\"}")));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
