package dev.tee.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;

import dev.tee.cli.Main;
import dev.tee.demo.DemoEnvironment;
import dev.tee.testing.Fixtures;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * More input the exporter cannot use (values, files, TOML), as a table: each is exit status 2 and one
 * line that names the key or file, never a stack trace or a stall. BadInputTest has the identity
 * cases; BadStateTest the damaged state files.
 */
class BadInputMoreTest {

    @TempDir
    Path dir;

    private DemoEnvironment world;

    @BeforeEach
    void start() {
        world = DemoEnvironment.start(dir, Fixtures.rawAuditEvents().subList(0, 5), builder -> { });
    }

    @AfterEach
    void stop() {
        world.close();
    }

    /** One bad input: the settings it changes (given the test's directory), and what the line must say. */
    record Bad(String name, Function<Path, Map<String, String>> settings, String... says) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Bad> inputs() {
        return Stream.of(
                bad("unknown output", "output", "kafka", "output", "kafka"),
                bad("batch not a number", "batch", "many", "batch", "many"),
                bad("batch negative", "batch", "-5", "batch", "-5"),
                bad("concurrency zero", "concurrency", "0", "concurrency"),
                bad("start time not RFC 3339", "start-time", "yesterday", "start-time", "yesterday"),
                bad("window size negative", "window-size", "-1h", "window-size"),
                bad("Fluentd URL not a URL", "forward.fluentd.url", "not a url", "forward.fluentd.url"),
                new Bad("Fluentd CA missing", d -> Map.of("forward.fluentd.ca", d.resolve("no-ca.crt").toString()),
                        "forward.fluentd.ca", "no-ca.crt"),
                new Bad("Fluentd CA not PEM", d -> Map.of("forward.fluentd.ca", write(d, "ca.crt", "garbage")),
                        "forward.fluentd.ca"),
                new Bad("Fluentd certificate is a key", d -> Map.of("forward.fluentd.cert",
                        d.resolve("fluentd-client.key").toString()), "forward.fluentd.cert"),
                new Bad("Fluentd key not PEM", d -> Map.of("forward.fluentd.key", write(d, "client.key", "garbage")),
                        "forward.fluentd.key"),
                new Bad("Fluentd key is a certificate", d -> Map.of("forward.fluentd.key",
                        d.resolve("fluentd-client.crt").toString()), "forward.fluentd.key"),
                bad("S3 without a bucket", "output", "s3", "forward.s3.bucket"),
                bad("file output without a directory", "output", "file", "forward.file.dir"),
                new Bad("unknown S3 encryption", d -> Map.of("output", "s3", "forward.s3.bucket", "b",
                        "forward.s3.region", "us-east-1", "forward.s3.sse", "rot13"), "forward.s3.sse", "rot13"),
                bad("lock attempts not a number", "lock-failed-attempts-count", "three", "lock-failed-attempts-count"),
                bad("Teleport address without a port number", "teleport.addr", "127.0.0.1:https", "teleport.addr"),
                new Bad("storage is a file", d -> Map.of("storage", write(d, "storage-file", "")), "storage"),
                new Bad("identity is a directory", d -> Map.of("teleport.identity", d.toString()), "teleport.identity"));
    }

    private static Bad bad(String name, String key, String value, String... says) {
        return new Bad(name, d -> Map.of(key, value), says);
    }

    private static String write(Path dir, String name, String content) {
        try {
            return Files.writeString(dir.resolve(name), content).toString();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("inputs")
    @Timeout(60) // a stall is a failure too
    void refusedWithOneLine(Bad bad) {
        Map<String, String> settings = new HashMap<>(Map.of("management.port", "0", "jmx", "false",
                "exit-on-last-event", "true"));
        settings.putAll(bad.settings().apply(dir));
        assertRefused(world.writeConfig(settings), bad.says());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("tomlFiles")
    @Timeout(60)
    void refusesBadTomlWithOneLine(String name, String toml, String says) throws Exception {
        assertRefused(Files.writeString(dir.resolve("teleport-event-handler.toml"), toml), says);
    }

    static Stream<Arguments> tomlFiles() {
        return Stream.of(
                Arguments.of("TOML syntax error", "storage = \"/tmp\"\n[forward.fluentd\n", "line 2"),
                Arguments.of("TOML unknown key", "storage = \"/tmp\"\n[forward.fluentd]\nurll = \"https://x\"\n", "forward.fluentd.urll"),
                Arguments.of("TOML value of the wrong type", "batch = \"twenty\"\n", "batch"));
    }

    private void assertRefused(Path config, String... says) {
        StringWriter err = new StringWriter();
        int status = Main.run(new String[] {"start", "--config", config.toString()}, Map.of(),
                new PrintWriter(new StringWriter()), new PrintWriter(err));

        List<String> lines = err.toString().lines().toList();
        assertThat(lines).as("stderr").hasSize(1);
        assertThat(lines.get(0)).startsWith("teleport-event-exporter: ").contains(says)
                .doesNotContain("Exception", "\tat ");
        assertThat(status).as("exit status").isEqualTo(2);
    }
}
