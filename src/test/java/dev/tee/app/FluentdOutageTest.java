package dev.tee.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.tee.cli.Main;
import dev.tee.demo.DemoEnvironment;
import dev.tee.testing.Fixtures;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fluentd goes away in the middle of an export and comes back: everything arrives, once. */
class FluentdOutageTest {

    @TempDir
    Path dir;

    private DemoEnvironment world;

    @AfterEach
    void stop() {
        world.close();
    }

    @Test
    void waitsOutAnOutageAndThenDeliversEverythingOnce() throws Exception {
        world = DemoEnvironment.start(dir, Fixtures.rawAuditEvents(), builder -> { });
        world.fluentd().rejectEvent("no-such-uid", 400); // nothing poisoned: only the outage matters
        world.fluentd().failNext(3, 503, "buffer space has too many data");
        world.fluentd().stop();
        Path config = world.writeConfig(Map.of(
                "start-time", "2019-01-01T00:00:00Z",
                "window-size", "2160h",
                "timeout", "100ms",
                "exit-on-last-event", "true",
                "management.port", "0"));

        CompletableFuture<Integer> export = CompletableFuture.supplyAsync(() -> Main.run(
                new String[] {"start", "--config", config.toString()}, Map.of(),
                new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter())));
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).until(() -> !export.isDone());
        world.fluentd().start();

        assertThat(export.get(90, TimeUnit.SECONDS)).isZero();
        List<String> received = world.fluentd().events(DemoEnvironment.AUDIT_TAG).stream()
                .map(dev.tee.demo.ReceivedEvent::json).toList();
        assertThat(received).hasSize(170);
        assertThat(new HashSet<>(received)).hasSize(170);
    }
}
