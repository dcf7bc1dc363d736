package dev.tee.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.tee.config.ConfigKey;
import dev.tee.config.ConfigLoader;
import dev.tee.demo.FakeTeleport;
import dev.tee.testing.FluentdToS3;
import dev.tee.testing.Fixtures;
import dev.tee.testing.InProcessExporter;
import dev.tee.testing.S3ProxyServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The two ways to Panther's bucket agree: the 170 fixture events sent through real Fluentd on
 * configure's fluent.conf become exactly the S3 objects the exporter's own {@code output=s3} writes
 * for them, key for key and line for line.
 */
class RealFluentdObjectsTest {

    private static final String VIA_FLUENTD = "via-fluentd";
    private static final String DIRECT = "direct";
    private static final String PREFIX = "teleport/logs";
    private static final Duration PATIENCE = Duration.ofMinutes(2);

    @TempDir
    static Path dir;

    @RegisterExtension
    static final FluentdToS3 servers = new FluentdToS3(VIA_FLUENTD, DIRECT);

    @Test
    void fluentdWritesTheFixtureEventsToS3ExactlyAsOutputS3Does() {
        try (FakeTeleport teleport = FakeTeleport.builder().events(Fixtures.rawAuditEvents()).start()) {
            assertThat(InProcessExporter.runToEnd(backfill(servers.fluentd().exporter(teleport)).load(), PATIENCE)).isZero();
            assertThat(InProcessExporter.runToEnd(backfill(servers.fluentd().exporter(teleport))
                    .set(ConfigKey.OUTPUT, "s3")
                    .set(ConfigKey.STORAGE, dir.resolve("direct-storage").toString())
                    .set(ConfigKey.FORWARD_S3_BUCKET, DIRECT)
                    .set(ConfigKey.FORWARD_S3_REGION, S3ProxyServer.REGION)
                    .set(ConfigKey.FORWARD_S3_ENDPOINT, servers.s3().endpoint().toString())
                    .set(ConfigKey.FORWARD_S3_PATH_STYLE, "true")
                    .set(ConfigKey.FORWARD_S3_ACCESS_KEY_ID, S3ProxyServer.ACCESS_KEY)
                    .set(ConfigKey.FORWARD_S3_SECRET_ACCESS_KEY, S3ProxyServer.SECRET_KEY)
                    .set(ConfigKey.FORWARD_S3_FLUSH_DELAY, "1s")
                    .load(), PATIENCE)).isZero();

            Map<String, List<String>> direct = servers.s3().gzipLines(DIRECT, PREFIX);
            assertThat(direct).hasSize(71);
            assertThat(direct.values().stream().mapToInt(List::size).sum()).isEqualTo(170);
            // Fluentd answered each POST once the events were in its buffer; the objects follow
            await("Fluentd's objects").atMost(PATIENCE).pollInterval(Duration.ofMillis(200))
                    .until(() -> servers.s3().keys(VIA_FLUENTD, "").size() >= direct.size());
            Map<String, List<String>> viaFluentd = servers.s3().gzipLines(VIA_FLUENTD, "");
            assertThat(viaFluentd.keySet()).containsExactlyElementsOf(direct.keySet());
            direct.forEach((key, lines) -> assertThat(viaFluentd.get(key)).as(key).containsExactlyElementsOf(lines));
            for (String key : viaFluentd.keySet()) {
                assertThat(servers.s3().client().headObject(b -> b.bucket(VIA_FLUENTD).key(key)).contentType()).as(key)
                        .isEqualTo("application/x-gzip");
            }
        }
    }

    /**
     * Everything since 2019 in one run. The 170 events go in one POST (batch 200): Fluentd writes a
     * past minute's chunk at its next flush tick, so a minute whose events came in two POSTs could
     * become two objects (_0 and _1) where output=s3 writes one.
     */
    private static ConfigLoader backfill(ConfigLoader config) {
        return config.set(ConfigKey.START_TIME, "2019-01-01T00:00:00Z")
                .set(ConfigKey.WINDOW_SIZE, "87600h")
                .set(ConfigKey.BATCH, "200")
                .set(ConfigKey.TIMEOUT, "100ms")
                .set(ConfigKey.EXIT_ON_LAST_EVENT, "true");
    }
}
