package dev.tee.teleport;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The pauses between tries of work that reads from Teleport, where the routes' redelivery cannot
 * pause itself: the probe of the bulk export API (before the routes start), and the worker routes,
 * whose pauses must end the moment the exporter stops (a pause of Camel's redelivery would hold a
 * graceful stop until Camel's timeout). Exponential with jitter while Teleport or the output is
 * unreachable, or decorrelated jitter, the backoff the Go handler uses between session attempts.
 */
public final class RetryDelay {

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
    public static RetryDelay exponential(Duration base, Duration max) {
        return new RetryDelay(base, max, false);
    }

    /** A random pause between base and three times the previous one, at most max. */
    public static RetryDelay decorrelated(Duration base, Duration max) {
        return new RetryDelay(base, max, true);
    }

    public Duration next() {
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
    public void reset() {
        previousMillis = 0;
    }
}
