package dev.tee.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Stack;
import java.util.concurrent.Callable;
import java.util.function.Consumer;

import dev.tee.app.ExporterApp;
import dev.tee.config.ConfigDocs;
import dev.tee.config.ConfigKey;
import dev.tee.config.ConfigLoader;
import dev.tee.config.ExporterConfig;
import dev.tee.config.Suggestions;
import dev.tee.config.ValueType;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/** The {@code start} command, its options generated from the {@link ConfigKey} table. */
final class StartCommand implements Callable<Integer> {

    static final String NAME = "start";

    /** Help section listing every key; rendered from the table, after the options. */
    private static final String KEYS_SECTION = "configurationKeys";

    // The options worth showing in the usage; the rest are in the key table below it.
    private static final Set<ConfigKey> SHOWN = Set.of(
            ConfigKey.START_TIME, ConfigKey.DRY_RUN, ConfigKey.EXIT_ON_LAST_EVENT, ConfigKey.DEBUG);

    // Every key is an option, as --<key>=VALUE and the Go handler's flag names, so the table
    // stays the one source of flags as well as of keys.
    private final Map<String, String> environment;
    private final Consumer<Boolean> debugListener;
    private final CommandSpec spec;
    private final OptionSpec configOption;
    private final Map<ConfigKey, OptionSpec> keyOptions = new EnumMap<>(ConfigKey.class);
    private final Map<String, String> camelProperties = new LinkedHashMap<>();

    /**
     * @param environment   where FDFWD_* variables are read
     * @param debugListener told whether debug is on once the configuration is known, so a later
     *                      failure can print its stack trace
     */
    StartCommand(Map<String, String> environment, Consumer<Boolean> debugListener) {
        this.environment = environment;
        this.debugListener = debugListener;
        this.spec = CommandSpec.wrapWithoutInspection(this);
        spec.name(NAME);
        spec.usageMessage()
                .description("Export Teleport's audit log and session recordings until stopped.")
                .synopsisHeading("")
                .descriptionHeading("%n")
                .optionListHeading("%nOptions:%n")
                .customSynopsis(
                        "Usage: " + Main.PROGRAM + " start [--config FILE] [--start-time RFC3339]",
                        "         [--dry-run] [--exit-on-last-event] [--debug] [--<key>=VALUE ...]")
                .sectionKeys(withKeysSection(spec.usageMessage().sectionKeys()));
        Map<String, CommandLine.IHelpSectionRenderer> sections = new LinkedHashMap<>(spec.usageMessage().sectionMap());
        sections.put(KEYS_SECTION, help -> String.join(System.lineSeparator(), keyHelp()) + System.lineSeparator());
        spec.usageMessage().sectionMap(sections);
        configOption = OptionSpec.builder("-c", "--config")
                .paramLabel("FILE")
                .type(String.class)
                .description("application.properties, or the Go handler's teleport-event-handler.toml"
                        + " unchanged (also " + ConfigLoader.CONFIG_ENV + ").")
                .build();
        spec.addOption(configOption);
        for (ConfigKey key : ConfigKey.values()) {
            OptionSpec option = keyOption(key);
            keyOptions.put(key, option);
            spec.addOption(option);
        }
        spec.addOption(OptionSpec.builder("-h", "--help")
                .usageHelp(true)
                .description("Show this help, with every configuration key, and exit.")
                .build());
        // --camel.* options cannot be declared in advance: picocli hands unknown options to this
        // catch-all, which keeps camel.* and rejects the rest with a suggestion.
        spec.addPositional(PositionalParamSpec.builder()
                .arity("0..*")
                .type(String[].class)
                .hidden(true)
                .parameterConsumer(this::consumeUnknown)
                .build());
    }

    CommandSpec spec() {
        return spec;
    }

    @Override
    public Integer call() {
        ExporterConfig config = loader().load();
        boolean debug = config.bool(ConfigKey.DEBUG);
        debugListener.accept(debug);
        Logging.configure(debug);
        // the warnings come after the checks of every file (ExporterApp.run): nothing is printed before them
        return ExporterApp.run(config);
    }

    /** The loader with this invocation's --config, key options and camel.* options. */
    ConfigLoader loader() {
        ParseResult parsed = spec.commandLine().getParseResult();
        ConfigLoader loader = new ConfigLoader(environment);
        if (parsed.hasMatchedOption(configOption)) {
            loader.configFile(Path.of((String) configOption.getValue()));
        }
        keyOptions.forEach((key, option) -> {
            if (parsed.hasMatchedOption(option)) {
                loader.flag(key, text(key, option.getValue()), typedName(option, parsed.originalArgs()));
            }
        });
        camelProperties.forEach(loader::camelProperty);
        return loader;
    }

    private static OptionSpec keyOption(ConfigKey key) {
        List<String> names = key.flagNames();
        OptionSpec.Builder option = OptionSpec.builder(names.toArray(String[]::new))
                .hidden(!SHOWN.contains(key))
                .description(key.doc().replace("%", "%%"));
        switch (key.type().kind()) {
            // Bare "--dry-run" means true; "--dry-run=false" still works.
            case BOOL -> option.type(String.class).arity("0..1").fallbackValue("true").paramLabel("true|false");
            // Repeating a list flag adds to it: --types=a --types=b is --types=a,b.
            case LIST -> option.type(List.class).auxiliaryTypes(String.class).arity("1").paramLabel("LIST");
            case TIME -> option.type(String.class).paramLabel("RFC3339");
            default -> option.type(String.class).paramLabel("VALUE");
        }
        return option.build();
    }

    private static String text(ConfigKey key, Object value) {
        if (key.type().kind() == ValueType.Kind.LIST) {
            @SuppressWarnings("unchecked")
            List<String> items = (List<String>) value;
            return String.join(",", items);
        }
        return (String) value;
    }

    /** The spelling the user typed last for an option, e.g. "--fluentd-url", for messages. */
    private static String typedName(OptionSpec option, List<String> args) {
        String typed = option.longestName();
        for (String arg : args) {
            String name = arg.contains("=") ? arg.substring(0, arg.indexOf('=')) : arg;
            if (List.of(option.names()).contains(name)) {
                typed = name;
            }
        }
        return typed;
    }

    private void consumeUnknown(Stack<String> args, ArgSpec argSpec, CommandSpec commandSpec) {
        String arg = args.pop();
        if (!arg.startsWith("-")) {
            // The argument itself is not repeated: it may be a secret that lost its option.
            throw new ParameterException(commandSpec.commandLine(),
                    "unexpected argument; start takes only options, such as --config FILE or --<key>=VALUE");
        }
        int eq = arg.indexOf('=');
        String name = eq < 0 ? arg : arg.substring(0, eq);
        if (name.startsWith("--" + ConfigKey.CAMEL_PREFIX) && name.length() > 2 + ConfigKey.CAMEL_PREFIX.length()) {
            String value;
            if (eq >= 0) {
                value = arg.substring(eq + 1);
            } else if (!args.isEmpty() && !args.peek().startsWith("-")) {
                value = args.pop();
            } else {
                throw new ParameterException(commandSpec.commandLine(),
                        "option " + name + " needs a value: " + name + "=VALUE");
            }
            camelProperties.put(name.substring(2), value);
            return;
        }
        String hint = Suggestions.closest(name, allOptionNames(commandSpec))
                .map(s -> "; did you mean " + s + "?")
                .orElse("");
        throw new ParameterException(commandSpec.commandLine(), "unknown option " + name + hint);
    }

    private static List<String> allOptionNames(CommandSpec commandSpec) {
        List<String> names = new ArrayList<>();
        for (OptionSpec option : commandSpec.options()) {
            names.addAll(List.of(option.names()));
        }
        return names;
    }

    private static List<String> withKeysSection(List<String> defaults) {
        List<String> keys = new ArrayList<>(defaults);
        keys.add(keys.indexOf(CommandLine.Model.UsageMessageSpec.SECTION_KEY_FOOTER_HEADING), KEYS_SECTION);
        return keys;
    }

    private static List<String> keyHelp() {
        List<String> lines = new ArrayList<>();
        lines.add("");
        lines.add("Configuration keys. Sources, strongest first: the option (--<key>=VALUE or a Go");
        lines.add("flag shown), an environment variable shown, the config file, the default.");
        lines.add("Lists are comma-separated; durations are written as 300ms, 10s, 1m or 1h30m.");
        lines.add("");
        lines.addAll(ConfigDocs.helpText());
        return lines;
    }
}
