package dev.tee.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.tee.cli.Main;
import dev.tee.config.ConfigLoader;
import dev.tee.demo.DemoEnvironment;
import dev.tee.demo.FakeTeleport;
import dev.tee.testing.ExporterProcess;
import dev.tee.testing.Fixtures;
import dev.tee.testing.InProcessExporter;
import dev.tee.tls.Pem;
import io.grpc.Status;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What cannot fix itself is said once and plainly: at start, one line on stderr naming the file and
 * the fix, exit 2 (unless tbot renews the identity: then it waits, and says so once); after start,
 * one ERROR line and the health check DOWN while it keeps trying. A stop while starting ends it at
 * once, exit 0.
 */
class TeleportRefusalTest {

    private static final Duration PATIENCE = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private DemoEnvironment world;
    private ExporterProcess exporter;

    @BeforeEach
    void start() {
        world = DemoEnvironment.start(dir, Fixtures.rawAuditEvents().subList(0, 5), builder -> { });
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (exporter != null && exporter.isAlive()) {
            exporter.kill9();
        }
        world.close();
    }

    @Test
    void aClientCertificateTeleportRejectsIsOneLineAndExit2() throws IOException {
        Path identity = foreignCertificateTrustingThisCluster();

        List<String> lines = refused(Map.of("teleport.identity", identity.toString()));

        assertThat(lines.get(0)).contains("teleport.identity: the Teleport server at " + world.teleport().address()
                + " rejected the client certificate in " + identity + " (TLS alert unknown_ca): it is not issued by"
                + " this cluster's user CA, or it was revoked");
    }

    @Test
    void aServerOurCaDoesNotTrustIsOneLineAndExit2() {
        try (FakeTeleport other = FakeTeleport.builder().clusterName("other.example.com").start()) {
            Path identity = other.writeIdentityFile(dir.resolve("other-identity"), "exporter", Duration.ofHours(1));

            List<String> lines = refused(Map.of("teleport.identity", identity.toString()));

            assertThat(lines.get(0)).contains("teleport.identity: the Teleport server's certificate at "
                    + world.teleport().address() + " is not signed by a CA in the identity file " + identity
                    + " (wrong cluster or wrong CA)");
        }
    }

    @Test
    void permissionDeniedOnPingIsOneLineAndExit2() {
        world.teleport().failNext("Ping", 10,
                Status.PERMISSION_DENIED.withDescription("lock targeting User:teleport-event-exporter is in force"));

        List<String> lines = refused(Map.of());

        assertThat(lines.get(0)).contains("teleport.identity: Teleport at " + world.teleport().address()
                + " denied the identity in " + dir.resolve("identity") + " (lock targeting User:teleport-event-exporter"
                + " is in force): check that its user exists and is not locked, and that its role allows resources"
                + " event and session with verbs list and read");
    }

    @Test
    void aCertificateThatExpiredWhileStartUpWaitedIsOneLineAndExit2() throws Exception {
        Instant notAfter = Instant.now().plusSeconds(3).truncatedTo(ChronoUnit.SECONDS);
        Path identity = world.teleport().identity("teleport-event-exporter")
                .validity(Instant.now().minusSeconds(60), notAfter).writeIdentityFile(dir.resolve("short-identity"));
        world.teleport().stop(); // start-up waits for Teleport while the certificate expires

        CompletableFuture<List<String>> lines = CompletableFuture.supplyAsync(
                () -> refused(Map.of("teleport.identity", identity.toString())));
        await().atMost(PATIENCE).until(() -> Instant.now().isAfter(notAfter.plusSeconds(1)));
        world.teleport().restart();

        // the server's handshake refuses it (TLS alert certificate_expired): no wait can cure that
        assertThat(lines.get(60, TimeUnit.SECONDS).get(0)).contains("teleport.identity: the Teleport server at "
                + world.teleport().address() + " rejected the client certificate in " + identity + " (TLS alert"
                + " certificate_expired): it expired at " + notAfter + "; issue a new one (or let tbot renew it and set"
                + " teleport.refresh.enabled)");
    }

    @Test
    void withRefreshEnabledItWaitsForARenewedIdentitySayingSoOnce() throws Exception {
        Path good = Files.copy(dir.resolve("identity"), dir.resolve("good-identity"));
        Files.copy(foreignCertificateTrustingThisCluster(), dir.resolve("identity"), StandardCopyOption.REPLACE_EXISTING);
        Path config = world.writeConfig(Map.of("teleport.refresh.enabled", "true", "teleport.refresh.interval", "1s",
                "start-time", "2019-01-01T00:00:00Z", "management.port", "0"));
        Path log = dir.resolve("exporter.log");
        exporter = ExporterProcess.start(config, log, "--exit-on-last-event");

        await().atMost(PATIENCE).until(() -> exporter.log().contains("Waiting for a renewed identity"));
        // several re-reads and tries later, still one line about it
        Thread.sleep(3000);
        assertThat(exporter.isAlive()).isTrue();
        assertThat(exporter.log().lines().filter(line -> line.contains("Waiting for a renewed identity")))
                .singleElement().asString().contains("rejected the client certificate in " + dir.resolve("identity"))
                .contains("trying again after each re-read of " + dir.resolve("identity") + ", every 1s");

        // tbot renews the file in place: the exporter starts and exports everything
        Files.copy(good, dir.resolve("identity.tmp"));
        Files.move(dir.resolve("identity.tmp"), dir.resolve("identity"), StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
        assertThat(exporter.waitFor(PATIENCE)).as("exit status (log: %s)", log).isZero();
        assertThat(world.fluentd().eventCount()).isEqualTo(5);
    }

    @Test
    void withRefreshEnabledAnIdentityAlreadyExpiredAtTheStartIsWaitedForNotRefused() throws Exception {
        Path good = Files.copy(dir.resolve("identity"), dir.resolve("good-identity"));
        world.teleport().identity("teleport-event-exporter")
                .validity(Instant.now().minusSeconds(7200), Instant.now().minusSeconds(3600))
                .writeIdentityFile(dir.resolve("identity"));
        Path config = world.writeConfig(Map.of("teleport.refresh.enabled", "true", "teleport.refresh.interval", "1s",
                "start-time", "2019-01-01T00:00:00Z", "management.port", "0"));
        Path log = dir.resolve("exporter.log");
        exporter = ExporterProcess.start(config, log, "--exit-on-last-event");

        await().atMost(PATIENCE).until(() -> exporter.log().contains("Waiting for a renewed identity"));
        assertThat(exporter.isAlive()).isTrue();
        assertThat(exporter.log()).contains("certificate_expired").doesNotContain("Exception");

        Files.copy(good, dir.resolve("identity.tmp"));
        Files.move(dir.resolve("identity.tmp"), dir.resolve("identity"), StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
        assertThat(exporter.waitFor(PATIENCE)).as("exit status (log: %s)", log).isZero();
        assertThat(world.fluentd().eventCount()).isEqualTo(5);
    }

    @Test
    void aRefusalAfterStartIsOneErrorLineAndHealthDownWhileItKeepsTrying() throws Exception {
        Path good = Files.copy(dir.resolve("identity"), dir.resolve("good-identity"));
        Path foreign = foreignCertificateTrustingThisCluster();
        int port = freePort();
        var config = new ConfigLoader(Map.of()).configFile(world.writeConfig(Map.of("teleport.refresh.enabled", "true",
                "teleport.refresh.interval", "500ms", "timeout", "200ms", "management.port", Integer.toString(port),
                "start-time", "2019-01-01T00:00:00Z")))
                .load();
        PrintStream original = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try (InProcessExporter running = InProcessExporter.start(config)) {
            await().atMost(PATIENCE).until(() -> world.fluentd().eventCount() == 5);
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));

            // the certificate is replaced by one Teleport refuses (a renewal from the wrong cluster)
            replace(dir.resolve("identity"), foreign);
            HttpResponse<String> health = awaitHealth(port, 503);
            assertThat(health.body()).contains("Teleport refuses the exporter");
            Thread.sleep(2000); // many polls, each refused
            assertThat(running.isRunning()).isTrue();
            String log = captured.toString(StandardCharsets.UTF_8);
            assertThat(log.lines().filter(line -> line.contains(" ERROR ")))
                    .singleElement().asString().contains("Teleport refuses the exporter: teleport.identity: the"
                            + " Teleport server at " + world.teleport().address() + " rejected the client certificate");

            // fixed: Teleport answers again, the health check is UP again
            replace(dir.resolve("identity"), good);
            awaitHealth(port, 200);
            assertThat(captured.toString(StandardCharsets.UTF_8)).contains("Teleport accepts the exporter again");
        } finally {
            System.setErr(original);
            original.print(captured.toString(StandardCharsets.UTF_8));
        }
    }

    @Test
    void sigtermWhileStartUpWaitsForTeleportExitsAtOnceWithStatus0() throws Exception {
        world.teleport().stop(); // Teleport down: the exporter waits and tries again
        Path config = world.writeConfig(Map.of("management.port", "0"));
        Path log = dir.resolve("exporter.log");
        exporter = ExporterProcess.start(config, log);
        await().atMost(PATIENCE).until(() -> exporter.log().lines().filter(line -> line.contains("trying again in"))
                .count() >= 2);

        long signalled = System.nanoTime();
        exporter.signal("TERM");
        int status = exporter.waitFor(Duration.ofSeconds(10));
        long millis = (System.nanoTime() - signalled) / 1_000_000;

        System.out.printf("SIGTERM while starting: exited after %d ms%n", millis);
        assertThat(status).as("exit status (log: %s)", log).isZero();
        assertThat(millis).as("exit within a second of SIGTERM").isLessThan(1500);
        assertThat(exporter.log()).contains("SIGTERM: stopping before the export began")
                .contains("Stopped before the export began").doesNotContain("Not stopped after");
    }

    /** Runs start with the world's settings plus {@code extra}: exit 2 and exactly one line on stderr. */
    private List<String> refused(Map<String, String> extra) {
        Map<String, String> settings = new HashMap<>(extra);
        Path config = world.writeConfig(settings);
        StringWriter err = new StringWriter();
        int status = Main.run(new String[] {"start", "--config", config.toString()}, Map.of(),
                new PrintWriter(new StringWriter()), new PrintWriter(err));

        assertThat(status).as("exit status; stderr: %s", err).isEqualTo(2);
        List<String> lines = err.toString().lines().toList();
        assertThat(lines).hasSize(1);
        assertThat(lines.get(0)).startsWith("teleport-event-exporter: ").doesNotContain("Exception", "\tat ");
        return lines;
    }

    /**
     * An identity whose certificate and key come from another cluster, with this cluster's CA: the
     * exporter trusts the server, the server rejects the certificate.
     */
    private Path foreignCertificateTrustingThisCluster() throws IOException {
        Path foreign = FakeTeleport.builder().clusterName("other.example.com").build()
                .writeIdentityFile(dir.resolve("foreign-original"), "teleport-event-exporter", Duration.ofHours(1));
        String text = Files.readString(foreign);
        String ownCa = Pem.certificate(world.teleport().hostCaCertificate());
        Path mixed = dir.resolve("foreign-identity");
        Files.writeString(mixed, text.substring(0, text.indexOf("@cert-authority")) + ownCa);
        return mixed;
    }

    private static void replace(Path target, Path source) throws IOException {
        Path temporary = target.resolveSibling(target.getFileName() + ".new");
        Files.copy(source, temporary, StandardCopyOption.REPLACE_EXISTING);
        Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static HttpResponse<String> awaitHealth(int port, int status) {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String>[] last = new HttpResponse[1];
        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(() -> {
            last[0] = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/observe/health?exposureLevel=full")).build(), HttpResponse.BodyHandlers.ofString());
            return last[0].statusCode() == status;
        });
        return last[0];
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
