package dev.tee.sink.s3;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import dev.tee.event.AuditEvent;
import dev.tee.event.Batch;
import dev.tee.source.AuditSource;
import dev.tee.testing.ObjectRoutes;
import dev.tee.testing.S3ProxyServer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The object routes (output=s3) against a real S3 server (S3Proxy) on 127.0.0.1. */
class S3ObjectRoutesTest {

    private static final String BUCKET = "panther-test";

    @TempDir
    Path dir;

    private S3ProxyServer s3;
    private final List<String> committed = new CopyOnWriteArrayList<>();
    /** A reader that has read everything, all of it here: every minute is complete at once. */
    private final AuditSource caughtUp = new AuditSource() {
        @Override
        public Instant readPosition() {
            return Instant.parse("2026-11-23T18:00:00Z");
        }

        @Override
        public boolean caughtUp() {
            return true;
        }

        @Override
        public boolean idle() {
            return true;
        }

        @Override
        public long unsettled() {
            return 0;
        }
    };

    @BeforeEach
    void startS3() {
        s3 = S3ProxyServer.start();
        s3.createBucket(BUCKET);
    }

    @AfterEach
    void stopS3() {
        s3.close();
    }

    @Test
    void aReplayFindsItsKeyTakenReadsItBackAndWritesOnlyTheRestUnderTheNextKey() throws Exception {
        deliver(event("a", "2026-11-23T17:22:01Z"), event("b", "2026-11-23T17:22:02Z"));
        assertThat(committed).containsExactly("a", "b");
        committed.clear(); // the crash: written, but never acknowledged

        PantherWriter replay = deliver(event("a", "2026-11-23T17:22:01Z"), event("b", "2026-11-23T17:22:02Z"),
                event("late", "2026-11-23T17:22:03Z"));

        assertThat(committed).containsExactly("a", "b", "late");
        assertThat(replay.objectsFoundWritten()).isEqualTo(1);
        assertThat(replay.objectsWritten()).isEqualTo(1);
        assertThat(keys()).containsExactly("teleport/logs20261123172200_0.gz", "teleport/logs20261123172200_1.gz");
        assertThat(TestEvents.gunzipLines(object("teleport/logs20261123172200_1.gz"))).singleElement()
                .asString().contains("\"uid\":\"late\"");
    }

    /**
     * A replay whose minute reaches the writer as two objects, after a run that stored it as two: the
     * second object finds its event under the key the first one read back, and nothing is written twice.
     */
    @Test
    void aReplayWhoseMinuteComesAsTwoObjectsWritesNothingAnEarlierRunStored() throws Exception {
        deliver(event("a", "2026-11-23T17:22:01Z"));
        deliver(event("b", "2026-11-23T17:22:30Z"));
        assertThat(keys()).containsExactly("teleport/logs20261123172200_0.gz", "teleport/logs20261123172200_1.gz");
        committed.clear(); // the crash: written, but never acknowledged

        PantherWriter replay = deliverInOneRun(new Batch(List.of(event("b", "2026-11-23T17:22:30Z"))),
                new Batch(List.of(event("a", "2026-11-23T17:22:01Z"))));

        assertThat(committed).containsExactly("b", "a");
        assertThat(replay.objectsWritten()).isZero();
        assertThat(keys()).containsExactly("teleport/logs20261123172200_0.gz", "teleport/logs20261123172200_1.gz");
    }

    @Test
    void anS3ThatIsDownAtTheFirstPutIsWaitedOut() throws Exception {
        s3.stop();
        CompletableFuture<PantherWriter> delivery = CompletableFuture.supplyAsync(() -> {
            try {
                return deliver(event("a", "2026-11-23T17:22:01Z"));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Awaitility.await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(10))
                .until(() -> !delivery.isDone());
        s3.restart();

        assertThat(delivery.get(60, TimeUnit.SECONDS).objectsWritten()).isEqualTo(1);
        assertThat(committed).containsExactly("a");
        assertThat(keys()).containsExactly("teleport/logs20261123172200_0.gz");
    }

    /** A fresh writer in fresh routes, as after a restart, handed one batch; returns once it is through. */
    private PantherWriter deliver(AuditEvent... events) throws Exception {
        return deliverInOneRun(new Batch(List.of(events)));
    }

    /** A fresh writer in fresh routes handed the batches one after the other; returns once they are through. */
    private PantherWriter deliverInOneRun(Batch... batches) throws Exception {
        try (S3ObjectStore store = S3ObjectStore.open(s3.settings(BUCKET))) {
            PantherWriter writer = new PantherWriter("teleport/logs", MinuteObject.DEFAULT_MAX_BYTES, Duration.ZERO,
                    store, caughtUp, Clock.systemUTC());
            try (ObjectRoutes routes = ObjectRoutes.s3(writer, caughtUp, store.client(), BUCKET, Map.of(), committed,
                    dir.resolve("state-" + System.nanoTime()))) {
                for (Batch batch : batches) {
                    routes.deliver(batch);
                }
            }
            return writer;
        }
    }

    private List<String> keys() {
        return s3.client().listObjectsV2(b -> b.bucket(BUCKET)).contents().stream().map(o -> o.key()).toList();
    }

    private byte[] object(String key) {
        return s3.client().getObjectAsBytes(b -> b.bucket(BUCKET).key(key)).asByteArray();
    }

    private static AuditEvent event(String uid, String time) {
        return TestEvents.event("{\"event\":\"user.login\",\"code\":\"T1000I\",\"uid\":\"" + uid + "\",\"time\":\""
                + time + "\"}");
    }
}
