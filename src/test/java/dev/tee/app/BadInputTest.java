package dev.tee.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import dev.tee.cli.Main;
import dev.tee.demo.DemoEnvironment;
import dev.tee.demo.FakeTeleport;
import dev.tee.state.StateDirectory;
import dev.tee.state.StateLock;
import dev.tee.testing.Fixtures;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Input the exporter cannot use: exit status 2 and one line that names the problem, no stack trace. */
class BadInputTest {

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

    @Test
    void missingIdentityFile() {
        assertRefused(Map.of("teleport.identity", dir.resolve("no-such-identity").toString()),
                "teleport.identity", "no-such-identity");
    }

    @Test
    void truncatedIdentityFile() throws Exception {
        Path identity = dir.resolve("identity");
        String text = Files.readString(identity);
        Files.writeString(identity, text.substring(0, text.indexOf("-----END CERTIFICATE-----") - 20));
        assertRefused(Map.of(), "teleport.identity", "truncated");
    }

    @Test
    void expiredCertificate() {
        Instant expiry = Instant.now().minus(Duration.ofHours(1)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        world.teleport().identity("teleport-event-exporter")
                .validity(expiry.minus(Duration.ofDays(1)), expiry)
                .writeIdentityFile(dir.resolve("identity"));
        assertRefused(Map.of(), "teleport.identity", "expired at " + expiry);
    }

    @Test
    void identityOfAnotherCluster() {
        try (FakeTeleport other = FakeTeleport.builder().clusterName("other.example.com").start()) {
            other.writeIdentityFile(dir.resolve("identity"), "teleport-event-exporter", Duration.ofHours(1));
        }
        assertRefused(Map.of(), "teleport.identity", "not signed by a CA in the identity file");
    }

    @Test
    void badDuration() {
        assertRefused(Map.of("timeout", "10 seconds"), "timeout", "\"10 seconds\" is not a duration");
    }

    @Test
    void unknownKey() {
        assertRefused(Map.of("forward.fluentd.urll", "https://x"), "forward.fluentd.urll",
                "did you mean \"forward.fluentd.url\"");
    }

    @Test
    void storageInUseByAnotherExporter() {
        String address = world.teleport().address();
        try (StateLock other = StateLock.acquire(StateDirectory.open(dir.resolve("storage"), address))) {
            assertRefused(Map.of("storage", dir.resolve("storage").toString()), "storage: ",
                    "is in use by another exporter (pid " + ProcessHandle.current().pid() + " on ");
        }
    }

    private void assertRefused(Map<String, String> settings, String... mentions) {
        Path config = world.writeConfig(settings);
        StringWriter err = new StringWriter();
        int status = Main.run(new String[] {"start", "--config", config.toString()}, Map.of(),
                new PrintWriter(new StringWriter()), new PrintWriter(err));

        assertThat(status).isEqualTo(2);
        List<String> lines = err.toString().lines().toList();
        assertThat(lines).hasSize(1);
        assertThat(lines.get(0)).startsWith("teleport-event-exporter: ").contains(mentions)
                .doesNotContain("Exception", "\tat ");
    }
}
