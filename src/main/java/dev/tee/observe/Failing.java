package dev.tee.observe;

import java.time.Duration;

/**
 * A run of failures, Teleport's or the output's: how long it has lasted, how the last one went, and
 * whether it is a refusal (credentials or rights), which no wait cures.
 */
public record Failing(Duration duration, String lastFailure, boolean refusal) {

    public Failing(Duration duration, String lastFailure) {
        this(duration, lastFailure, false);
    }
}
