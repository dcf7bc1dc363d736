package dev.tee.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import dev.tee.cli.Main;
import dev.tee.demo.DemoEnvironment;
import dev.tee.testing.Fixtures;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Truncated or corrupt state files: the exporter refuses to start with one line naming the file
 * (exit status 2), and never starts over silently from start-time, which would send everything again
 * or skip what the damaged file was keeping.
 */
class BadStateTest {

    private static final String START = "2019-01-01T00:00:00Z";
    private static final String CURSOR = "{\n  \"windowStart\" : \"2019-01-01T00:00:00Z\",\n  \"pageKey\" : \"\",\n"
            + "  \"lastEventId\" : null\n}";
    private static final String EXPORT_CURSOR = "{\n  \"current\" : \"2019-01-01\",\n  \"days\" : { }\n}";
    private static final String SESSION = "{\n  \"sessionId\" : \"9a3c1a55-2d1f-4c7e-9a8b-2f1d4a5e6b7c\",\n"
            + "  \"nextIndex\" : 12,\n  \"status\" : \"PENDING\",\n  \"missingAttempts\" : 0,\n"
            + "  \"uploadTime\" : \"2019-01-01T00:00:00Z\"\n}";
    private static final String JOURNAL_LINE = "{\"sessionId\":\"9a3c1a55-2d1f-4c7e-9a8b-2f1d4a5e6b7c\",\"nextIndex\":12,"
            + "\"status\":\"QUEUED\",\"missingAttempts\":0,\"uploadTime\":\"2019-01-01T00:00:00Z\"}";
    private static final byte[] NOT_UTF8 = {'a', 'b', '\n', (byte) 0xC3, (byte) 0x28, '\n', (byte) 0xFF, '\n'};

    @TempDir
    Path dir;

    private DemoEnvironment world;
    private Path state;

    @BeforeEach
    void start() throws Exception {
        world = DemoEnvironment.start(dir, Fixtures.rawAuditEvents().subList(0, 5), builder -> { });
        state = Files.createDirectories(dir.resolve("storage").resolve(world.teleport().address().replace(':', '_')));
        Files.writeString(state.resolve("start_time"), START);
    }

    @AfterEach
    void stop() {
        world.close();
    }

    /** A damaged state file: where it is, what it holds, keys it needs to be read, what the line must say. */
    record Damage(String name, String file, byte[] content, Map<String, String> settings, String says) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Damage> damages() {
        return Stream.of(
                damage("start time not a time", "start_time", "yesterday", "is corrupt"),
                damage("start time empty", "start_time", "", "is corrupt"),
                damage("search cursor truncated", "legacy-cursor.json", CURSOR.substring(0, 40), "is corrupt"),
                damage("search cursor empty", "legacy-cursor.json", "", "is corrupt"),
                damage("search cursor null", "legacy-cursor.json", "null", "is empty or corrupt"),
                damage("search cursor without its window", "legacy-cursor.json", "{ \"pageKey\" : \"\" }", "is corrupt"),
                damage("search cursor not JSON", "legacy-cursor.json", "\u0000\u0001garbage\u00ff", "is corrupt"),
                damage("search cursor of the wrong type", "legacy-cursor.json", "[1, 2, 3]", "is corrupt"),
                damage("export cursor truncated", "export-cursor.json", EXPORT_CURSOR.substring(0, 30), "is corrupt"),
                damage("export cursor without its date", "export-cursor.json", "{ \"days\" : { } }", "is corrupt"),
                new Damage("delivered ids not UTF-8", "delivered-ids", NOT_UTF8, Map.of(), "is corrupt (not UTF-8"),
                new Damage("previous delivered ids not UTF-8", "delivered-ids.1", NOT_UTF8, Map.of(), "is corrupt (not UTF-8"),
                damage("session state truncated", "sessions/9a3c1a55-2d1f-4c7e-9a8b-2f1d4a5e6b7c.json",
                        SESSION.substring(0, 50), "is corrupt"),
                damage("session journal with a line cut short", "sessions/journal.jsonl",
                        JOURNAL_LINE.substring(0, 40) + "\n" + JOURNAL_LINE + "\n", "(line 1) is corrupt"),
                new Damage("finished sessions not UTF-8", "sessions/finished-ids", NOT_UTF8, Map.of(), "is corrupt (not UTF-8"),
                new Damage("failed logins truncated", "failed-logins.json",
                        "{ \"failures\" : { \"alice\" : [ { \"eventId\" : \"e1\", \"ti".getBytes(StandardCharsets.UTF_8),
                        Map.of("lock-enabled", "true"), "is corrupt"));
    }

    private static Damage damage(String name, String file, String content, String says) {
        return new Damage(name, file, content.getBytes(StandardCharsets.UTF_8), Map.of(), says);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("damages")
    @Timeout(60) // a stall is a failure too
    void refusesToStartWithOneLineNamingTheFile(Damage damage) throws Exception {
        Path file = state.resolve(damage.file());
        Files.createDirectories(file.getParent());
        Files.write(file, damage.content());
        Map<String, String> settings = new HashMap<>(damage.settings());
        settings.put("start-time", START);
        settings.put("window-size", "2160h");
        settings.put("timeout", "100ms");
        settings.put("exit-on-last-event", "true");
        settings.put("management.port", "0");
        settings.put("jmx", "false");
        Path config = world.writeConfig(settings);

        StringWriter err = new StringWriter();
        int status = Main.run(new String[] {"start", "--config", config.toString()}, Map.of(),
                new PrintWriter(new StringWriter()), new PrintWriter(err));

        List<String> lines = err.toString().lines().toList();
        assertThat(lines).as("stderr").hasSize(1);
        assertThat(lines.get(0)).startsWith("teleport-event-exporter: storage: ").contains(file.toString())
                .contains(damage.says()).doesNotContain("Exception", "\tat ");
        assertThat(status).as("exit status").isEqualTo(2);
        assertThat(world.fluentd().eventCount()).as("events sent").isZero();
        assertThat(Files.readAllBytes(file)).as("the damaged file is left as it was").isEqualTo(damage.content());
    }
}
