package dev.tee.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** The kind of value a configuration key takes, with its bounds, and how text becomes that value. */
public final class ValueType {

    /** What a key holds; decides parsing, the accessor to use and how the value is shown. */
    public enum Kind {
        STRING, SECRET, INT, BOOL, DURATION, LIST, PATH, FILE, URL, TIME, ENUM
    }

    // strconv.ParseBool's spellings, so values that worked with the Go handler keep working.
    private static final Set<String> TRUE = Set.of("true", "t", "1");
    private static final Set<String> FALSE = Set.of("false", "f", "0");

    private final Kind kind;
    private final long min;
    private final long max;
    private final List<String> allowed;

    private ValueType(Kind kind, long min, long max, List<String> allowed) {
        this.kind = kind;
        this.min = min;
        this.max = max;
        this.allowed = allowed;
    }

    public static ValueType string() {
        return new ValueType(Kind.STRING, 0, 0, List.of());
    }

    /** A string never shown in logs, help or messages. */
    public static ValueType secret() {
        return new ValueType(Kind.SECRET, 0, 0, List.of());
    }

    public static ValueType integer(long min, long max) {
        return new ValueType(Kind.INT, min, max, List.of());
    }

    public static ValueType bool() {
        return new ValueType(Kind.BOOL, 0, 0, List.of());
    }

    /** A Go duration that may be zero. */
    public static ValueType duration() {
        return new ValueType(Kind.DURATION, 0, Long.MAX_VALUE, List.of());
    }

    /** A Go duration that must be longer than zero. */
    public static ValueType positiveDuration() {
        return new ValueType(Kind.DURATION, 1, Long.MAX_VALUE, List.of());
    }

    /** Comma-separated text, or a TOML array. */
    public static ValueType list() {
        return new ValueType(Kind.LIST, 0, 0, List.of());
    }

    /** A file or directory that need not exist yet. */
    public static ValueType path() {
        return new ValueType(Kind.PATH, 0, 0, List.of());
    }

    /** A file that must exist when the configuration is loaded, as the Go handler's "existingfile". */
    public static ValueType file() {
        return new ValueType(Kind.FILE, 0, 0, List.of());
    }

    /** An absolute http or https URL. */
    public static ValueType url() {
        return new ValueType(Kind.URL, 0, 0, List.of());
    }

    /** An RFC 3339 timestamp. */
    public static ValueType time() {
        return new ValueType(Kind.TIME, 0, 0, List.of());
    }

    public static ValueType oneOf(String... values) {
        return new ValueType(Kind.ENUM, 0, 0, List.of(values));
    }

    public Kind kind() {
        return kind;
    }

    /** The values an enum key accepts; empty for other kinds. */
    public List<String> allowed() {
        return allowed;
    }

    /** A short name for help and the README: "int 1..10000", "duration", "fluentd | s3 | file". */
    public String display() {
        return switch (kind) {
            case INT -> {
                if (min == Integer.MIN_VALUE && max == Integer.MAX_VALUE) {
                    yield "int";
                }
                yield max == Integer.MAX_VALUE ? "int >= " + min : "int " + min + ".." + max;
            }
            case DURATION -> min > 0 ? "duration > 0" : "duration";
            case TIME -> "RFC 3339 time";
            case ENUM -> String.join(" | ", allowed);
            default -> kind.name().toLowerCase(Locale.ROOT);
        };
    }

    /**
     * Turns one non-empty text value into this type's Java value (String, Integer, Boolean,
     * Duration, List, Path, URI, Instant). Relative paths resolve against {@code baseDir}.
     */
    Object parse(ConfigKey key, String text, String source, Path baseDir) {
        String value = text.strip();
        return switch (kind) {
            case STRING, SECRET -> value;
            case INT -> parseInt(key, value, source);
            case BOOL -> parseBool(key, value, source);
            case DURATION -> parseDuration(key, value, source);
            case LIST -> splitList(value);
            case PATH -> resolve(key, value, source, baseDir);
            case FILE -> existingFile(key, value, source, baseDir);
            case URL -> parseUrl(key, value, source);
            case TIME -> parseTime(key, value, source);
            case ENUM -> parseEnum(key, value, source);
        };
    }

    /** Splits comma-separated text into trimmed, non-empty items. */
    static List<String> splitList(String text) {
        return Arrays.stream(text.split(","))
                .map(String::strip)
                .filter(s -> !s.isEmpty())
                .toList();
    }

    private Integer parseInt(ConfigKey key, String value, String source) {
        long n;
        try {
            n = Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw invalid(key, quote(value) + " is not a whole number", source);
        }
        if (n < min || n > max) {
            String range = max == Integer.MAX_VALUE ? "at least " + min : "between " + min + " and " + max;
            throw invalid(key, n + " is out of range (must be " + range + ")", source);
        }
        return (int) n;
    }

    private static Boolean parseBool(ConfigKey key, String value, String source) {
        String lower = value.toLowerCase(Locale.ROOT);
        if (TRUE.contains(lower)) {
            return Boolean.TRUE;
        }
        if (FALSE.contains(lower)) {
            return Boolean.FALSE;
        }
        throw invalid(key, quote(value) + " is not true or false", source);
    }

    private Duration parseDuration(ConfigKey key, String value, String source) {
        Duration d = GoDuration.parse(value).orElseThrow(() ->
                invalid(key, quote(value) + " is not a duration (examples: 10s, 1m, 24h)", source));
        if (d.isNegative()) {
            throw invalid(key, quote(value) + " is negative; durations must be 0 or more", source);
        }
        if (min > 0 && d.isZero()) {
            throw invalid(key, quote(value) + " must be longer than 0", source);
        }
        return d;
    }

    private static Path resolve(ConfigKey key, String value, String source, Path baseDir) {
        try {
            Path p = Paths.get(value);
            return (baseDir == null ? p : baseDir.resolve(p)).toAbsolutePath().normalize();
        } catch (RuntimeException e) {
            throw invalid(key, quote(value) + " is not a usable path", source);
        }
    }

    private static Path existingFile(ConfigKey key, String value, String source, Path baseDir) {
        Path p = resolve(key, value, source, baseDir);
        if (!Files.exists(p)) {
            throw invalid(key, "file " + p + " does not exist", source);
        }
        if (!Files.isRegularFile(p)) {
            throw invalid(key, p + " is not a regular file", source);
        }
        return p;
    }

    private static URI parseUrl(ConfigKey key, String value, String source) {
        String problem = quote(value) + " is not an http(s) URL (example: https://localhost:8888/events.log)";
        try {
            URI uri = new URI(value);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if ((scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null) {
                return uri;
            }
        } catch (URISyntaxException e) {
            // reported below with the same message as a URL without scheme or host
        }
        throw invalid(key, problem, source);
    }

    private static Object parseTime(ConfigKey key, String value, String source) {
        try {
            // The Go handler truncates the start time to whole seconds; so do we.
            return OffsetDateTime.parse(value, DateTimeFormatter.ISO_OFFSET_DATE_TIME)
                    .toInstant()
                    .truncatedTo(ChronoUnit.SECONDS);
        } catch (DateTimeParseException e) {
            throw invalid(key, quote(value)
                    + " is not an RFC 3339 time (example: 2024-01-31T00:00:00Z)", source);
        }
    }

    private String parseEnum(ConfigKey key, String value, String source) {
        if (allowed.contains(value)) {
            return value;
        }
        throw invalid(key, quote(value) + " is not one of " + String.join(", ", allowed), source);
    }

    /** Quotes a value for a one-line message, escaping control characters such as newlines. */
    static String quote(String value) {
        StringBuilder out = new StringBuilder("\"");
        value.codePoints().forEach(c -> {
            if (Character.isISOControl(c)) {
                out.append(String.format("\\u%04x", c));
            } else {
                out.appendCodePoint(c);
            }
        });
        return out.append('"').toString();
    }

    static ConfigException invalid(ConfigKey key, String problem, String source) {
        return new ConfigException(key.key() + ": " + problem + "; set in " + source);
    }
}
