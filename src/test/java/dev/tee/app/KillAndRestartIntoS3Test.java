package dev.tee.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tee.demo.DemoEnvironment;
import dev.tee.demo.EventGenerator;
import dev.tee.sink.s3.MinuteObject;
import dev.tee.testing.ExporterProcess;
import dev.tee.testing.S3ProxyServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Exactly once into S3, with real crashes: a child JVM exporting 50,000 events into S3Proxy is killed
 * with SIGKILL at random moments and restarted each time. Afterwards every event id is in exactly one
 * object.
 */
class KillAndRestartIntoS3Test {

    private static final int EVENTS = 50_000;
    private static final int KILLS = 4;
    private static final String BUCKET = "panther-teleport";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private DemoEnvironment world;
    private S3ProxyServer s3;
    private ExporterProcess exporter;

    @AfterEach
    void stop() throws InterruptedException {
        if (exporter != null && exporter.isAlive()) {
            exporter.kill9();
        }
        if (world != null) {
            world.close();
        }
        if (s3 != null) {
            s3.close();
        }
    }

    @Test
    void everyEventIsInExactlyOneObjectAfterRandomKills() throws Exception {
        Instant start = Instant.now().truncatedTo(ChronoUnit.SECONDS).minus(Duration.ofDays(3));
        List<ObjectNode> events = new EventGenerator(11, start, Duration.ofDays(3).dividedBy(EVENTS)).generate(EVENTS);
        Set<String> expected = events.stream().map(e -> e.get("uid").asText()).collect(Collectors.toSet());
        world = DemoEnvironment.start(dir, events, builder -> { });
        s3 = S3ProxyServer.start();
        s3.createBucket(BUCKET);
        Map<String, String> settings = new HashMap<>();
        settings.put("output", "s3");
        settings.put("forward.s3.bucket", BUCKET);
        settings.put("forward.s3.region", S3ProxyServer.REGION);
        settings.put("forward.s3.endpoint", s3.endpoint().toString());
        settings.put("forward.s3.path-style", "true");
        settings.put("forward.s3.access-key-id", S3ProxyServer.ACCESS_KEY);
        settings.put("forward.s3.secret-access-key", S3ProxyServer.SECRET_KEY);
        settings.put("forward.s3.flush-delay", "1s");
        settings.put("start-time", start.toString());
        settings.put("batch", "100");
        settings.put("timeout", "200ms");
        settings.put("exit-on-last-event", "true");
        settings.put("management.port", "0");
        Path config = world.writeConfig(settings);
        Path log = dir.resolve("exporter.log");

        Random random = new Random(5);
        for (int kill = 0; kill < KILLS; kill++) {
            exporter = ExporterProcess.start(config, log);
            int objectsBefore = objectCount();
            // once it is writing, let it run a random while, then pull the plug
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(20))
                    .until(() -> objectCount() > objectsBefore || !exporter.isAlive());
            Thread.sleep(random.nextInt(1500));
            assertThat(exporter.isAlive()).as("still exporting at kill %d; log: %s", kill, log).isTrue();
            exporter.kill9();
        }
        exporter = ExporterProcess.start(config, log);
        assertThat(exporter.waitFor(Duration.ofMinutes(3))).as("exit status of the last run (log: %s)", log).isZero();

        Map<String, Integer> copies = new HashMap<>();
        List<String> keys = new ArrayList<>();
        for (S3Object object : s3.client().listObjectsV2Paginator(b -> b.bucket(BUCKET)).contents()) {
            keys.add(object.key());
            byte[] body = s3.client().getObjectAsBytes(b -> b.bucket(BUCKET).key(object.key())).asByteArray();
            for (String line : MinuteObject.lines(body)) {
                copies.merge(JSON.readTree(line).get("uid").asText(), 1, Integer::sum);
            }
        }
        System.out.printf("%d events in %d objects after %d kills; %d of them a minute's second object or later%n",
                copies.size(), keys.size(), KILLS, keys.stream().filter(k -> !k.endsWith("_0.gz")).count());
        assertThat(copies.keySet()).as("every event is in S3").isEqualTo(expected);
        assertThat(copies.entrySet()).as("no event is in two objects")
                .allSatisfy(entry -> assertThat(entry.getValue()).as(entry.getKey()).isEqualTo(1));
    }

    private int objectCount() {
        return s3.client().listObjectsV2(b -> b.bucket(BUCKET)).keyCount();
    }
}
