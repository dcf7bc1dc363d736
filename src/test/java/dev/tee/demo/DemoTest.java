package dev.tee.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

import dev.tee.config.ConfigException;
import dev.tee.testing.S3ProxyServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Object;

/** The demo with each output, as a user runs it: it finishes, and its summary says what arrived where. */
class DemoTest {

    private static final int EVENTS = 600;

    @TempDir
    Path workingDir;

    private final ByteArrayOutputStream printed = new ByteArrayOutputStream();

    @Test
    void toFluentdDeliversEveryEventAndSaysSo() {
        assertThat(demo("fluentd", Map.of())).isZero();

        assertThat(output()).contains("Output         : Fluentd stand-in at https://127.0.0.1:")
                .contains("Delivered [##############################] 600 / 600 events")
                .containsPattern("Read 600 events and delivered 600 in \\d+\\.\\d s with start-up and shutdown; "
                        + "delivering took \\d+\\.\\d s \\(\\d+ events/s\\)")
                .containsPattern("Fluentd        : 600 events in 30 requests")
                .contains("  user.login ")
                .containsPattern("Sessions       : (\\d+) of \\1 recordings \\(\\d+ events;");
    }

    @Test
    void toFilesWritesPanthersLayoutInItsOwnDirectory() throws IOException {
        assertThat(demo("file", Map.of())).isZero();

        Path runs = workingDir.resolve(Demo.FILE_OUTPUT_DIR);
        List<Path> files;
        try (Stream<Path> walk = Files.walk(runs)) {
            files = walk.filter(Files::isRegularFile).sorted().toList();
        }
        // audit objects and session recordings, both inside the run's own directory
        Map<Boolean, List<Path>> byKind = files.stream().collect(Collectors.partitioningBy(file ->
                runs.relativize(file).toString().matches("\\d{8}-\\d{6}/teleport/logs\\d{12}00_0\\.gz")));
        List<Path> objects = byKind.get(true);
        assertThat(objects).isNotEmpty();
        assertThat(byKind.get(false)).isNotEmpty().allSatisfy(file -> assertThat(runs.relativize(file).toString())
                .matches("\\d{8}-\\d{6}/teleport/sessions/[0-9a-f-]{36}/\\d{10}\\.gz"));
        assertThat(objects.stream().mapToLong(DemoTest::lines).sum()).isEqualTo(EVENTS);
        assertThat(output()).contains("Delivered [##############################] 600 / 600 events")
                .contains("Read 600 events and delivered 600 in ")
                .contains("Objects        : " + objects.size() + " written, e.g. " + objects.get(0))
                .containsPattern("Sessions       : (\\d+) of \\1 recordings, in .*teleport/sessions");
    }

    @Test
    void toS3WritesIntoTheBucketTheEnvironmentNames() {
        try (S3ProxyServer s3 = S3ProxyServer.start()) {
            s3.createBucket("demo-bucket");
            assertThat(demo("s3", Map.of(
                    "FDFWD_FORWARD_S3_BUCKET", "demo-bucket",
                    "FDFWD_FORWARD_S3_REGION", S3ProxyServer.REGION,
                    "FDFWD_FORWARD_S3_ENDPOINT", s3.endpoint().toString(),
                    "FDFWD_FORWARD_S3_PATH_STYLE", "true",
                    "FDFWD_FORWARD_S3_ACCESS_KEY_ID", S3ProxyServer.ACCESS_KEY,
                    "FDFWD_FORWARD_S3_SECRET_ACCESS_KEY", S3ProxyServer.SECRET_KEY,
                    "FDFWD_FLUENTD_URL", "https://fluentd.example.com:8888/must-not-matter"))).isZero();

            List<S3Object> all = s3.client().listObjectsV2Paginator(list -> list.bucket("demo-bucket")).contents()
                    .stream().toList();
            assertThat(all).allSatisfy(object -> assertThat(object.key()).as("in the run's own prefix")
                    .matches("teleport-event-exporter-demo/\\d{8}-\\d{6}/teleport/"
                            + "(logs\\d{12}00_0|sessions/[0-9a-f-]{36}/\\d{10})\\.gz"));
            List<S3Object> objects = all.stream().filter(object -> object.key().contains("/teleport/logs")).toList();
            assertThat(objects).isNotEmpty();
            assertThat(all).hasSizeGreaterThan(objects.size()); // the recordings of the demo's sessions
            long events = objects.stream().mapToLong(object -> {
                ResponseBytes<GetObjectResponse> body = s3.client().getObjectAsBytes(get -> get.bucket("demo-bucket")
                        .key(object.key()));
                return lines(body.asInputStream());
            }).sum();
            assertThat(events).isEqualTo(EVENTS);
            assertThat(output()).contains("Output         : s3://demo-bucket/teleport-event-exporter-demo/")
                    .contains("Read 600 events and delivered 600 in ")
                    .contains("Objects        : " + objects.size() + " written to s3://demo-bucket/")
                    .doesNotContain(S3ProxyServer.SECRET_KEY);
        }
    }

    @Test
    void toS3WithoutABucketSaysWhatToSet() {
        assertThatThrownBy(() -> demo("s3", Map.of("AWS_REGION", "eu-west-1")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("demo --output s3 needs a bucket to write to: set FDFWD_FORWARD_S3_BUCKET (and "
                        + "FDFWD_FORWARD_S3_REGION, ENDPOINT, ...), see demo --help; --output file writes the same "
                        + "objects to ./demo-output");
    }

    private int demo(String output, Map<String, String> environment) {
        return Demo.run(EVENTS, output, environment, workingDir, new PrintStream(printed, true, StandardCharsets.UTF_8),
                false);
    }

    private String output() {
        return printed.toString(StandardCharsets.UTF_8);
    }

    private static long lines(Path object) {
        try {
            return lines(Files.newInputStream(object));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long lines(InputStream gzip) {
        try (InputStream in = new GZIPInputStream(gzip)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
