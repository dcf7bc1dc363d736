package dev.tee.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tee.demo.DemoEnvironment;
import dev.tee.teleport.IdentityFile;
import dev.tee.testing.ExporterProcess;
import dev.tee.testing.GeneratedEvents;
import dev.tee.tls.Pem;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGHUP sent with kill(1) to the exporter as a child JVM (what systemd's ExecReload does): it keeps
 * running, reads the Teleport identity and the Fluentd client certificate again, and uses the new
 * ones for the next connections; bad files on a reload are one ERROR line and change nothing.
 */
class ReloadSignalTest {

    private static final Duration PATIENCE = Duration.ofSeconds(60);
    private static final String USER = "teleport-event-exporter";

    @TempDir
    Path dir;

    private DemoEnvironment world;
    private ExporterProcess exporter;
    private Instant start;
    private int served;

    @AfterEach
    void stop() throws InterruptedException {
        if (exporter != null && exporter.isAlive()) {
            exporter.kill9();
        }
        if (world != null) {
            world.close();
        }
    }

    @Test
    void sighupReloadsTheCredentialsAndABadFileKeepsTheOldOnes() throws Exception {
        start = Instant.now().truncatedTo(ChronoUnit.SECONDS).minus(Duration.ofHours(1));
        List<ObjectNode> first = events(1);
        served = first.size();
        world = DemoEnvironment.start(dir, first, builder -> { });
        Path config = world.writeConfig(Map.of("start-time", start.toString(), "timeout", "200ms",
                "management.port", "0"));
        exporter = ExporterProcess.start(config, dir.resolve("exporter.log"));
        awaitAllDelivered();
        X509Certificate firstFluentd = fluentdCertificateOnFile();
        assertThat(world.fluentd().lastClientCertificate()).contains(firstFluentd);

        // renewed files, then SIGHUP: the exporter goes on, and says what it read
        X509Certificate renewedFluentd = world.renewFluentdClientCertificate();
        world.teleport().writeIdentityFile(dir.resolve("identity"), USER, Duration.ofDays(1));
        X509Certificate renewedTeleport = IdentityFile.load(dir.resolve("identity")).certificateChain().get(0);
        assertThat(renewedFluentd).isNotEqualTo(firstFluentd);
        exporter.signal("HUP");
        await().atMost(PATIENCE).until(() -> exporter.log().contains("SIGHUP: reloaded"));
        String reloaded = line(exporter.log(), "SIGHUP: reloaded");
        assertThat(reloaded).contains(" INFO ", "Teleport identity from " + dir.resolve("identity"),
                        renewedTeleport.getNotAfter().toInstant().toString(),
                        "client certificate " + dir.resolve("fluentd-client.crt"),
                        renewedFluentd.getNotAfter().toInstant().toString(), "new connections use them")
                .doesNotContain("PRIVATE KEY");
        assertThat(exporter.isAlive()).as("alive after SIGHUP").isTrue();

        // the next connections present the new certificates: Teleport's at the next call, Fluentd's
        // once the pooled connections are gone (a restarted Fluentd closes them)
        world.fluentd().stop();
        world.fluentd().start();
        append(2);
        awaitAllDelivered();
        assertThat(world.fluentd().lastClientCertificate()).contains(renewedFluentd);
        await().atMost(PATIENCE).until(() -> world.teleport().lastClientCertificate().orElseThrow()
                .equals(renewedTeleport));

        // a bad file on the next reload: one ERROR line naming it, and everything goes on as it was
        Files.writeString(dir.resolve("fluentd-client.key"), "not a key\n");
        exporter.signal("HUP");
        await().atMost(PATIENCE).until(() -> exporter.log().contains("SIGHUP: nothing reloaded"));
        assertThat(line(exporter.log(), "SIGHUP: nothing reloaded")).contains(" ERROR ", "forward.fluentd.key",
                dir.resolve("fluentd-client.key").toString());
        long handshakes = world.fluentd().handshakeCount();
        world.fluentd().stop();
        world.fluentd().start();
        append(3);
        awaitAllDelivered();
        assertThat(world.fluentd().handshakeCount()).as("new connections").isGreaterThan(handshakes);
        assertThat(world.fluentd().lastClientCertificate()).contains(renewedFluentd);
        assertThat(world.teleport().lastClientCertificate()).contains(renewedTeleport);

        assertThat(exporter.terminate(Duration.ofSeconds(15))).as("exit status after SIGTERM").isZero();
        assertThat(exporter.log().lines().filter(l -> l.contains("SIGHUP"))).hasSize(2);
        assertThat(world.fluentd().eventIds(DemoEnvironment.AUDIT_TAG)).doesNotHaveDuplicates().hasSize(served);
    }

    /** Twenty events a minute after the last ones ({@code round} minutes after the start), without recordings. */
    private List<ObjectNode> events(int round) {
        return GeneratedEvents.withoutUploads(round, start.plus(Duration.ofMinutes(round)), Duration.ofSeconds(1), 20);
    }

    /** More events for the fake Teleport to serve; the exporter, polling, reads them. */
    private void append(int round) {
        List<ObjectNode> events = events(round);
        served += events.size();
        world.teleport().append(events);
    }

    private void awaitAllDelivered() {
        await().atMost(PATIENCE).until(() -> world.fluentd().eventIds(DemoEnvironment.AUDIT_TAG).size() >= served);
    }

    private X509Certificate fluentdCertificateOnFile() throws Exception {
        return Pem.readCertificates(Files.readString(dir.resolve("fluentd-client.crt"))).get(0);
    }

    private static String line(String log, String containing) {
        return log.lines().filter(l -> l.contains(containing)).findFirst().orElseThrow();
    }
}
