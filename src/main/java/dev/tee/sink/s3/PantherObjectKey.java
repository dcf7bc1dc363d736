package dev.tee.sink.s3;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The S3 key fluent-plugin-s3 gives an object in Panther's setup: {@code <prefix><yyyyMMddHHmm00>_<n>.gz}. */
public record PantherObjectKey(String prefix, Instant minute, int index) {

    /** The Panther guide's {@code path teleport/logs}. */
    public static final String DEFAULT_PREFIX = "teleport/logs";

    private static final Pattern SLICE_AND_INDEX =
            Pattern.compile("(-?\\d{4})(\\d{2})(\\d{2})(\\d{2})(\\d{2})00_(0|[1-9]\\d{0,8})\\.gz");

    public PantherObjectKey {
        Objects.requireNonNull(prefix, "prefix");
        if (minute.getEpochSecond() % 60 != 0 || minute.getNano() != 0) {
            throw new IllegalArgumentException("not the start of a minute: " + minute);
        }
        if (index < 0) {
            throw new IllegalArgumentException("negative index " + index);
        }
    }

    /** The key with index {@code index} for the minute that holds {@code time} (floored, UTC). */
    public static PantherObjectKey of(String prefix, Instant time, int index) {
        return new PantherObjectKey(prefix, floorToMinute(time), index);
    }

    /** The list prefix that finds every object of the minute holding {@code time}: {@code <prefix><slice>_}. */
    public static String minutePrefix(String prefix, Instant time) {
        StringBuilder out = new StringBuilder(prefix.length() + 16).append(prefix);
        appendTimeSlice(floorToMinute(time), out);
        return out.append('_').toString();
    }

    /** The minute and index of {@code key}, or empty when it is not a key of this scheme under {@code prefix}. */
    public static Optional<PantherObjectKey> parse(String prefix, String key) {
        if (!key.startsWith(prefix)) {
            return Optional.empty();
        }
        Matcher m = SLICE_AND_INDEX.matcher(key);
        if (!m.region(prefix.length(), key.length()).matches()) {
            return Optional.empty();
        }
        try {
            LocalDateTime minute = LocalDateTime.of(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
                    Integer.parseInt(m.group(3)), Integer.parseInt(m.group(4)), Integer.parseInt(m.group(5)));
            return Optional.of(new PantherObjectKey(prefix, minute.toInstant(ZoneOffset.UTC),
                    Integer.parseInt(m.group(6))));
        } catch (DateTimeException e) {
            return Optional.empty();
        }
    }

    /** The key of the next object of the same minute. */
    public PantherObjectKey next() {
        return new PantherObjectKey(prefix, minute, index + 1);
    }

    /**
     * The S3 key (fluentd-s3-panther.md §2.2). The prefix is glued on verbatim, as out_s3 does with
     * {@code path}: {@code teleport/logs} gives {@code teleport/logs20261123172200_0.gz}, no slash.
     */
    public String key() {
        StringBuilder out = new StringBuilder(prefix.length() + 24).append(prefix);
        appendTimeSlice(minute, out);
        return out.append('_').append(index).append(".gz").toString();
    }

    @Override
    public String toString() {
        return key();
    }

    private static Instant floorToMinute(Instant time) {
        return Instant.ofEpochSecond(Math.floorDiv(time.getEpochSecond(), 60) * 60);
    }

    /** out_s3's {@code time_slice_format %Y%m%d%H%M%S} in UTC (timekey_use_utc); Ruby pads %Y to 4 digits. */
    private static void appendTimeSlice(Instant minute, StringBuilder out) {
        LocalDateTime t = LocalDateTime.ofEpochSecond(minute.getEpochSecond(), 0, ZoneOffset.UTC);
        int year = t.getYear();
        if (year < 0) {
            out.append('-');
        }
        String digits = Integer.toString(Math.abs(year));
        out.append("0".repeat(Math.max(0, 4 - digits.length()))).append(digits);
        twoDigits(t.getMonthValue(), out);
        twoDigits(t.getDayOfMonth(), out);
        twoDigits(t.getHour(), out);
        twoDigits(t.getMinute(), out);
        out.append("00");
    }

    private static void twoDigits(int value, StringBuilder out) {
        out.append((char) ('0' + value / 10)).append((char) ('0' + value % 10));
    }
}
