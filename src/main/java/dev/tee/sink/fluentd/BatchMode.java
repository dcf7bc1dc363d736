package dev.tee.sink.fluentd;

import java.util.Locale;

import dev.tee.config.ConfigException;

/** How events travel to Fluentd ({@code forward.fluentd.batch-mode}). */
public enum BatchMode {
    /** One POST per batch, its body a JSON array of events (Fluentd in_http with a JSON parser takes arrays). */
    BATCH,
    /** One POST per event, its body the event itself, as Teleport's event handler sends (for old Fluentd). */
    SINGLE;

    public static final String KEY = "forward.fluentd.batch-mode";

    /** The mode named {@code value} ("batch" or "single", any case). */
    public static BatchMode of(String value) {
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(KEY + ": unknown value '" + value + "' (expected batch or single)");
        }
    }
}
