package dev.tee.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.tee.config.ConfigKey;
import dev.tee.demo.FakeTeleport;
import dev.tee.sink.s3.PantherObjectKey;
import dev.tee.teleport.proto.auditlog.EventUnstructured;
import dev.tee.testing.FluentdToS3;
import dev.tee.testing.GeneratedEvents;
import dev.tee.testing.InProcessExporter;
import dev.tee.testing.PantherObjects;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A live export with quiet spells: after each pause the exporter's pooled connection is gone (we
 * evict it after 5 s idle, in_http closes it after 10 s), so the next batch opens a new TLS
 * connection to real Fluentd. Every event must arrive on the first try. Fluentd refuses a client that
 * offers to resume a TLS session (fluent/fluentd#3632), which stalled the export in production.
 */
class RealFluentdLiveTest {

    private static final String BUCKET = "live";
    private static final int ROUNDS = 3;
    /** Generated per round, less the generator's session.upload events. */
    private static final int EVENTS_PER_ROUND = 25;
    /** Longer than in_http's keepalive_timeout (10 s) and the exporter's idle eviction (5 s). */
    private static final Duration PAUSE = Duration.ofSeconds(12);
    private static final Duration DELIVERY = Duration.ofSeconds(20);
    /**
     * How old each round's events are when they reach the audit log, as events that come in late are:
     * their minute is over, so Fluentd writes them at its next flush instead of when the current minute
     * ends (up to a minute more for this test). Each round's events are still later than the last
     * round's, so the reader, caught up, reads them as live.
     */
    private static final Duration LATE = Duration.ofSeconds(61);
    private static final Duration OBJECTS = Duration.ofSeconds(30);

    @RegisterExtension
    static final FluentdToS3 servers = new FluentdToS3(BUCKET);

    @Test
    void liveEventsAfterPausesLongerThanFluentdsKeepAliveArriveWithoutARetry() throws Exception {
        List<EventUnstructured> served = new ArrayList<>();
        try (FakeTeleport teleport = FakeTeleport.start();
             InProcessExporter exporter = InProcessExporter.start(servers.fluentd().exporter(teleport)
                     .set(ConfigKey.START_TIME, Instant.now().minus(LATE.multipliedBy(2)).toString())
                     .set(ConfigKey.TIMEOUT, "200ms")
                     .load())) {
            for (int round = 0; round < ROUNDS; round++) {
                if (round > 0) {
                    Thread.sleep(PAUSE.toMillis()); // deliberate: the quiet spell this test is about
                }
                served.addAll(teleport.append(GeneratedEvents.withoutUploads(round, Instant.now().minus(LATE),
                        Duration.ofMillis(10), EVENTS_PER_ROUND)));
                int expected = served.size();
                await("round " + round + " acknowledged").atMost(DELIVERY).pollInterval(Duration.ofMillis(50))
                        .failFast(() -> assertThat(exporter.metrics().getRetries())
                                .as(() -> "sends to Fluentd tried again; the end of Fluentd's log:\n"
                                        + servers.fluentd().fluentd().logTail())
                                .isZero())
                        .until(() -> exporter.metrics().getEventsDelivered() == expected);
            }
            assertThat(exporter.metrics().getRetries()).isZero();
            assertThat(exporter.metrics().getEventsDelivered()).isEqualTo(served.size());
        }
        assertThat(servers.fluentd().fluentd().log()).doesNotContain("session id context uninitialized");

        List<String> expected = served.stream().map(PantherObjects::line).sorted().toList();
        await("every event in S3").atMost(OBJECTS).pollInterval(Duration.ofMillis(500))
                .until(() -> PantherObjects.uids(servers.s3().gzipLines(BUCKET, "")).size() >= served.size());
        Map<String, List<String>> objects = servers.s3().gzipLines(BUCKET, "");
        assertThat(objects.values().stream().flatMap(List::stream).sorted().toList()).isEqualTo(expected);
        // each line in an object of its minute; rounds and POSTs that share a minute make _0, _1...
        objects.forEach((key, lines) -> assertThat(lines).as(key).allSatisfy(line -> assertThat(key)
                .startsWith(PantherObjectKey.minutePrefix(PantherObjectKey.DEFAULT_PREFIX, timeOf(line)))));
    }

    private static Instant timeOf(String line) {
        int at = line.lastIndexOf("\"time\":\"");
        return Instant.parse(line.substring(at + 8, line.length() - 2));
    }
}
