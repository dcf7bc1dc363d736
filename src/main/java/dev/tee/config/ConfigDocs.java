package dev.tee.config;

import java.util.ArrayList;
import java.util.List;

/** Renders the key table for people: a markdown table for the README and plain text for --help. */
public final class ConfigDocs {

    private static final int WIDTH = 80;
    private static final String INDENT = "      ";

    private ConfigDocs() {
    }

    /** Prints the markdown table, so the README's copy can be regenerated from the jar. */
    public static void main(String[] args) {
        System.out.print(markdownTable());
    }

    /** A markdown table with one row per key: key, type, default, flags, environment, description. */
    public static String markdownTable() {
        StringBuilder out = new StringBuilder();
        out.append("| Key | Type | Default | Flags | Environment | Description |\n");
        out.append("|---|---|---|---|---|---|\n");
        for (ConfigKey key : ConfigKey.values()) {
            out.append("| `").append(key.key()).append("` | ")
                    .append(cell(key.type().display())).append(" | ")
                    .append(cell(defaultText(key))).append(" | ")
                    .append(String.join(", ", key.flagNames().stream().map(f -> "`" + f + "`").toList())).append(" | ")
                    .append(String.join(", ", key.env().stream().map(e -> "`" + e + "`").toList())).append(" | ")
                    .append(cell(key.doc())).append(" |\n");
        }
        out.append("| `camel.*` | | | `--camel.*=VALUE` | | Passed to Camel Main unchanged. |\n");
        return out.toString();
    }

    /**
     * The top-level application.properties: every key with its doc and default, commented out, so
     * the file documents the whole configuration and changes nothing until a line is uncommented.
     */
    static String applicationProperties() {
        StringBuilder out = new StringBuilder();
        out.append("# teleport-event-exporter configuration: every key, its default and what it does.\n")
                .append("# Uncomment and edit what you need; flags (--key=value) and FDFWD_* variables override this file.\n")
                .append("# Relative paths are resolved against this file's directory.\n")
                .append("# Generated from dev.tee.config.ConfigKey (ConfigDocsTest keeps it current).\n");
        for (ConfigKey key : ConfigKey.values()) {
            out.append('\n');
            for (String line : wrap(key.doc())) {
                out.append("# ").append(line.strip()).append('\n');
            }
            out.append("# (").append(key.type().display()).append("; flags: ")
                    .append(String.join(", ", key.flagNames()))
                    .append(key.env().isEmpty() ? "" : "; env: " + String.join(", ", key.env())).append(")\n");
            out.append('#').append(key.key()).append('=').append(key.defaultValue().orElse("")).append('\n');
        }
        out.append("\n# Any camel.* key is handed to Camel Main unchanged, e.g.:\n#camel.main.shutdown-timeout=5\n");
        return out.toString();
    }

    /** The same table as plain text lines of at most 80 columns, for {@code start --help}. */
    public static List<String> helpText() {
        List<String> lines = new ArrayList<>();
        for (ConfigKey key : ConfigKey.values()) {
            lines.add("  " + key.key() + " (" + key.type().display() + ", default: " + defaultText(key) + ")");
            lines.addAll(wrap(key.doc()));
            List<String> names = new ArrayList<>(key.flagNames());
            names.addAll(key.env());
            lines.addAll(wrap(String.join(", ", names)));
        }
        lines.add("  camel.* (any Camel Main property)");
        lines.addAll(wrap("Passed to Camel unchanged, from the config file or as --camel.<name>=VALUE."));
        return lines;
    }

    private static String defaultText(ConfigKey key) {
        return key.defaultValue()
                .map(d -> d.isEmpty() ? "empty" : d)
                .orElse(key == ConfigKey.START_TIME ? "now" : "none");
    }

    private static String cell(String text) {
        return text.replace("|", "\\|");
    }

    private static List<String> wrap(String text) {
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder(INDENT);
        for (String word : text.split(" ")) {
            if (line.length() > INDENT.length() && line.length() + 1 + word.length() > WIDTH) {
                lines.add(line.toString());
                line = new StringBuilder(INDENT);
            }
            if (line.length() > INDENT.length()) {
                line.append(' ');
            }
            line.append(word);
        }
        lines.add(line.toString());
        return lines;
    }
}
