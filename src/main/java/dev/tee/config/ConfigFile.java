package dev.tee.config;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;

/**
 * A configuration file read into keys: our application.properties, or unchanged the Go handler's
 * teleport-event-handler.toml (tables flattened with dots).
 */
final class ConfigFile {

    static final String NAMESPACE_WARNING = "namespace is ignored (Teleport's event handler ignores it too)";

    // A "[table]" line only occurs in TOML; it tells a TOML file without the .toml extension apart.
    /** key = value where the value is not a TOML number, boolean, date, array, table or quoted string. */
    private static final Pattern TOML_BARE_VALUE = Pattern.compile(
            "([A-Za-z0-9_.-]+)\\s*+=\\s*+(?![\"'\\[{]|[-+]?\\d[\\d_.eE:+-]*(?:[TZ ].*)?$|true$|false$|inf$|nan$)(.+)");
    private static final Pattern TOML_TABLE = Pattern.compile("(?m)^\\s*\\[[^\\]=]+\\]\\s*(#.*)?$");

    private final Path path;
    private final Map<ConfigKey, RawValue> values = new EnumMap<>(ConfigKey.class);
    private final Map<ConfigKey, String> spelledAs = new EnumMap<>(ConfigKey.class);
    private final Map<String, String> camel = new LinkedHashMap<>();
    private final List<String> warnings = new ArrayList<>();

    private ConfigFile(Path path) {
        this.path = path;
    }

    static ConfigFile read(Path file) {
        Path path = file.toAbsolutePath().normalize();
        if (!Files.exists(path)) {
            throw new ConfigException("config file " + path + " does not exist");
        }
        if (!Files.isRegularFile(path)) {
            throw new ConfigException("config file " + path + " is not a regular file");
        }
        String content;
        try {
            content = Files.readString(path, StandardCharsets.UTF_8);
        } catch (CharacterCodingException e) {
            throw new ConfigException("config file " + path + " is not valid UTF-8");
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + path + ": " + e.getMessage());
        }
        if (content.startsWith("\uFEFF")) {
            content = content.substring(1);
        }
        ConfigFile config = new ConfigFile(path);
        if (isToml(path, content)) {
            config.readToml(content);
        } else {
            config.readProperties(content);
        }
        return config;
    }

    Path path() {
        return path;
    }

    Map<ConfigKey, RawValue> values() {
        return Collections.unmodifiableMap(values);
    }

    Map<String, String> camelProperties() {
        return Collections.unmodifiableMap(camel);
    }

    List<String> warnings() {
        return List.copyOf(warnings);
    }

    private static boolean isToml(Path path, String content) {
        String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
        if (name.endsWith(".toml")) {
            return true;
        }
        if (name.endsWith(".properties")) {
            return false;
        }
        if (TOML_TABLE.matcher(content).find()) {
            return true;
        }
        // Lines such as "batch = 20" read the same either way; a bare value like
        // "storage = ./storage" is only valid as a properties file.
        try {
            new TomlMapper().readTree(content);
            return true;
        } catch (JacksonException e) {
            return false;
        }
    }

    private void readToml(String content) {
        JsonNode root;
        try {
            root = new TomlMapper().readTree(content);
        } catch (JacksonException e) {
            int lineNr = e.getLocation() == null ? -1 : e.getLocation().getLineNr();
            throw new ConfigException("config file " + path + ": TOML syntax error"
                    + (lineNr < 1 ? "" : " on line " + lineNr) + ": " + e.getOriginalMessage()
                    + (lineNr < 1 ? "" : tomlHint(content.lines().skip(lineNr - 1L).findFirst().orElse(""))));
        }
        if (root != null) {
            flatten("", root);
        }
    }

    /**
     * The offending line, and for a bare string value (the Go handler's Panther guide writes
     * {@code ca = /home/bob/event-handler/ca.crt}) the same line quoted as TOML wants it. A secret's
     * value is never repeated.
     */
    static String tomlHint(String line) {
        Matcher assignment = TOML_BARE_VALUE.matcher(line.strip());
        if (!assignment.matches()) {
            return line.isBlank() ? "" : " in `" + line.strip() + "`";
        }
        String key = assignment.group(1);
        String value = assignment.group(2).strip();
        if (key.contains("passphrase") || key.contains("secret")) {
            return " in the value of " + key + " (not shown): quote it, " + key + " = \"...\"";
        }
        String quoted = value.contains("\\") || value.contains("\"") ? "'" + value + "'" : "\"" + value + "\"";
        return " in `" + line.strip() + "`: strings are quoted in TOML, write " + key + " = " + quoted;
    }

    private void flatten(String prefix, JsonNode node) {
        for (Map.Entry<String, JsonNode> field : node.properties()) {
            String name = prefix + field.getKey();
            JsonNode value = field.getValue();
            if (value.isObject()) {
                flatten(name + ".", value);
            } else if (value.isArray()) {
                List<String> items = new ArrayList<>();
                for (JsonNode item : value) {
                    if (item.isContainerNode()) {
                        throw new ConfigException(name + ": only arrays of plain values are allowed; set in " + path);
                    }
                    items.add(item.asText());
                }
                put(name, RawValue.items(items, path.toString(), path.getParent()));
            } else {
                put(name, RawValue.text(value.asText(), path.toString(), path.getParent()));
            }
        }
    }

    private void readProperties(String content) {
        Properties properties = new Properties();
        try {
            properties.load(new StringReader(content));
        } catch (IOException | IllegalArgumentException e) {
            throw new ConfigException("config file " + path + " is not a valid properties file: " + e.getMessage());
        }
        // Sorted, so that of several mistakes the same one is reported every time.
        for (String name : new TreeSet<>(properties.stringPropertyNames())) {
            put(name, RawValue.text(properties.getProperty(name), path.toString(), path.getParent()));
        }
    }

    private void put(String name, RawValue value) {
        if (name.startsWith(ConfigKey.CAMEL_PREFIX)) {
            camel.put(name, value.items() == null ? value.text() : String.join(",", value.items()));
            return;
        }
        if (name.equals("namespace")) {
            warnings.add(NAMESPACE_WARNING);
            return;
        }
        ConfigKey key = ConfigKey.byFileKey(name).orElseThrow(() -> unknown(name));
        String earlier = spelledAs.putIfAbsent(key, name);
        if (earlier != null) {
            throw new ConfigException(key.key() + " is set twice in " + path
                    + " (as \"" + earlier + "\" and \"" + name + "\"); keep one");
        }
        values.put(key, value);
    }

    private ConfigException unknown(String name) {
        String hint = ConfigKey.closest(name).map(k -> "; did you mean \"" + k + "\"?").orElse("");
        return new ConfigException("unknown key \"" + name + "\" in " + path + hint);
    }
}
