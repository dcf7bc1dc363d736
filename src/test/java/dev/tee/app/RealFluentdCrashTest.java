package dev.tee.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
import dev.tee.testing.FluentdToS3;
import dev.tee.testing.GeneratedEvents;
import dev.tee.testing.InProcessExporter;
import dev.tee.testing.KillLoop;
import dev.tee.testing.PantherObjects;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Real Fluentd crashes (SIGKILL to supervisor and worker) in the middle of an export and comes back on
 * the same file buffer: every event reaches S3, and only the batches in flight at the kill
 * (and the chunk Fluentd was putting) may be there twice.
 */
class RealFluentdCrashTest {

    private static final String BUCKET = "crash";
    private static final int EVENTS = 2_000;
    private static final int KILL_AT = 700;
    /** configure's application.properties: events per POST. */
    private static final int BATCH = 20;
    /** The default batches-in-flight: POSTs the kill may cut off at once. */
    private static final int IN_FLIGHT = KillLoop.IN_FLIGHT;
    /** Two seconds apart: 30 events per minute, so per Fluentd chunk and S3 object. */
    private static final Duration SPACING = Duration.ofSeconds(2);
    private static final int EVENTS_PER_MINUTE = 30;
    private static final Duration PATIENCE = Duration.ofMinutes(3);

    @RegisterExtension
    static final FluentdToS3 servers = new FluentdToS3(BUCKET);

    @Test
    void everyEventReachesS3WhenFluentdIsKilledMidExportAndRestarted() {
        Instant from = Instant.now().truncatedTo(ChronoUnit.MINUTES).minus(SPACING.multipliedBy(EVENTS + 60));
        List<ObjectNode> events = GeneratedEvents.withoutUploads(3, from, SPACING, EVENTS);
        long deliveredAtKill;
        try (FakeTeleport teleport = FakeTeleport.builder().events(events).start();
             InProcessExporter exporter = InProcessExporter.start(servers.fluentd().exporter(teleport)
                     .set(ConfigKey.START_TIME, from.toString())
                     .set(ConfigKey.TIMEOUT, "100ms")
                     .set(ConfigKey.EXIT_ON_LAST_EVENT, "true")
                     .load())) {
            Set<String> expected = teleport.events().stream().map(EventUnstructured::getId).collect(Collectors.toSet());
            await("events acknowledged before the kill").atMost(PATIENCE).pollInterval(Duration.ofMillis(2))
                    .until(() -> exporter.metrics().getEventsDelivered() >= KILL_AT || !exporter.isRunning());
            servers.fluentd().fluentd().kill();
            deliveredAtKill = exporter.metrics().getEventsDelivered();
            servers.fluentd().fluentd().restart();
            assertThat(exporter.awaitExit(PATIENCE)).isZero();
            assertThat(deliveredAtKill).as("acknowledged when Fluentd was killed").isLessThan(expected.size());
            assertThat(exporter.metrics().getRetries()).as("sends tried again after the kill").isPositive();
            assertThat(exporter.metrics().getEventsDelivered()).isEqualTo(expected.size());

            await("every event in S3").atMost(PATIENCE).pollInterval(Duration.ofMillis(500))
                    .until(() -> new HashSet<>(PantherObjects.uids(servers.s3().gzipLines(BUCKET, ""))).containsAll(expected));
            List<String> uids = PantherObjects.uids(servers.s3().gzipLines(BUCKET, ""));
            int repeated = uids.size() - new HashSet<>(uids).size();
            System.out.printf("Fluentd killed at %d of %d events acknowledged; in S3: %d lines, %d repeated%n",
                    deliveredAtKill, expected.size(), uids.size(), repeated);
            assertThat(new HashSet<>(uids)).isEqualTo(expected);
            // The batches whose answers the kill cut off (Fluentd may have buffered them: we send them again),
            // and the one chunk Fluentd may have been putting into S3 (it puts it again after the restart).
            assertThat(repeated).as("events in S3 twice").isLessThanOrEqualTo(IN_FLIGHT * BATCH + EVENTS_PER_MINUTE);
        }
    }
}
