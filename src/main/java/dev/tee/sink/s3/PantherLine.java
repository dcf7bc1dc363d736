package dev.tee.sink.s3;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Map;

import com.fasterxml.jackson.core.io.schubfach.DoubleToDecimal;
import com.google.protobuf.Value;
import dev.tee.event.AuditEvent;
import dev.tee.event.EventJson;

/** The JSON line, byte for byte, that Fluentd + fluent-plugin-s3 write to S3 for an event in Panther's setup. */
public final class PantherLine {

    private static final String TIME = "time";
    private static final int SECONDS_PER_DAY = 86_400;
    /** Below 2^53 every integer is a double, so an integral double's shortest digits are the integer. */
    private static final double EXACT_INTEGERS = 0x1p53;
    /** Values print as Go's protojson prints them, but for numbers, which Fluentd re-prints as Ruby does. */
    private static final EventJson.NumberStyle RUBY_NUMBERS = PantherLine::writeNumber;

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
        Map<String, Value> fields = event.fields().getFieldsMap();
        Value time = fields.get(TIME);
        long second = time == null ? receivedAt.getEpochSecond() : fluentdTime(time);
        StringBuilder out = new StringBuilder(512);
        out.append('{');
        for (String key : EventJson.sortedKeys(fields)) {
            // Fluentd's JSON parser deletes `time` (keep_time_key false); the filter appends it last.
            if (!key.equals(TIME)) {
                EventJson.writeString(key, out);
                out.append(':');
                EventJson.writeValue(fields.get(key), RUBY_NUMBERS, out);
                out.append(',');
            }
        }
        out.append("\"time\":\"");
        appendUtcSecond(second, out);
        out.append("\"}\n");
        return new PantherLine(event.id(), second, out.toString().getBytes(StandardCharsets.UTF_8));
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
    private static long fluentdTime(Value time) {
        if (!time.hasStringValue()) {
            throw new InvalidEventTimeException("value must be string: " + rubyToS(time));
        }
        String text = time.getStringValue();
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

    // ---- numbers as Oj (compat mode) and Ruby print what Oj parsed ----

    /**
     * A Struct number as it comes out of Fluentd. Go posts integral values below 1e21 as plain digits,
     * which Oj reads as a Ruby Integer and prints unchanged ("-0" is the Integer 0); everything else
     * (a fraction or an exponent) becomes a Ruby Float and is printed by Float#to_s.
     */
    static void writeNumber(double number, StringBuilder out) {
        if (Double.isNaN(number) || Double.isInfinite(number)) {
            // protojson cannot print these; EventJson posts them as strings, which stay strings.
            EventJson.writeString(Double.isNaN(number) ? "NaN" : number > 0 ? "Infinity" : "-Infinity", out);
            return;
        }
        double abs = Math.abs(number);
        if (number == Math.rint(number) && abs < 1e21) {
            if (abs < EXACT_INTEGERS) {
                out.append((long) number);
            } else {
                out.append(shortest(number).toPlainString());
            }
            return;
        }
        writeRubyFloat(number, out);
    }

    /**
     * Ruby's Float#to_s (numeric.c flo_to_s): the shortest digits that read back as the same double,
     * plain when the decimal exponent is in [-4, 16), otherwise {@code d.ddde+XX} with at least one
     * digit after the point and a sign and at least two digits in the exponent.
     */
    static void writeRubyFloat(double number, StringBuilder out) {
        if (number == 0) {
            out.append(1 / number < 0 ? "-0.0" : "0.0");
            return;
        }
        BigDecimal shortest = shortest(number);
        String digits = shortest.unscaledValue().abs().toString();
        int pointAt = digits.length() - shortest.scale();
        if (number < 0) {
            out.append('-');
        }
        if (pointAt > 0 && pointAt <= 16) {
            if (pointAt < digits.length()) {
                out.append(digits, 0, pointAt).append('.').append(digits, pointAt, digits.length());
            } else {
                out.append(digits);
                for (int i = digits.length(); i < pointAt; i++) {
                    out.append('0');
                }
                out.append(".0");
            }
        } else if (pointAt > -4 && pointAt <= 0) {
            out.append("0.");
            for (int i = pointAt; i < 0; i++) {
                out.append('0');
            }
            out.append(digits);
        } else {
            out.append(digits.charAt(0)).append('.');
            out.append(digits.length() > 1 ? digits.substring(1) : "0");
            int exponent = pointAt - 1;
            out.append('e').append(exponent < 0 ? '-' : '+');
            if (Math.abs(exponent) < 10) {
                out.append('0');
            }
            out.append(Math.abs(exponent));
        }
    }

    /**
     * The shortest decimal that reads back as {@code number}, the closest such when several exist, as
     * David Gay's dtoa mode 0 (Ruby) picks it. Schubfach agrees except that it prefers a closer
     * 2-digit decimal over a 1-digit one, which only happens among subnormals.
     */
    private static BigDecimal shortest(double number) {
        BigDecimal decimal = new BigDecimal(DoubleToDecimal.toString(number)).stripTrailingZeros();
        if (decimal.precision() == 2) {
            BigDecimal oneDigit = new BigDecimal(number).round(new MathContext(1, RoundingMode.HALF_EVEN));
            if (Double.parseDouble(oneDigit.toString()) == number) {
                return oneDigit.stripTrailingZeros();
            }
        }
        return decimal;
    }

    /**
     * Ruby's string interpolation of a parsed JSON value, for Fluentd's "value must be string" message
     * (objects and arrays are shown as JSON rather than Ruby's inspect form; the message is for people).
     */
    private static String rubyToS(Value value) {
        StringBuilder out = new StringBuilder();
        switch (value.getKindCase()) {
            case NUMBER_VALUE -> writeNumber(value.getNumberValue(), out);
            case BOOL_VALUE -> out.append(value.getBoolValue());
            case STRUCT_VALUE, LIST_VALUE -> EventJson.writeValue(value, RUBY_NUMBERS, out);
            default -> {
                // nil interpolates as the empty string
            }
        }
        return out.toString();
    }
}
