package dev.tee.session;

import java.time.Duration;
import java.util.Collection;
import java.util.Set;

/**
 * How session recordings are exported: the Go handler's numbers by default (event-handler.md §2.6),
 * with the intervals open to tests.
 *
 * @param concurrency sessions streamed at once (`concurrency`)
 * @param skipTypes session event types read but not exported (`skip-session-types`)
 * @param missingRetryInterval pause before a recording Teleport did not find is asked for again
 * @param missingRetries how many times a recording not found is asked for again before giving up
 * @param missingGiveUpAfter a recording still not found this long after its upload event is given up
 * @param errorAttempts tries of a session failing for another reason before it is set aside
 * @param errorBackoff first pause between those tries (decorrelated jitter up to errorBackoffMax)
 * @param errorBackoffMax longest pause between those tries
 * @param outageBackoff first pause while the output or Teleport is unreachable (then doubling)
 * @param outageBackoffMax longest pause while the output or Teleport is unreachable
 * @param indexSaveInterval how often, at most, a session's position is saved while it streams
 */
public record SessionSettings(int concurrency, Set<String> skipTypes, Duration missingRetryInterval,
        int missingRetries, Duration missingGiveUpAfter, int errorAttempts, Duration errorBackoff,
        Duration errorBackoffMax, Duration outageBackoff, Duration outageBackoffMax, Duration indexSaveInterval) {

    public SessionSettings {
        if (concurrency < 1) {
            throw new IllegalArgumentException("concurrency must be at least 1: " + concurrency);
        }
        skipTypes = Set.copyOf(skipTypes);
    }

    /**
     * The Go handler's behaviour: a missing recording asked for again every 3 minutes, given up after
     * 3 more tries or 48 hours; other failures tried 3 times with 3 s to 1 min between; the position
     * saved once a second.
     */
    public static SessionSettings of(int concurrency, Collection<String> skipTypes) {
        return new SessionSettings(concurrency, Set.copyOf(skipTypes), Duration.ofMinutes(3), 3, Duration.ofHours(48),
                3, Duration.ofSeconds(3), Duration.ofMinutes(1), Duration.ofMillis(500), Duration.ofSeconds(30),
                Duration.ofSeconds(1));
    }

    SessionSettings withMissingRetryInterval(Duration interval) {
        return new SessionSettings(concurrency, skipTypes, interval, missingRetries, missingGiveUpAfter, errorAttempts,
                errorBackoff, errorBackoffMax, outageBackoff, outageBackoffMax, indexSaveInterval);
    }

    SessionSettings withErrorBackoff(Duration first, Duration max) {
        return new SessionSettings(concurrency, skipTypes, missingRetryInterval, missingRetries, missingGiveUpAfter,
                errorAttempts, first, max, outageBackoff, outageBackoffMax, indexSaveInterval);
    }

    SessionSettings withOutageBackoff(Duration first, Duration max) {
        return new SessionSettings(concurrency, skipTypes, missingRetryInterval, missingRetries, missingGiveUpAfter,
                errorAttempts, errorBackoff, errorBackoffMax, first, max, indexSaveInterval);
    }
}
