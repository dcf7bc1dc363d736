package dev.tee.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/** The validated, immutable configuration: a typed value per key, its source, and camel.* for Camel. */
public final class ExporterConfig {

    private static final String MASK = "****";

    // Camel's own keys are not in our table, so secrets among them are recognised by name.
    private static final Pattern CAMEL_SECRET = Pattern.compile(
            "(?i).*(secret|password|passphrase|token|credential|accesskey|access-key|apikey|api-key).*");

    private final Map<ConfigKey, Object> values;
    private final Map<ConfigKey, String> sources;
    private final Map<String, String> camelProperties;
    private final Path configFile;
    private final List<String> warnings;

    ExporterConfig(Map<ConfigKey, Object> values, Map<ConfigKey, String> sources,
                   Map<String, String> camelProperties, Path configFile, List<String> warnings) {
        this.values = Collections.unmodifiableMap(new EnumMap<>(values));
        this.sources = Collections.unmodifiableMap(new EnumMap<>(sources));
        this.camelProperties = Collections.unmodifiableMap(new LinkedHashMap<>(camelProperties));
        this.configFile = configFile;
        this.warnings = List.copyOf(warnings);
    }

    /** A string, secret, enum or URL key as text; fails if the key is unset. */
    public String string(ConfigKey key) {
        return optionalString(key).orElseThrow(() -> unset(key));
    }

    /** A string, secret, enum or URL key as text, or empty when unset. */
    public Optional<String> optionalString(ConfigKey key) {
        expect(key, ValueType.Kind.STRING, ValueType.Kind.SECRET, ValueType.Kind.ENUM, ValueType.Kind.URL);
        return Optional.ofNullable(values.get(key)).map(Object::toString);
    }

    public int integer(ConfigKey key) {
        expect(key, ValueType.Kind.INT);
        return (Integer) required(key);
    }

    public boolean bool(ConfigKey key) {
        expect(key, ValueType.Kind.BOOL);
        return (Boolean) required(key);
    }

    public Duration duration(ConfigKey key) {
        expect(key, ValueType.Kind.DURATION);
        return (Duration) required(key);
    }

    /** A list key's items; empty when the list is empty. */
    @SuppressWarnings("unchecked")
    public List<String> list(ConfigKey key) {
        expect(key, ValueType.Kind.LIST);
        return (List<String>) required(key);
    }

    /**
     * A path or file key, absolute. A relative path from the config file is resolved against the
     * file's directory (the TOML that configure writes says identity = "identity"); one from a flag,
     * the environment or a default against the working directory.
     */
    public Path path(ConfigKey key) {
        return optionalPath(key).orElseThrow(() -> unset(key));
    }

    public Optional<Path> optionalPath(ConfigKey key) {
        expect(key, ValueType.Kind.PATH, ValueType.Kind.FILE);
        return Optional.ofNullable((Path) values.get(key));
    }

    public URI url(ConfigKey key) {
        return optionalUrl(key).orElseThrow(() -> unset(key));
    }

    public Optional<URI> optionalUrl(ConfigKey key) {
        expect(key, ValueType.Kind.URL);
        return Optional.ofNullable((URI) values.get(key));
    }

    /**
     * A non-secret value as configuration text (durations in Go syntax, lists comma-separated), for
     * Camel property placeholders; empty when unset.
     */
    public Optional<String> text(ConfigKey key) {
        if (key.isSecret()) {
            throw new IllegalArgumentException(key.key() + " is a secret and is never handed out as text");
        }
        Object value = values.get(key);
        if (value instanceof List<?> items) {
            return Optional.of(String.join(",", items.stream().map(Object::toString).toList()));
        }
        return Optional.ofNullable(value).map(ExporterConfig::show);
    }

    /** The configured start time, whole seconds; empty means "now", decided where state is opened. */
    public Optional<Instant> startTime() {
        return Optional.ofNullable((Instant) values.get(ConfigKey.START_TIME));
    }

    /** Where a key's value came from: a file path, "environment variable X", "option --x" or "default". */
    Optional<String> sourceOf(ConfigKey key) {
        return Optional.ofNullable(sources.get(key));
    }

    /** The camel.* keys, unchanged and in the order given, for Camel Main. */
    public Map<String, String> camelProperties() {
        return camelProperties;
    }

    /** The config file the values were read from, if any. */
    public Optional<Path> configFile() {
        return Optional.ofNullable(configFile);
    }

    /** Things worth a warning found while loading (e.g. an ignored namespace key). */
    public List<String> warnings() {
        return warnings;
    }

    /** One line per key, "key = value (source)", secrets shown as ****; safe to log. */
    public List<String> describe() {
        List<String> lines = new ArrayList<>();
        for (ConfigKey key : ConfigKey.values()) {
            Object value = values.get(key);
            if (value == null) {
                lines.add(key.key() + " = (not set)");
            } else {
                String shown = key.isSecret() ? MASK : show(value);
                lines.add(key.key() + " = " + shown + " (" + sources.get(key) + ")");
            }
        }
        camelProperties.forEach((name, value) ->
                lines.add(name + " = " + (CAMEL_SECRET.matcher(name).matches() ? MASK : value)));
        return lines;
    }

    @Override
    public String toString() {
        return String.join(", ", describe());
    }

    private static String show(Object value) {
        if (value instanceof Duration d) {
            return GoDuration.format(d);
        }
        if (value instanceof URI uri && uri.getRawUserInfo() != null) {
            // user:password in a URL is a secret like any other
            return uri.toString().replace(uri.getRawUserInfo() + "@", MASK + "@");
        }
        if (value instanceof List<?> items) {
            return items.isEmpty() ? "(empty)" : String.join(",", items.stream().map(Object::toString).toList());
        }
        return value.toString();
    }

    private Object required(ConfigKey key) {
        Object value = values.get(key);
        if (value == null) {
            throw unset(key);
        }
        return value;
    }

    private static void expect(ConfigKey key, ValueType.Kind... kinds) {
        for (ValueType.Kind kind : kinds) {
            if (key.type().kind() == kind) {
                return;
            }
        }
        throw new IllegalArgumentException(key.key() + " is a " + key.type().display()
                + " key; use the accessor for that type");
    }

    private static IllegalStateException unset(ConfigKey key) {
        return new IllegalStateException(key.key() + " is not set");
    }
}
