package dev.tee.source;

import java.time.Instant;

/**
 * Where the legacy search path resumes: the start of the current time window, the page key that
 * fetched the current page ("" for the window's first page) and the id of the last event of that
 * page already handled (null for none). The same three facts the Go handler keeps as
 * {@code window_time}, {@code cursor} and {@code id}.
 */
public record LegacyCursor(Instant windowStart, String pageKey, String lastEventId) {

    /** A saved cursor without its window or page key is corrupt: resuming from it would start over. */
    public LegacyCursor {
        if (windowStart == null || pageKey == null) {
            throw new IllegalArgumentException(windowStart == null ? "no windowStart" : "no pageKey");
        }
    }

    public static LegacyCursor startingAt(Instant windowStart) {
        return new LegacyCursor(windowStart, "", null);
    }
}
