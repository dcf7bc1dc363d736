package dev.tee.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tee.config.ConfigKey;
import dev.tee.demo.FakeTeleport;
import dev.tee.teleport.proto.auditlog.EventUnstructured;
import dev.tee.testing.ConfiguredFluentd;
import dev.tee.testing.GeneratedEvents;
import dev.tee.testing.InProcessExporter;
import dev.tee.testing.PantherObjects;
import dev.tee.testing.S3ProxyServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real Fluentd crashes (SIGKILL to supervisor and worker) in the middle of an export and comes back on
 * the same file buffer: every event reaches S3, and only what was in flight at the kill may be there twice.
 */
class RealFluentdCrashTest {

    private static final String BUCKET = "crash";
    private static final int EVENTS = 2_000;
    private static final int KILL_AT = 700;
    /** configure's application.properties: events per POST. */
    private static final int BATCH = 20;
    /** Two seconds apart: 30 events per minute, so per Fluentd chunk and S3 object. */
    private static final Duration SPACING = Duration.ofSeconds(2);
    private static final int EVENTS_PER_MINUTE = 30;
    private static final Duration PATIENCE = Duration.ofMinutes(3);

    @TempDir
    static Path dir;

    private static S3ProxyServer s3;
    private static ConfiguredFluentd fluentd;

    @BeforeAll
    static void startFluentd() {
        s3 = S3ProxyServer.start();
        s3.createBucket(BUCKET);
        fluentd = ConfiguredFluentd.start(dir.resolve("configure"), s3, BUCKET);
    }

    @AfterAll
    static void stopFluentd() {
        if (fluentd != null) {
            fluentd.close();
        }
        if (s3 != null) {
            s3.close();
        }
    }

    @Test
    void everyEventReachesS3WhenFluentdIsKilledMidExportAndRestarted() {
        Instant from = Instant.now().truncatedTo(ChronoUnit.MINUTES).minus(SPACING.multipliedBy(EVENTS + 60));
        List<ObjectNode> events = GeneratedEvents.withoutUploads(3, from, SPACING, EVENTS);
        long deliveredAtKill;
        try (FakeTeleport teleport = FakeTeleport.builder().events(events).start();
             InProcessExporter exporter = InProcessExporter.start(fluentd.exporter(teleport)
                     .set(ConfigKey.START_TIME, from.toString())
                     .set(ConfigKey.TIMEOUT, "100ms")
                     .set(ConfigKey.EXIT_ON_LAST_EVENT, "true")
                     .load())) {
            Set<String> expected = teleport.events().stream().map(EventUnstructured::getId).collect(Collectors.toSet());
            await("events acknowledged before the kill").atMost(PATIENCE).pollInterval(Duration.ofMillis(2))
                    .until(() -> exporter.metrics().getEventsDelivered() >= KILL_AT || !exporter.isRunning());
            fluentd.fluentd().kill();
            deliveredAtKill = exporter.metrics().getEventsDelivered();
            fluentd.fluentd().restart();
            assertThat(exporter.awaitExit(PATIENCE)).isZero();
            assertThat(deliveredAtKill).as("acknowledged when Fluentd was killed").isLessThan(expected.size());
            assertThat(exporter.metrics().getRetries()).as("sends tried again after the kill").isPositive();
            assertThat(exporter.metrics().getEventsDelivered()).isEqualTo(expected.size());

            await("every event in S3").atMost(PATIENCE).pollInterval(Duration.ofMillis(500))
                    .until(() -> new HashSet<>(PantherObjects.uids(s3.gzipLines(BUCKET, ""))).containsAll(expected));
            List<String> uids = PantherObjects.uids(s3.gzipLines(BUCKET, ""));
            int repeated = uids.size() - new HashSet<>(uids).size();
            System.out.printf("Fluentd killed at %d of %d events acknowledged; in S3: %d lines, %d repeated%n",
                    deliveredAtKill, expected.size(), uids.size(), repeated);
            assertThat(new HashSet<>(uids)).isEqualTo(expected);
            // The batch whose answer the kill cut off (Fluentd may have buffered it: we send it again),
            // and the one chunk Fluentd may have been putting into S3 (it puts it again after the restart).
            assertThat(repeated).as("events in S3 twice").isLessThanOrEqualTo(BATCH + EVENTS_PER_MINUTE);
        }
    }
}
