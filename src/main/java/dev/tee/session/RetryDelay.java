package dev.tee.session;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The pauses between retries of one session: exponential with jitter while an output or Teleport is
 * unreachable, or decorrelated jitter between base and max, the backoff the Go handler uses between
 * its session attempts (3 s to 1 min).
 */
final class RetryDelay {

    private final Duration base;
    private final Duration max;
    private final boolean decorrelated;
    private long previousMillis;

    private RetryDelay(Duration base, Duration max, boolean decorrelated) {
        this.base = base;
        this.max = max;
        this.decorrelated = decorrelated;
    }

    /** base, 2 × base, 4 × base... up to max, each shortened by up to a half at random. */
    static RetryDelay exponential(Duration base, Duration max) {
        return new RetryDelay(base, max, false);
    }

    /** A random pause between base and three times the previous one, at most max. */
    static RetryDelay decorrelated(Duration base, Duration max) {
        return new RetryDelay(base, max, true);
    }

    Duration next() {
        long baseMillis = Math.max(1, base.toMillis());
        long maxMillis = Math.max(baseMillis, max.toMillis());
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long delay;
        if (decorrelated) {
            long upper = Math.max(baseMillis, previousMillis * 3);
            long spread = upper > baseMillis ? random.nextLong(upper - baseMillis + 1) : 0;
            delay = Math.min(maxMillis, baseMillis + spread);
            previousMillis = delay;
        } else {
            long ceiling = previousMillis == 0 ? baseMillis : Math.min(maxMillis, previousMillis * 2);
            previousMillis = ceiling;
            delay = ceiling / 2 + random.nextLong(ceiling / 2 + 1);
        }
        return Duration.ofMillis(delay);
    }

    /** Progress was made: the next failure starts from base again. */
    void reset() {
        previousMillis = 0;
    }
}
