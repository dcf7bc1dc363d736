package dev.tee.config;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/** Durations written the way Go's time.ParseDuration reads them ("300ms", "1h30m", "87600h"). */
public final class GoDuration {

    // Go accepts both the micro sign (U+00B5) and the Greek mu (U+03BC) for microseconds.
    private static final Map<String, Long> UNIT_NANOS = Map.of(
            "ns", 1L,
            "us", 1_000L,
            "\u00b5s", 1_000L,
            "\u03bcs", 1_000L,
            "ms", 1_000_000L,
            "s", 1_000_000_000L,
            "m", 60_000_000_000L,
            "h", 3_600_000_000_000L);

    private static final BigInteger MAX_NANOS = BigInteger.valueOf(Long.MAX_VALUE);

    private GoDuration() {
    }

    /**
     * Parses a Go duration: a sequence of decimal numbers, each with an optional fraction and a
     * unit (ns, us, ms, s, m, h), or a bare "0". An optional sign is allowed, as in Go; the caller
     * decides whether a negative value makes sense. Empty when the text is not a duration or does
     * not fit in Go's int64 nanoseconds.
     */
    public static Optional<Duration> parse(String text) {
        String s = text.strip();
        boolean negative = false;
        if (s.startsWith("-") || s.startsWith("+")) {
            negative = s.charAt(0) == '-';
            s = s.substring(1);
        }
        if (s.equals("0")) {
            return Optional.of(Duration.ZERO);
        }
        if (s.isEmpty()) {
            return Optional.empty();
        }
        BigDecimal nanos = BigDecimal.ZERO;
        int i = 0;
        while (i < s.length()) {
            int start = i;
            while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '.')) {
                i++;
            }
            String number = s.substring(start, i);
            int unitStart = i;
            while (i < s.length() && !Character.isDigit(s.charAt(i)) && s.charAt(i) != '.') {
                i++;
            }
            Long unit = UNIT_NANOS.get(s.substring(unitStart, i));
            if (unit == null || !isDecimal(number)) {
                return Optional.empty();
            }
            nanos = nanos.add(new BigDecimal(number.endsWith(".") ? number + "0" : number)
                    .multiply(BigDecimal.valueOf(unit)));
        }
        BigInteger whole = nanos.toBigInteger();
        if (whole.compareTo(MAX_NANOS) > 0) {
            return Optional.empty();
        }
        Duration d = Duration.ofNanos(whole.longValueExact());
        return Optional.of(negative ? d.negated() : d);
    }

    /** Writes a duration compactly in the same syntax: "24h", "1h30m", "1.5s", "300ms", "0s". */
    public static String format(Duration d) {
        if (d.isZero()) {
            return "0s";
        }
        if (d.isNegative()) {
            return "-" + format(d.negated());
        }
        StringBuilder out = new StringBuilder();
        long hours = d.toHours();
        int minutes = d.toMinutesPart();
        int seconds = d.toSecondsPart();
        int nanos = d.toNanosPart();
        if (hours > 0) {
            out.append(hours).append('h');
        }
        if (minutes > 0) {
            out.append(minutes).append('m');
        }
        if (seconds > 0 || (nanos > 0 && out.length() > 0)) {
            out.append(seconds).append(fraction(nanos, 9)).append('s');
        } else if (nanos >= 1_000_000) {
            out.append(nanos / 1_000_000).append(fraction(nanos % 1_000_000, 6)).append("ms");
        } else if (nanos >= 1_000) {
            out.append(nanos / 1_000).append(fraction(nanos % 1_000, 3)).append("us");
        } else if (nanos > 0) {
            out.append(nanos).append("ns");
        }
        return out.toString();
    }

    private static boolean isDecimal(String number) {
        // Go accepts "1", "1.5", ".5" and "1." but not "." or "1.2.3".
        int dot = number.indexOf('.');
        if (dot != number.lastIndexOf('.')) {
            return false;
        }
        return number.chars().anyMatch(Character::isDigit);
    }

    private static String fraction(long value, int digits) {
        if (value == 0) {
            return "";
        }
        String padded = String.format("%0" + digits + "d", value);
        return "." + padded.replaceAll("0+$", "");
    }
}
