package dev.tee.observe;

import java.time.Duration;

/** A run of failures, Teleport's or the output's: how long it has lasted and how the last one went. */
public record Failing(Duration duration, String lastFailure) {
}
