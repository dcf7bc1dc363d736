package dev.tee.observe;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

class LogThrottleTest {

    private static final long SECOND = Duration.ofSeconds(1).toNanos();

    private final AtomicLong now = new AtomicLong(-123 * SECOND); // nanoTime may be negative
    private final LogThrottle throttle = new LogThrottle(Duration.ofMinutes(1), now::get);

    @Test
    void letsTheFirstLineThroughThenOnePerIntervalCountingTheOnesHeldBack() {
        assertThat(throttle.pass()).isTrue();
        assertThat(throttle.heldBack()).isZero();
        for (int i = 0; i < 3; i++) {
            now.addAndGet(10 * SECOND);
            assertThat(throttle.pass()).isFalse();
        }
        now.addAndGet(29 * SECOND);
        assertThat(throttle.pass()).as("59 s after the first").isFalse();
        now.addAndGet(SECOND);
        assertThat(throttle.pass()).as("60 s after the first").isTrue();
        assertThat(throttle.heldBack()).isEqualTo(4);
        assertThat(throttle.pass()).isFalse();
        now.addAndGet(60 * SECOND);
        assertThat(throttle.pass()).isTrue();
        assertThat(throttle.heldBack()).isEqualTo(1);
        now.addAndGet(60 * SECOND);
        assertThat(throttle.pass()).isTrue();
        assertThat(throttle.heldBack()).isZero();
    }

    @Test
    void aLineAboutAnotherSubjectGoesThroughAtOnce() {
        assertThat(throttle.pass("connection refused")).isTrue();
        assertThat(throttle.pass("connection refused")).isFalse();
        assertThat(throttle.pass("connection refused")).isFalse();
        assertThat(throttle.pass("access denied")).isTrue();
        assertThat(throttle.heldBack()).isEqualTo(2);
        assertThat(throttle.pass("access denied")).isFalse();
        assertThat(throttle.pass("connection refused")).isTrue();
        assertThat(throttle.heldBack()).isEqualTo(1);
    }

    @Test
    void heldBackCountsNothingBeforeTheFirstLine() {
        assertThat(throttle.heldBack()).isZero();
        now.addAndGet(Long.MAX_VALUE / 2);
        assertThat(throttle.pass()).isTrue();
        assertThat(throttle.heldBack()).isZero();
    }
}
