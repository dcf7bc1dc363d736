package dev.tee.observe;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import org.junit.jupiter.api.Test;

/** The progress line: the Go handler's "Event processing" with rates per minute and the rest as key=value. */
class ProgressLogTest {

    private static final Instant T0 = Instant.parse("2026-11-23T12:00:00Z");

    @Test
    void showsRatesPerMinutePendingLagAndPosition() {
        ExporterMetrics.Snapshot before = snapshot(T0, 1_000, 900, 2, Optional.empty());
        ExporterMetrics.Snapshot after = snapshot(T0.plusSeconds(60), 2_200, 2_080, 5, Optional.empty());

        assertThat(ProgressLog.line(before, after)).isEqualTo("Event processing read_per_minute=1200 "
                + "events_per_minute=1180 pending=120 lag=3s read_up_to=2026-11-23T12:00:58Z caught_up=false "
                + "retries_per_minute=3");
    }

    @Test
    void scalesToAMinuteAndSaysWhatIsFailing() {
        ExporterMetrics.Snapshot before = snapshot(T0, 0, 0, 0, Optional.empty());
        ExporterMetrics.Snapshot after = snapshot(T0.plusSeconds(30), 100, 80, 4,
                Optional.of(new Failing(Duration.ofSeconds(95), "connection refused")));

        assertThat(ProgressLog.line(before, after)).contains("read_per_minute=200 events_per_minute=160")
                .contains("retries_per_minute=8")
                .endsWith(" output_failing_for=1m35s");
    }

    private static ExporterMetrics.Snapshot snapshot(Instant at, long read, long delivered, long retries,
            Optional<Failing> outputFailing) {
        return new ExporterMetrics.Snapshot(at, read, 0, 0, delivered, 0, delivered / 20, retries, read - delivered,
                at.minusSeconds(2), Duration.ofMillis(3_400), at, false, Optional.empty(), outputFailing, 0, 0, 0);
    }
}
