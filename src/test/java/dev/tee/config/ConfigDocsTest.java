package dev.tee.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;

/**
 * The README's key table and the top-level application.properties are generated from the key table;
 * this fails when they drift. Run with -Ddocs.update=true to rewrite them.
 */
class ConfigDocsTest {

    private static final String TABLE_START = "<!-- config-keys:start -->\n";
    private static final String TABLE_END = "<!-- config-keys:end -->";
    private static final boolean UPDATE = Boolean.getBoolean("docs.update");

    @Test
    void readmeListsEveryKeyAsTheTableSays() throws IOException {
        Path readme = Path.of("README.md");
        String text = Files.readString(readme, StandardCharsets.UTF_8);
        int start = text.indexOf(TABLE_START);
        int end = text.indexOf(TABLE_END);
        assertThat(start).as("README.md has the config-keys markers").isNotNegative();
        String current = text.substring(start + TABLE_START.length(), end);
        if (UPDATE) {
            Files.writeString(readme, text.substring(0, start + TABLE_START.length()) + ConfigDocs.markdownTable()
                    + text.substring(end), StandardCharsets.UTF_8);
            return;
        }
        assertThat(current).as("README.md key table (regenerate with -Ddocs.update=true)")
                .isEqualTo(ConfigDocs.markdownTable());
    }

    @Test
    void applicationPropertiesDocumentsEveryKey() throws IOException {
        Path file = Path.of("application.properties");
        if (UPDATE) {
            Files.writeString(file, ConfigDocs.applicationProperties(), StandardCharsets.UTF_8);
        }
        assertThat(Files.readString(file, StandardCharsets.UTF_8))
                .as("application.properties (regenerate with -Ddocs.update=true)")
                .isEqualTo(ConfigDocs.applicationProperties());
    }

    @Test
    void theDocumentedFileLoadsAndChangesNothing() throws IOException {
        Path file = Path.of("application.properties").toAbsolutePath();
        ExporterConfig config = new ConfigLoader(Map.of()).configFile(file)
                .set(ConfigKey.TELEPORT_IDENTITY, file.toString())
                .set(ConfigKey.FORWARD_FLUENTD_URL, "https://localhost:8888/events.log")
                .set(ConfigKey.FORWARD_FLUENTD_SESSION_URL, "https://localhost:8888/session")
                .load();
        for (ConfigKey key : ConfigKey.values()) {
            assertThat(config.sourceOf(key)).as(key.key()).isNotEqualTo(java.util.Optional.of(file.toString()));
        }
    }
}
