package dev.tee.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tee.config.ConfigKey;
import dev.tee.demo.FakeTeleport;
import dev.tee.testing.FluentdToS3;
import dev.tee.testing.GeneratedEvents;
import dev.tee.testing.InProcessExporter;
import dev.tee.testing.PantherObjects;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A backfill over a day and a half (two or three UTC dates), one event a minute: thousands of minute
 * chunks in Fluentd's buffer at once. configure's buffer settings must put them all into S3 soon after
 * Fluentd acknowledged them (Fluentd's defaults, one chunk queued at a time and a second's pause
 * between chunks, wrote about one object a second: over half an hour for these).
 */
class RealFluentdBackfillTest {

    private static final String BUCKET = "backfill";
    private static final int MINUTES = 2_000;
    private static final Duration PATIENCE = Duration.ofMinutes(3);
    /** From the exporter's last acknowledgement to the last object: 12 to 34 s measured on two busy cores. */
    private static final Duration DRAIN = Duration.ofMinutes(2);

    @RegisterExtension
    static final FluentdToS3 servers = new FluentdToS3(BUCKET);

    @Test
    void aMultiDayBackfillIsInS3SoonAfterFluentdAcknowledgedIt() {
        Instant from = Instant.now().truncatedTo(ChronoUnit.MINUTES).minus(Duration.ofMinutes(MINUTES + 1));
        List<ObjectNode> events = GeneratedEvents.withoutUploads(4, from, Duration.ofMinutes(1), MINUTES);
        try (FakeTeleport teleport = FakeTeleport.builder().events(events).start()) {
            Map<String, List<String>> expected = PantherObjects.oneObjectPerMinute(teleport.events());
            int minutes = expected.size(); // one event a minute, less the generator's session.upload events
            long began = System.nanoTime();
            int status = InProcessExporter.runToEnd(servers.fluentd().exporter(teleport)
                    .set(ConfigKey.START_TIME, from.toString())
                    .set(ConfigKey.TIMEOUT, "100ms")
                    .set(ConfigKey.EXIT_ON_LAST_EVENT, "true")
                    .load(), PATIENCE);
            assertThat(status).isZero();
            long acknowledged = System.nanoTime();
            int inS3AtAcknowledgement = servers.s3().keys(BUCKET, "").size();

            await("every minute's object").atMost(DRAIN).pollInterval(Duration.ofMillis(250))
                    .untilAsserted(() -> assertThat(servers.s3().keys(BUCKET, "").size()).as("objects in S3").isEqualTo(minutes));
            long drained = System.nanoTime();
            System.out.printf("Backfill of %d minute chunks: exported and acknowledged in %.1f s (%d objects in S3 "
                    + "by then), all in S3 %.1f s later%n", minutes, (acknowledged - began) / 1e9,
                    inS3AtAcknowledgement, (drained - acknowledged) / 1e9);

            Map<String, List<String>> objects = servers.s3().gzipLines(BUCKET, "");
            assertThat(objects.keySet()).containsExactlyElementsOf(expected.keySet());
            assertThat(objects).isEqualTo(expected);
        }
    }
}
