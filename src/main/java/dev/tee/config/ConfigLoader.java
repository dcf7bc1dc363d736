package dev.tee.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** Builds an {@link ExporterConfig} from flags, environment, config file and defaults, and validates it. */
public final class ConfigLoader {

    /** The Go handler's variable for the config file, honoured when no file is given explicitly. */
    public static final String CONFIG_ENV = "FDFWD_CONFIG";

    private final Map<String, String> environment;
    private final Map<ConfigKey, RawValue> flags = new EnumMap<>(ConfigKey.class);
    private final Map<String, String> camelFlags = new LinkedHashMap<>();
    private Path configFile;

    /** @param environment the process environment, or a map standing in for it in tests */
    public ConfigLoader(Map<String, String> environment) {
        this.environment = Map.copyOf(environment);
    }

    /** The config file to read; without one, FDFWD_CONFIG names it, or there is none. */
    public ConfigLoader configFile(Path file) {
        this.configFile = file;
        return this;
    }

    /**
     * A value from the command line. {@code option} is the flag as the user typed it, for messages.
     * A later value for the same key replaces an earlier one.
     */
    public ConfigLoader flag(ConfigKey key, String value, String option) {
        flags.put(key, RawValue.text(value, "option " + option, null));
        return this;
    }

    /** A value set by code (e.g. the demo), as strong as a command-line flag. */
    public ConfigLoader set(ConfigKey key, String value) {
        return flag(key, value, "--" + key.key());
    }

    /** A camel.* property from the command line; it overrides the same property in the file. */
    public ConfigLoader camelProperty(String name, String value) {
        if (!name.startsWith(ConfigKey.CAMEL_PREFIX)) {
            throw new IllegalArgumentException(name + " does not start with " + ConfigKey.CAMEL_PREFIX);
        }
        camelFlags.put(name, value);
        return this;
    }

    /**
     * Reads the file, takes each key from its strongest source (flag, environment, file, default),
     * parses it and checks the rules between keys; every problem is a one-line ConfigException.
     */
    public ExporterConfig load() {
        List<String> warnings = new ArrayList<>();
        Path file = configFile;
        if (file == null && !environment.getOrDefault(CONFIG_ENV, "").isBlank()) {
            file = Path.of(environment.get(CONFIG_ENV).strip());
        }
        ConfigFile fromFile = file == null ? null : ConfigFile.read(file);
        Map<String, String> camel = new LinkedHashMap<>();
        if (fromFile != null) {
            warnings.addAll(fromFile.warnings());
            camel.putAll(fromFile.camelProperties());
        }
        camel.putAll(camelFlags);
        warnings.addAll(unusedEnvironment());

        Map<ConfigKey, Object> values = new EnumMap<>(ConfigKey.class);
        Map<ConfigKey, String> sources = new EnumMap<>(ConfigKey.class);
        for (ConfigKey key : ConfigKey.values()) {
            RawValue raw = strongest(key, fromFile);
            if (raw == null) {
                if (key.defaultValue().isEmpty()) {
                    continue;
                }
                raw = RawValue.text(key.defaultValue().get(), "default", null);
            }
            values.put(key, parse(key, raw));
            sources.put(key, raw.source());
        }
        applyGoDefaults(values);
        new Rules(values).check();
        return new ExporterConfig(values, sources, camel, fromFile == null ? null : fromFile.path(), warnings);
    }

    private RawValue strongest(ConfigKey key, ConfigFile fromFile) {
        RawValue flag = flags.get(key);
        if (flag != null && !flag.isUnsetFor(key)) {
            return flag;
        }
        RawValue env = fromEnvironment(key);
        if (env != null && !env.isUnsetFor(key)) {
            return env;
        }
        RawValue inFile = fromFile == null ? null : fromFile.values().get(key);
        if (inFile != null && !inFile.isUnsetFor(key)) {
            return inFile;
        }
        return null;
    }

    private RawValue fromEnvironment(ConfigKey key) {
        String chosenName = null;
        String chosen = null;
        for (String name : key.env()) {
            String value = environment.get(name);
            // An empty variable counts as unset, so "FDFWD_X=" in a compose file changes nothing.
            if (value == null || value.isEmpty()) {
                continue;
            }
            if (chosen == null) {
                chosenName = name;
                chosen = value;
            } else if (!chosen.equals(value)) {
                throw new ConfigException(key.key() + ": environment variables " + chosenName + " and " + name
                        + " are both set, to different values; set only one");
            }
        }
        return chosen == null ? null : RawValue.text(chosen, "environment variable " + chosenName, null);
    }

    private List<String> unusedEnvironment() {
        Set<String> known = new HashSet<>();
        known.add(CONFIG_ENV);
        for (ConfigKey key : ConfigKey.values()) {
            known.addAll(key.env());
        }
        List<String> warnings = new ArrayList<>();
        // The Go handler's prefixes, including its misspelt one; anything else is not ours to judge.
        for (String name : new TreeSet<>(environment.keySet())) {
            if ((name.startsWith("FDFWD_") || name.startsWith("FDWRD_")) && !known.contains(name)) {
                String hint = Suggestions.closest(name, known).map(k -> "; did you mean " + k + "?").orElse("");
                warnings.add("environment variable " + name + " is not used" + hint);
            }
        }
        return warnings;
    }

    private static Object parse(ConfigKey key, RawValue raw) {
        if (raw.items() != null) {
            if (key.type().kind() != ValueType.Kind.LIST) {
                throw new ConfigException(key.key() + ": a list is not allowed here, give one value; set in "
                        + raw.source());
            }
            return raw.items().stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
        }
        return key.type().parse(key, raw.text(), raw.source(), raw.baseDir());
    }

    private static void applyGoDefaults(Map<ConfigKey, Object> values) {
        // As the Go handler: a connection cap below 1 means twice the concurrency.
        int maxConnections = (Integer) values.get(ConfigKey.FORWARD_FLUENTD_MAX_CONNECTIONS);
        if (maxConnections < 1) {
            values.put(ConfigKey.FORWARD_FLUENTD_MAX_CONNECTIONS, 2 * (Integer) values.get(ConfigKey.CONCURRENCY));
        }
    }
}
