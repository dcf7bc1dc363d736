package dev.tee.config;

import java.nio.file.Path;
import java.util.List;

/**
 * One value as a source gave it, before parsing: text, or the items of a TOML array. {@code
 * source} names where it came from for messages; {@code baseDir} is where relative paths start
 * (the config file's directory, or null for the working directory).
 */
record RawValue(String text, List<String> items, String source, Path baseDir) {

    static RawValue text(String text, String source, Path baseDir) {
        return new RawValue(text, null, source, baseDir);
    }

    static RawValue items(List<String> items, String source, Path baseDir) {
        return new RawValue(null, List.copyOf(items), source, baseDir);
    }

    /**
     * Whether this value leaves the key unset. An empty value sets nothing, as in the Go handler
     * where an empty identity means "no identity"; only a list can be set to empty, which is how
     * skip-session-types is cleared.
     */
    boolean isUnsetFor(ConfigKey key) {
        return key.type().kind() != ValueType.Kind.LIST && items == null && text.isBlank();
    }
}
