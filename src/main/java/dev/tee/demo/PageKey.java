package dev.tee.demo;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Comparator;

/**
 * An event's place in the fake audit log, sorted by (time, index, arrival), and its encoding as the
 * opaque {@code last_key}/{@code start_key} of GetUnstructuredEvents. A keyset rather than an offset,
 * so that paging stays right while events are appended, as with Teleport's Postgres and Athena backends.
 */
record PageKey(Instant time, long index, long arrival) implements Comparable<PageKey> {

    private static final Comparator<PageKey> ORDER = Comparator.comparing(PageKey::time)
            .thenComparingLong(PageKey::index).thenComparingLong(PageKey::arrival);

    /** Before every event at {@code time}. */
    static PageKey first(Instant time) {
        return new PageKey(time, Long.MIN_VALUE, Long.MIN_VALUE);
    }

    /** After every event at {@code time}. */
    static PageKey last(Instant time) {
        return new PageKey(time, Long.MAX_VALUE, Long.MAX_VALUE);
    }

    @Override
    public int compareTo(PageKey other) {
        return ORDER.compare(this, other);
    }

    String encode() {
        String plain = time.getEpochSecond() + ":" + time.getNano() + ":" + index + ":" + arrival;
        return Base64.getUrlEncoder().withoutPadding().encodeToString(plain.getBytes(StandardCharsets.US_ASCII));
    }

    /** @throws IllegalArgumentException when {@code key} is not one {@link #encode()} made */
    static PageKey decode(String key) {
        String[] parts;
        try {
            parts = new String(Base64.getUrlDecoder().decode(key), StandardCharsets.US_ASCII).split(":", -1);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("malformed start_key", e);
        }
        if (parts.length != 4) {
            throw new IllegalArgumentException("malformed start_key");
        }
        try {
            return new PageKey(Instant.ofEpochSecond(Long.parseLong(parts[0]), Integer.parseInt(parts[1])),
                    Long.parseLong(parts[2]), Long.parseLong(parts[3]));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("malformed start_key", e);
        }
    }
}
