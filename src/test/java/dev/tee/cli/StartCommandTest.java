package dev.tee.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.tee.config.ConfigException;
import dev.tee.config.ConfigKey;
import dev.tee.config.ExporterConfig;
import picocli.CommandLine;

/** How start's options become configuration, without running the exporter. */
class StartCommandTest {

    @TempDir
    Path dir;

    private final Map<String, String> env = new HashMap<>();
    private Path identity;

    @BeforeEach
    void credentials() throws IOException {
        identity = Files.writeString(dir.resolve("identity"), "placeholder");
        env.put("FDFWD_FLUENTD_URL", "https://localhost:8888/events.log");
        env.put("FDFWD_FLUENTD_SESSION_URL", "https://localhost:8888/session");
    }

    @Test
    void goFlagsAndDottedKeysSetTheSameKeys() {
        ExporterConfig config = parse("--teleport-identity", identity.toString(),
                "--fluentd-url=https://fluentd:8888/a.log", "--forward.fluentd.session-url", "https://fluentd:8888/s",
                "--teleport-refresh-interval=5m", "--forward.s3.bucket=b", "--lock-for", "1h");

        assertThat(config.path(ConfigKey.TELEPORT_IDENTITY)).isEqualTo(identity);
        assertThat(config.string(ConfigKey.FORWARD_FLUENTD_URL)).isEqualTo("https://fluentd:8888/a.log");
        assertThat(config.string(ConfigKey.FORWARD_FLUENTD_SESSION_URL)).isEqualTo("https://fluentd:8888/s");
        assertThat(config.duration(ConfigKey.TELEPORT_REFRESH_INTERVAL)).isEqualTo(Duration.ofMinutes(5));
        assertThat(config.string(ConfigKey.FORWARD_S3_BUCKET)).isEqualTo("b");
        assertThat(config.duration(ConfigKey.LOCK_FOR)).isEqualTo(Duration.ofHours(1));
    }

    @Test
    void booleanFlagsWorkBareOrWithAValue() {
        assertThat(parse(identityFlag(), "--dry-run").bool(ConfigKey.DRY_RUN)).isTrue();
        assertThat(parse(identityFlag(), "--dry-run=true").bool(ConfigKey.DRY_RUN)).isTrue();
        assertThat(parse(identityFlag(), "--dry-run=false").bool(ConfigKey.DRY_RUN)).isFalse();
        assertThat(parse(identityFlag(), "--jmx=false").bool(ConfigKey.JMX)).isFalse();
        assertThat(parse(identityFlag(), "-d").bool(ConfigKey.DEBUG)).isTrue();
        assertThat(parse(identityFlag(), "--exit-on-last-event", "--debug").bool(ConfigKey.EXIT_ON_LAST_EVENT)).isTrue();
    }

    @Test
    void listFlagsAreCommaSeparatedAndAddUpWhenRepeated() {
        ExporterConfig config = parse(identityFlag(), "--types=user.login,session.start", "--types", "db.session.query",
                "--skip-session-types=");

        assertThat(config.list(ConfigKey.TYPES)).containsExactly("user.login", "session.start", "db.session.query");
        assertThat(config.list(ConfigKey.SKIP_SESSION_TYPES)).isEmpty();
    }

    @Test
    void aFlagOverridesTheEnvironmentAndTheLastFlagWins() {
        env.put("FDFWD_BATCH", "40");

        ExporterConfig config = parse(identityFlag(), "--batch=50", "--batch", "60");

        assertThat(config.integer(ConfigKey.BATCH)).isEqualTo(60);
    }

    @Test
    void startTimeIsTruncatedToTheSecond() {
        ExporterConfig config = parse(identityFlag(), "--start-time", "2024-01-31T12:00:00.750Z");

        assertThat(config.startTime()).contains(Instant.parse("2024-01-31T12:00:00Z"));
    }

    @Test
    void camelOptionsPassThroughUnchecked() {
        ExporterConfig config = parse(identityFlag(), "--camel.main.name=exporter",
                "--camel.component.seda.queue-size", "500");

        assertThat(config.camelProperties()).containsExactly(
                Map.entry("camel.main.name", "exporter"), Map.entry("camel.component.seda.queue-size", "500"));
    }

    @Test
    void messagesNameTheFlagAsTyped() {
        assertThatThrownBy(() -> parse(identityFlag(), "--fluentd-url=localhost:8888"))
                .isInstanceOf(ConfigException.class)
                .hasMessageEndingWith("; set in option --fluentd-url");
        assertThatThrownBy(() -> parse(identityFlag(), "--timeout", "ten"))
                .hasMessage("timeout: \"ten\" is not a duration (examples: 10s, 1m, 24h); set in option --timeout");
    }

    @Test
    void readsTheConfigFileFromTheShortFlag() throws IOException {
        Path toml = Files.writeString(dir.resolve("teleport-event-handler.toml"),
                "batch = 7\n[teleport]\nidentity = \"identity\"\n");

        ExporterConfig config = parse("-c", toml.toString());

        assertThat(config.integer(ConfigKey.BATCH)).isEqualTo(7);
        assertThat(config.configFile()).contains(toml);
    }

    private String identityFlag() {
        return "--teleport-identity=" + identity;
    }

    private ExporterConfig parse(String... args) {
        StartCommand start = new StartCommand(env, on -> { });
        CommandLine commandLine = new CommandLine(start.spec());
        commandLine.setUnmatchedOptionsArePositionalParams(true);
        commandLine.setOverwrittenOptionsAllowed(true);
        commandLine.parseArgs(args);
        return start.loader().load();
    }
}
