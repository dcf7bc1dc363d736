package dev.tee.observe;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import com.google.protobuf.Struct;
import dev.tee.event.AuditEvent;
import dev.tee.event.Batch;
import dev.tee.sink.OutputCounters;
import dev.tee.source.AuditSource;
import dev.tee.state.Acknowledger;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

/** The rules behind the numbers: pending, lag, and when the output counts as failing. */
class ExporterMetricsTest {

    private static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");

    private final Acknowledger acknowledger = new Acknowledger();
    private final Source source = new Source();
    private final ExporterMetrics metrics = new ExporterMetrics(acknowledger, new NoOutput(), source,
            new TeleportReachability(Clock.fixed(NOW, ZoneOffset.UTC)), Clock.fixed(NOW, ZoneOffset.UTC));

    @Test
    void everyEventReadIsPendingUntilDeliveredFilteredOrFoundDelivered() {
        AuditEvent a = event("a", NOW.minusSeconds(300));
        AuditEvent b = event("b", NOW.minusSeconds(200));
        AuditEvent c = event("c", NOW.minusSeconds(100));
        List.of(a, b, c).forEach(metrics::read);
        assertThat(metrics.snapshot().pending()).isEqualTo(3);

        acknowledger.filtered(a);
        acknowledger.duplicate(b);
        assertThat(metrics.snapshot().pending()).isEqualTo(1);
        acknowledger.delivered(new Batch(List.of(c)));

        ExporterMetrics.Snapshot snapshot = metrics.snapshot();
        assertThat(snapshot.pending()).isZero();
        assertThat(snapshot.read()).isEqualTo(3);
        assertThat(snapshot.filtered()).isEqualTo(1);
        assertThat(snapshot.deduplicated()).isEqualTo(1);
        assertThat(snapshot.newestRead()).isEqualTo(c.time());
    }

    @Test
    void lagIsTheAgeOfTheNewestEventDoneWithUntilTheReaderCaughtUpWithNothingPending() {
        assertThat(metrics.snapshot().lag()).as("nothing done yet").isNull();

        AuditEvent old = event("old", NOW.minus(Duration.ofHours(3)));
        AuditEvent newer = event("newer", NOW.minus(Duration.ofHours(2)));
        metrics.read(old);
        metrics.read(newer);
        acknowledger.delivered(new Batch(List.of(old)));
        assertThat(metrics.snapshot().lag()).isEqualTo(Duration.ofHours(3));

        source.caughtUp = true;
        metrics.sample();
        assertThat(metrics.snapshot().lag()).as("caught up, one pending").isEqualTo(Duration.ofHours(3));
        acknowledger.filtered(newer);
        assertThat(metrics.snapshot().lag()).as("caught up, nothing pending: a quiet cluster").isZero();
    }

    @Test
    void theOutputFailsFromTheFirstRetryUntilItAcknowledgesAgain() {
        assertThat(metrics.snapshot().outputFailing()).isEmpty();

        metrics.retried("Fluentd at https://fluentd:8888/events.log answered 503 (expected 200)");
        metrics.retried("Fluentd at https://fluentd:8888/events.log is unreachable: connection refused");
        assertThat(metrics.snapshot().retries()).isEqualTo(2);
        assertThat(metrics.snapshot().outputFailing()).hasValueSatisfying(failing -> {
            assertThat(failing.duration()).isZero();
            assertThat(failing.lastFailure()).endsWith("connection refused");
        });

        acknowledger.delivered(new Batch(List.of(event("x", NOW))));
        assertThat(metrics.snapshot().outputFailing()).isEmpty();
        assertThat(metrics.snapshot().lastSend()).isNotNull();
    }

    @Test
    void thePendingEventsBytesAreTheReadersCount() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        metrics.bindTo(registry);
        source.bytes = 123_456;

        assertThat(registry.get("teleport.exporter.events.pending.bytes").gauge().value()).isEqualTo(123_456.0);
    }

    private static AuditEvent event(String id, Instant time) {
        return new AuditEvent(id, "user.login", time, 0, Struct.getDefaultInstance());
    }

    private static final class Source implements AuditSource {
        volatile boolean caughtUp;
        volatile long bytes;

        @Override
        public long unsettledBytes() {
            return bytes;
        }

        @Override
        public boolean caughtUp() {
            return caughtUp;
        }

        @Override
        public boolean idle() {
            return true;
        }

        @Override
        public Instant readPosition() {
            return NOW;
        }

        @Override
        public long unsettled() {
            return 0;
        }
    }

    private static final class NoOutput implements OutputCounters {
        @Override
        public long eventsDelivered() {
            return 0;
        }

        @Override
        public long eventsDeadLettered() {
            return 0;
        }

        @Override
        public long requestsCompleted() {
            return 0;
        }
    }
}
