package dev.tee.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tee.cli.Main;
import dev.tee.demo.DemoEnvironment;
import dev.tee.sink.s3.MinuteObject;
import dev.tee.testing.Fixtures;
import dev.tee.testing.S3ProxyServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The whole exporter writing Panther's layout, to a directory and to a real S3 server (S3Proxy): the
 * objects must be the ones real Fluentd + fluent-plugin-s3 wrote for the same events.
 */
class ExportToObjectsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String BUCKET = "panther-teleport";

    @TempDir
    Path dir;

    private DemoEnvironment world;
    private S3ProxyServer s3;

    @AfterEach
    void stop() {
        if (world != null) {
            world.close();
        }
        if (s3 != null) {
            s3.close();
        }
    }

    @Test
    void writesTheSameObjectsAsFluentdToADirectory() throws Exception {
        world = DemoEnvironment.start(dir, Fixtures.rawAuditEvents(), builder -> { });
        Path out = dir.resolve("panther");
        assertThat(export(Map.of("output", "file", "forward.file.dir", out.toString()))).isZero();

        Map<String, List<String>> objects = new TreeMap<>();
        try (Stream<Path> files = Files.walk(out)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                objects.put(out.relativize(file).toString(), MinuteObject.lines(Files.readAllBytes(file)));
            }
        }
        assertSameObjects(objects);

        assertThat(export(Map.of("output", "file", "forward.file.dir", out.toString()))).isZero();
        try (Stream<Path> files = Files.walk(out)) {
            assertThat(files.filter(Files::isRegularFile).count()).as("a second run writes nothing").isEqualTo(71);
        }
    }

    @Test
    void writesTheSameObjectsAsFluentdToS3() throws Exception {
        world = DemoEnvironment.start(dir, Fixtures.rawAuditEvents(), builder -> { });
        s3 = S3ProxyServer.start();
        s3.createBucket(BUCKET);
        assertThat(export(s3Settings())).isZero();

        Map<String, List<String>> objects = new TreeMap<>();
        for (S3Object object : s3.client().listObjectsV2Paginator(b -> b.bucket(BUCKET)).contents()) {
            ResponseBytes<GetObjectResponse> body = s3.client().getObjectAsBytes(b -> b.bucket(BUCKET).key(object.key()));
            assertThat(body.response().contentType()).isEqualTo("application/x-gzip");
            assertThat(body.response().contentEncoding()).isNull();
            objects.put(object.key(), MinuteObject.lines(body.asByteArray()));
        }
        assertSameObjects(objects);
    }

    private static void assertSameObjects(Map<String, List<String>> objects) throws Exception {
        Map<String, List<String>> golden = golden();
        assertThat(objects.keySet()).containsExactlyElementsOf(golden.keySet());
        golden.forEach((key, lines) -> assertThat(objects.get(key)).as(key).containsExactlyElementsOf(lines));
    }

    @Test
    void startsWhileS3IsUnreachableAndWritesEverythingOnceItAnswers() throws Exception {
        world = DemoEnvironment.start(dir, Fixtures.rawAuditEvents(), builder -> { });
        s3 = S3ProxyServer.start();
        s3.createBucket(BUCKET);
        s3.stop();
        Path config = world.writeConfig(settings(s3Settings()));
        StringWriter out = new StringWriter();
        java.util.concurrent.CompletableFuture<Integer> export = java.util.concurrent.CompletableFuture.supplyAsync(
                () -> Main.run(new String[] {"start", "--config", config.toString()}, Map.of(),
                        new PrintWriter(out), new PrintWriter(new StringWriter())));
        org.awaitility.Awaitility.await().during(java.time.Duration.ofSeconds(3))
                .atMost(java.time.Duration.ofSeconds(10)).until(() -> !export.isDone());
        s3.restart();

        assertThat(export.get(2, java.util.concurrent.TimeUnit.MINUTES)).isZero();
        Map<String, List<String>> objects = new TreeMap<>();
        for (S3Object object : s3.client().listObjectsV2Paginator(b -> b.bucket(BUCKET)).contents()) {
            objects.put(object.key(), MinuteObject.lines(
                    s3.client().getObjectAsBytes(b -> b.bucket(BUCKET).key(object.key())).asByteArray()));
        }
        assertSameObjects(objects);
    }

    @Test
    void aBucketThatDoesNotExistIsOneClearLine() {
        world = DemoEnvironment.start(dir, Fixtures.rawAuditEvents().subList(0, 3), builder -> { });
        s3 = S3ProxyServer.start();
        Map<String, String> settings = s3Settings();
        settings.put("forward.s3.bucket", "no-such-bucket");
        assertRefused(settings, "forward.s3.bucket", "no-such-bucket", "does not exist");
    }

    @Test
    void wrongCredentialsAreOneClearLineWithoutTheSecret() {
        world = DemoEnvironment.start(dir, Fixtures.rawAuditEvents().subList(0, 3), builder -> { });
        s3 = S3ProxyServer.start();
        s3.createBucket(BUCKET);
        Map<String, String> settings = s3Settings();
        settings.put("forward.s3.secret-access-key", "not-the-secret-key");
        String line = assertRefused(settings, "credentials");
        assertThat(line).doesNotContain("not-the-secret-key");
    }

    private String assertRefused(Map<String, String> extra, String... mentions) {
        Path config = world.writeConfig(settings(extra));
        StringWriter err = new StringWriter();
        int status = Main.run(new String[] {"start", "--config", config.toString()}, Map.of(),
                new PrintWriter(new StringWriter()), new PrintWriter(err));
        assertThat(status).isEqualTo(2);
        List<String> lines = err.toString().lines().toList();
        assertThat(lines).hasSize(1);
        assertThat(lines.get(0)).contains(mentions).doesNotContain("Exception", "\tat ");
        return lines.get(0);
    }

    private Map<String, String> s3Settings() {
        Map<String, String> settings = new HashMap<>();
        settings.put("output", "s3");
        settings.put("forward.s3.bucket", BUCKET);
        settings.put("forward.s3.region", S3ProxyServer.REGION);
        settings.put("forward.s3.endpoint", s3.endpoint().toString());
        settings.put("forward.s3.path-style", "true");
        settings.put("forward.s3.access-key-id", S3ProxyServer.ACCESS_KEY);
        settings.put("forward.s3.secret-access-key", S3ProxyServer.SECRET_KEY);
        return settings;
    }

    /** What real Fluentd wrote: key → lines. */
    private static Map<String, List<String>> golden() throws Exception {
        Map<String, List<String>> objects = new LinkedHashMap<>();
        for (String line : Fixtures.lines("fluentd-s3-golden/objects.jsonl")) {
            JsonNode object = JSON.readTree(line);
            List<String> lines = new ArrayList<>();
            object.get("lines").forEach(l -> lines.add(l.asText()));
            objects.put(object.get("key").asText(), lines);
        }
        return new TreeMap<>(objects);
    }

    private static Map<String, String> settings(Map<String, String> extra) {
        Map<String, String> settings = new HashMap<>(Map.of(
                "start-time", "2019-01-01T00:00:00Z",
                "window-size", "2160h",
                "timeout", "100ms",
                "forward.s3.flush-delay", "2s",
                "exit-on-last-event", "true",
                "management.port", "0"));
        settings.putAll(extra);
        return settings;
    }

    private int export(Map<String, String> extra) {
        Path config = world.writeConfig(settings(extra));
        StringWriter err = new StringWriter();
        int status = Main.run(new String[] {"start", "--config", config.toString()}, Map.of(),
                new PrintWriter(new StringWriter()), new PrintWriter(err));
        assertThat(err.toString()).isEmpty();
        return status;
    }
}
