package dev.tee.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.tee.config.ConfigKey;

/** The command line as a user meets it: exit status, stdout and stderr. */
class MainTest {

    @TempDir
    Path dir;

    private final Map<String, String> env = new HashMap<>();
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @Test
    void startHelpListsEveryKeyWithItsDefault() {
        int status = run("start", "--help");

        assertThat(status).isZero();
        assertThat(err.toString()).isEmpty();
        String help = out.toString();
        assertThat(help).startsWith("Usage: teleport-event-exporter start [--config FILE]");
        for (ConfigKey key : ConfigKey.values()) {
            assertThat(help).contains("  " + key.key() + " (");
        }
        assertThat(help).contains("  batch (int 1..10000, default: 20)", "--fluentd-url", "FDWRD_FLUENTD_CERT",
                "  skip-session-types (list, default: print,desktop.recording)");
    }

    @Test
    void anUnknownOptionIsOneLineAndAHint() {
        int status = run("start", "--no-such-flag");

        assertThat(status).isEqualTo(2);
        assertThat(out.toString()).isEmpty();
        assertThat(err.toString().lines()).containsExactly(
                "teleport-event-exporter: unknown option --no-such-flag",
                "Try 'teleport-event-exporter start --help' for more information.");
    }

    @Test
    void anUnknownOptionNamesTheNearestOneButNotItsValue() {
        int status = run("start", "--forward.fluentd.key-passphrse=hunter2");

        assertThat(status).isEqualTo(2);
        assertThat(err.toString().lines().findFirst()).contains(
                "teleport-event-exporter: unknown option --forward.fluentd.key-passphrse;"
                        + " did you mean --forward.fluentd.key-passphrase?");
        assertThat(err.toString()).doesNotContain("hunter2");
    }

    @Test
    void aStrayArgumentIsRejectedWithoutRepeatingIt() {
        int status = run("start", "--forward.s3.secret-access-key=", "s3cr3t");

        assertThat(status).isEqualTo(2);
        assertThat(err.toString()).startsWith("teleport-event-exporter: unexpected argument;")
                .doesNotContain("s3cr3t");
    }

    @Test
    void versionPrintsNameAndVersion() {
        int status = run("version");

        assertThat(status).isZero();
        assertThat(out.toString().lines()).containsExactly("teleport-event-exporter " + Version.current());
        assertThat(Version.current()).matches("\\d+\\.\\d+\\.\\d+.*");
    }

    @Test
    void badConfigurationIsExitTwoAndExactlyOneLine() throws IOException {
        Path toml = Files.writeString(dir.resolve("teleport-event-handler.toml"), "timeout = \"10 seconds\"\n");

        int status = run("start", "--config", toml.toString());

        assertThat(status).isEqualTo(2);
        assertThat(out.toString()).isEmpty();
        assertThat(err.toString().lines()).containsExactly("teleport-event-exporter: timeout: \"10 seconds\""
                + " is not a duration (examples: 10s, 1m, 24h); set in " + toml);
    }

    @Test
    void missingCredentialsAreExitTwoAndExactlyOneLine() {
        env.put("FDFWD_FLUENTD_URL", "https://localhost:8888/events.log");
        env.put("FDFWD_FLUENTD_SESSION_URL", "https://localhost:8888/session");

        int status = run("start", "--dry-run");

        assertThat(status).isEqualTo(2);
        assertThat(err.toString().lines()).containsExactly("teleport-event-exporter: no Teleport credentials"
                + " configured: set teleport.identity (or teleport.ca, teleport.cert and teleport.key)");
    }

    @Test
    void aMissingOptionValueIsExitTwo() {
        int status = run("start", "--batch");

        assertThat(status).isEqualTo(2);
        assertThat(err.toString().lines()).hasSize(2).last()
                .isEqualTo("Try 'teleport-event-exporter start --help' for more information.");
    }

    @Test
    void noCommandIsExitTwo() {
        int status = run();

        assertThat(status).isEqualTo(2);
        assertThat(err.toString().lines()).containsExactly(
                "teleport-event-exporter: missing command: start, configure, version or demo",
                "Try 'teleport-event-exporter --help' for more information.");
    }

    @Test
    void demoRejectsBadArguments() {
        assertThat(run("demo", "--events", "0")).isEqualTo(2);
        assertThat(err.toString()).startsWith("teleport-event-exporter: --events must be at least 1, not 0");

        err.getBuffer().setLength(0);
        assertThat(run("demo", "--output", "kafka")).isEqualTo(2);
        assertThat(err.toString()).startsWith(
                "teleport-event-exporter: --output must be one of fluentd, s3, file, not \"kafka\"");

        err.getBuffer().setLength(0);
        assertThat(run("demo", "--serve", "deploy-out", "--output", "file")).isEqualTo(2);
        assertThat(err.toString()).startsWith("teleport-event-exporter: --serve and --output do not go together");
    }

    @Test
    void demoHelpShowsItsOptions() {
        assertThat(run("demo", "--help")).isZero();
        assertThat(out.toString()).contains("--events=N", "--output=fluentd|s3|file", "--serve=OUT_DIR",
                "With --serve OUT_DIR, only serve: a fake Teleport, and a Fluentd stand-in");
    }

    @Test
    void everyOptionAliasOfTheGoHandlerIsAccepted() {
        List<String> goFlags = List.of("--fluentd-url", "--fluentd-session-url", "--fluentd-ca", "--fluentd-cert",
                "--fluentd-key", "--fluentd-max-connections", "--teleport-addr", "--teleport-identity",
                "--teleport-refresh-enabled", "--teleport-refresh-interval", "--teleport-ca", "--teleport-cert",
                "--teleport-key", "--storage", "--batch", "--types", "--skip-event-types", "--skip-session-types",
                "--start-time", "--timeout", "--dry-run", "--exit-on-last-event", "--concurrency", "--window-size",
                "--lock-enabled", "--lock-failed-attempts-count", "--lock-period", "--lock-for", "--debug", "-d");
        StartCommand start = new StartCommand(env, on -> { });
        List<String> names = start.spec().options().stream().flatMap(o -> List.of(o.names()).stream()).toList();

        assertThat(names).containsAll(goFlags);
    }

    private int run(String... args) {
        return Main.run(args, env, new PrintWriter(out, true), new PrintWriter(err, true));
    }
}
