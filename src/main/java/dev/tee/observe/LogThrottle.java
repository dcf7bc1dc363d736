package dev.tee.observe;

import java.time.Duration;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Lets a repeated log line through at most once per interval ("warn at most once a minute") and
 * counts the ones it holds back, so that a long outage says what it must without flooding the log.
 * A line about another subject (another message) goes through at once.
 */
public final class LogThrottle {

    private final long intervalNanos;
    private final LongSupplier nanoTime;
    private boolean passedBefore;
    private long lastPassed;
    private Object lastSubject;
    private long held;
    private long heldBeforeLast;

    /** A throttle on the JVM's monotonic clock. */
    public LogThrottle(Duration interval) {
        this(interval, System::nanoTime);
    }

    /** A throttle on {@code nanoTime}, a clock in nanoseconds such as {@link System#nanoTime()}. */
    LogThrottle(Duration interval, LongSupplier nanoTime) {
        this.intervalNanos = interval.toNanos();
        this.nanoTime = nanoTime;
    }

    /** Whether the line may be logged now: the first one, and then one per interval. */
    public boolean pass() {
        return pass(null);
    }

    /**
     * Whether the line about {@code subject} may be logged now: the first one, one about another
     * subject than the last one logged, and then one per interval.
     */
    public synchronized boolean pass(Object subject) {
        long now = nanoTime.getAsLong();
        if (passedBefore && Objects.equals(subject, lastSubject) && now - lastPassed < intervalNanos) {
            held++;
            return false;
        }
        passedBefore = true;
        lastPassed = now;
        lastSubject = subject;
        heldBeforeLast = held;
        held = 0;
        return true;
    }

    /** The lines held back between the last line that passed and the one before it. */
    public synchronized long heldBack() {
        return heldBeforeLast;
    }
}
