package dev.tee.sink.s3;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;

import dev.tee.event.AuditEvent;
import dev.tee.event.StructBytes;
import dev.tee.event.Utf8Buffer;

/** The JSON line, byte for byte, that Fluentd + fluent-plugin-s3 write to S3 for an event in Panther's setup. */
public final class PantherLine {

    private static final byte[] TIME = "time".getBytes(StandardCharsets.US_ASCII);
    private static final int SECONDS_PER_DAY = 86_400;

    private final String eventId;
    private final long epochSecond;
    private final byte[] bytes;

    private PantherLine(String eventId, long epochSecond, byte[] bytes) {
        this.eventId = eventId;
        this.epochSecond = epochSecond;
        this.bytes = bytes;
    }

    /**
     * The line for {@code event} (fluentd-s3-panther.md §2.4–2.6): the event as the Go handler posts it
     * (keys sorted at every level), re-printed as Fluentd does after its JSON parser (Oj) read it:
     * compact, the {@code time} member removed by the parser and {@code "time":"yyyy-MM-ddTHH:mm:ssZ"}
     * appended last by the {@code record_transformer} filter, numbers re-printed by Ruby, strings escaped
     * by Oj's compat mode, a LF at the end. {@code receivedAt} stands in for the time of an event without
     * a {@code time} member, as Fluentd takes the arrival time then.
     *
     * @throws InvalidEventTimeException when {@code time} is present but Fluentd would answer 400 for it
     */
    public static PantherLine of(AuditEvent event, Instant receivedAt) {
        byte[] struct = event.struct();
        long time = StructBytes.find(struct, TIME);
        long second = time < 0 ? receivedAt.getEpochSecond() : fluentdTime(struct, time);
        Utf8Buffer out = new Utf8Buffer(struct.length + struct.length / 4 + 32);
        out.append((byte) '{');
        // Fluentd's JSON parser deletes `time` (keep_time_key false); the filter appends it last.
        StructBytes.members(struct, 0, struct.length, StructBytes.Style.FLUENTD, TIME, out);
        out.appendAscii("\"time\":\"");
        StringBuilder utc = new StringBuilder(20);
        appendUtcSecond(second, utc);
        out.appendAscii(utc);
        out.appendAscii("\"}\n");
        return new PantherLine(event.id(), second, out.toByteArray());
    }

    /** The id of the event this line was made from. */
    public String eventId() {
        return eventId;
    }

    /** Fluentd's event time: whole seconds, what the line's {@code time} says. */
    public Instant time() {
        return Instant.ofEpochSecond(epochSecond);
    }

    /** The UTC minute the line's object belongs to (fluent-plugin-s3's timekey 60). */
    public Instant minute() {
        return Instant.ofEpochSecond(Math.floorDiv(epochSecond, 60) * 60);
    }

    /** The line's UTF-8 bytes, ending in LF. */
    public byte[] bytes() {
        return bytes.clone();
    }

    /** Number of bytes including the LF. */
    public int length() {
        return bytes.length;
    }

    byte[] sharedBytes() {
        return bytes;
    }

    @Override
    public String toString() {
        return new String(bytes, 0, bytes.length - 1, StandardCharsets.UTF_8);
    }

    // ---- event time: Fluentd's parser with the Teleport <parse> section ----

    /**
     * Fluentd's TimeParser with {@code time_type string}, {@code time_format %Y-%m-%dT%H:%M:%S}: a
     * non-string is refused, a string goes through the strptime gem, which ignores whatever follows the
     * seconds (fraction and zone), so the wall clock is read as the host's zone, UTC in Teleport's setup.
     */
    private static long fluentdTime(byte[] struct, long time) {
        String text = StructBytes.string(struct, time);
        if (text == null) {
            throw new InvalidEventTimeException("value must be string: " + rubyToS(struct, time));
        }
        long second = strptime(text);
        if (second == Long.MIN_VALUE) {
            throw new InvalidEventTimeException("invalid time format: value = " + text
                    + ", error_class = ArgumentError, error = string doesn't match");
        }
        return second;
    }

    /**
     * The strptime gem (ext/strptime/strptime.c) for {@code %Y-%m-%dT%H:%M:%S}: %Y is an optional sign
     * and 1–4 digits, the other fields 1–2 digits within their ranges (seconds up to 60), literals must
     * match, anything after the seconds is ignored; the date is then normalised like timegm (February 30
     * is March 2). Returns Long.MIN_VALUE where the gem raises "string doesn't match".
     */
    static long strptime(String text) {
        int[] at = {0};
        boolean negative = text.startsWith("-");
        if (negative || text.startsWith("+")) {
            at[0]++;
        }
        int year = digits(text, at, 4);
        int month = literal(text, at, '-') ? digits(text, at, 2) : -1;
        int day = literal(text, at, '-') ? digits(text, at, 2) : -1;
        int hour = literal(text, at, 'T') ? digits(text, at, 2) : -1;
        int minute = literal(text, at, ':') ? digits(text, at, 2) : -1;
        int second = literal(text, at, ':') ? digits(text, at, 2) : -1;
        if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23
                || minute < 0 || minute > 59 || second < 0 || second > 60) {
            return Long.MIN_VALUE;
        }
        long days = LocalDate.of(negative ? -year : year, month, 1).toEpochDay() + day - 1;
        return days * SECONDS_PER_DAY + hour * 3600L + minute * 60L + second;
    }

    private static int digits(String text, int[] at, int width) {
        int start = at[0];
        int value = 0;
        while (at[0] < text.length() && at[0] - start < width) {
            char c = text.charAt(at[0]);
            if (c < '0' || c > '9') {
                break;
            }
            value = value * 10 + (c - '0');
            at[0]++;
        }
        return at[0] == start ? -1 : value;
    }

    private static boolean literal(String text, int[] at, char expected) {
        if (at[0] < text.length() && text.charAt(at[0]) == expected) {
            at[0]++;
            return true;
        }
        return false;
    }

    /** The filter's {@code time.utc.strftime('%Y-%m-%dT%H:%M:%SZ')}; Ruby pads %Y to 4 digits (5 with a sign). */
    static void appendUtcSecond(long epochSecond, StringBuilder out) {
        long days = Math.floorDiv(epochSecond, SECONDS_PER_DAY);
        int secondOfDay = (int) Math.floorMod(epochSecond, SECONDS_PER_DAY);
        LocalDate date = LocalDate.ofEpochDay(days);
        int year = date.getYear();
        if (year < 0) {
            out.append('-');
        }
        String digits = Integer.toString(Math.abs(year));
        for (int pad = digits.length(); pad < 4; pad++) {
            out.append('0');
        }
        out.append(digits).append('-');
        twoDigits(date.getMonthValue(), out);
        out.append('-');
        twoDigits(date.getDayOfMonth(), out);
        out.append('T');
        twoDigits(secondOfDay / 3600, out);
        out.append(':');
        twoDigits(secondOfDay / 60 % 60, out);
        out.append(':');
        twoDigits(secondOfDay % 60, out);
        out.append('Z');
    }

    private static void twoDigits(int value, StringBuilder out) {
        out.append((char) ('0' + value / 10)).append((char) ('0' + value % 10));
    }

    /**
     * Ruby's string interpolation of a parsed JSON value, for Fluentd's "value must be string" message
     * (objects and arrays are shown as JSON rather than Ruby's inspect form; the message is for people).
     */
    private static String rubyToS(byte[] struct, long value) {
        Utf8Buffer out = new Utf8Buffer(32);
        StructBytes.value(struct, (int) (value >>> 32), (int) value, StructBytes.Style.FLUENTD, out);
        String printed = new String(out.toByteArray(), StandardCharsets.UTF_8);
        // nil interpolates as the empty string
        return printed.equals("null") ? "" : printed;
    }
}
