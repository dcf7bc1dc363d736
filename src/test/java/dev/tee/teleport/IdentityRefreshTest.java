package dev.tee.teleport;

import static dev.tee.testing.RawTwins.full;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tee.teleport.proto.raw.RawExportEvent;
import dev.tee.demo.EventGenerator;
import dev.tee.demo.FakeIdentity;
import dev.tee.demo.FakeTeleport;
import dev.tee.teleport.proto.auditlog.EventExportChunk;
import dev.tee.teleport.proto.auditlog.EventUnstructured;
import dev.tee.teleport.proto.auditlog.ExportEventUnstructured;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An identity file renewed in place (tbot) is picked up without restarting the client. */
class IdentityRefreshTest {

    private static final Duration REFRESH = Duration.ofMillis(100);
    private static final LocalDate DAY = LocalDate.of(2024, 3, 2);
    private static final List<ObjectNode> EVENTS =
            new EventGenerator(9, Instant.parse("2024-03-02T00:00:00Z"), Duration.ofSeconds(30)).generate(600);

    @TempDir
    Path dir;

    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    @Test
    void exportContinuesAcrossARotationAndAfterTheOldCertificateExpired() {
        FakeTeleport fake = open(FakeTeleport.builder().bulkExport(true).eventsPerChunk(200).events(EVENTS).start());
        Path file = dir.resolve("identity");
        fake.identity("exporter").validFor(Duration.ofSeconds(5)).writeIdentityFile(file);
        TeleportClient client = open(TeleportClient.builder().route(TeleportRoute.direct(fake.address()))
                .identityFile(file).refreshEvery(REFRESH).build());
        X509Certificate old = client.credentials().certificateChain().get(0);
        List<String> chunks = chunks(client);
        assertThat(chunks).hasSize(3);
        List<String> exported = new ArrayList<>();

        try (ServerStream<RawExportEvent> first = client.exportUnstructuredEvents(day(), chunks.get(0), "")) {
            exported.add(first.next().getEvent().getId());
            assertThat(fake.lastClientCertificate()).contains(old);

            fake.identity("exporter").validFor(Duration.ofHours(1)).writeIdentityFile(file);
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> !client.credentials().certificateChain().get(0).equals(old));
            X509Certificate renewed = client.credentials().certificateChain().get(0);

            // a new call connects anew with the renewed certificate, while the open stream carries on
            exported.addAll(ids(read(client, chunks.get(1))));
            assertThat(fake.lastClientCertificate()).contains(renewed);
            first.forEachRemaining(event -> exported.add(event.getEvent().getId()));

            await().atMost(Duration.ofSeconds(10)).until(() -> Instant.now().isAfter(old.getNotAfter().toInstant()));
            fake.stop(); // every connection dropped: only the renewed certificate can get back in
            fake.restart();
            await().atMost(Duration.ofSeconds(10)).ignoreException(TeleportException.class)
                    .until(() -> client.ping() != null);
            exported.addAll(ids(read(client, chunks.get(2))));
            assertThat(fake.lastClientCertificate()).contains(renewed);
        }

        assertThat(exported).hasSize(600).doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(fake.events().stream().map(EventUnstructured::getId).toList());
        assertThat(client.failedIdentityRefreshes()).isZero();
    }

    @Test
    void unreadableRenewalKeepsTheCurrentIdentityUntilAGoodOneArrives() throws Exception {
        FakeTeleport fake = open(FakeTeleport.builder().start());
        Path file = fake.writeIdentityFile(dir.resolve("identity"), "exporter", Duration.ofHours(1));
        TeleportClient client = open(TeleportClient.builder().route(TeleportRoute.direct(fake.address()))
                .identityFile(file).refreshEvery(REFRESH).build());
        TeleportCredentials first = client.credentials();
        String good = Files.readString(fake.identity("exporter").writeIdentityFile(dir.resolve("next")));

        // a renewal caught halfway through its write
        Files.writeString(file, good.substring(0, good.length() / 2));
        await().atMost(Duration.ofSeconds(10)).until(() -> client.failedIdentityRefreshes() >= 3);

        assertThat(client.credentials()).isSameAs(first);
        assertThat(client.ping().getClusterName()).isEqualTo(fake.clusterName());

        Files.writeString(file, good);
        await().atMost(Duration.ofSeconds(10)).until(() -> client.credentials() != first);
        assertThat(client.credentials().certificateChain())
                .isEqualTo(IdentityFile.load(dir.resolve("next")).certificateChain());
        assertThat(client.ping().getClusterName()).isEqualTo(fake.clusterName());
        assertThat(fake.lastClientCertificate()).contains(client.credentials().certificateChain().get(0));
    }

    @Test
    void certificateThatExpiredWithoutRenewalSaysWhenAndWhatToCheck() {
        FakeTeleport fake = open(FakeTeleport.builder().start());
        Path file = fake.identity("exporter").validFor(Duration.ofSeconds(4)).writeIdentityFile(dir.resolve("identity"));
        TeleportClient client = open(TeleportClient.builder().route(TeleportRoute.direct(fake.address()))
                .identityFile(file).refreshEvery(REFRESH).build());
        Instant notAfter = client.credentials().notAfter();
        client.ping();

        await().atMost(Duration.ofSeconds(10)).until(() -> Instant.now().isAfter(notAfter));
        fake.stop();
        fake.restart();

        // Teleport answered this client before: the refusal is retried (a renewal cures it), not fatal
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThatThrownBy(client::ping)
                .isInstanceOfSatisfying(TeleportException.class, e -> assertThat(e.isRefusal()).isTrue())
                .hasMessage("teleport.identity: the Teleport server at " + fake.address() + " rejected the client"
                        + " certificate in " + file + " (TLS alert certificate_expired): it expired at " + notAfter
                        + " and " + file + " has not been renewed since; check that tbot (or whatever renews it) is"
                        + " running"));
        // re-reading the expired file fails too, and the client keeps what it had
        await().atMost(Duration.ofSeconds(10)).until(() -> client.failedIdentityRefreshes() > 0);
    }

    /** SIGHUP: credentials read again replace the ones in use, refreshed or not, from the next call on. */
    @Test
    void credentialsReadAgainServeTheNextCallsWithoutARefresh() {
        FakeTeleport fake = open(FakeTeleport.builder().start());
        FakeIdentity.KeyPairFiles trio = fake.identity("exporter").writeKeyPair(dir, "first");
        TeleportCredentials first = TeleportCredentials.fromFiles(trio.ca(), trio.cert(), trio.key());
        TeleportClient client = open(TeleportClient.builder().route(TeleportRoute.direct(fake.address()))
                .credentials(first).build());
        client.ping();
        assertThat(fake.lastClientCertificate()).contains(first.certificateChain().get(0));

        Path file = fake.writeIdentityFile(dir.resolve("identity"), "exporter", Duration.ofHours(1));
        TeleportCredentials renewed = IdentityFile.load(file);
        assertThat(client.useCredentials(renewed)).isTrue();
        assertThat(client.useCredentials(IdentityFile.load(file))).as("the same identity again").isFalse();

        assertThat(client.ping().getClusterName()).isEqualTo(fake.clusterName());
        assertThat(fake.lastClientCertificate()).contains(renewed.certificateChain().get(0));
        assertThat(client.credentials()).isSameAs(renewed);
    }

    @Test
    void anIdentityFileReadBeforeIsNotReadAgainToStart() throws Exception {
        FakeTeleport fake = open(FakeTeleport.builder().start());
        Path file = fake.writeIdentityFile(dir.resolve("identity"), "exporter", Duration.ofHours(1));
        TeleportCredentials loaded = IdentityFile.load(file);
        Files.writeString(file, "changed since it was read\n");

        TeleportClient client = open(TeleportClient.builder().route(TeleportRoute.direct(fake.address()))
                .identityFile(file, loaded).refreshEvery(Duration.ofHours(1)).build());

        assertThat(client.credentials()).isSameAs(loaded);
        assertThat(client.ping().getClusterName()).isEqualTo(fake.clusterName());
    }

    @Test
    void onlyAnIdentityFileCanBeRefreshed() {
        FakeTeleport fake = FakeTeleport.builder().build();
        TeleportCredentials credentials = IdentityFile.load(
                fake.writeIdentityFile(dir.resolve("identity"), "exporter", Duration.ofHours(1)));

        assertThatThrownBy(() -> TeleportClient.builder().route(TeleportRoute.direct("127.0.0.1:3025"))
                .credentials(credentials).refreshEvery(REFRESH).build())
                .isInstanceOf(IllegalStateException.class).hasMessage("only an identity file can be refreshed");
    }

    private static Instant day() {
        return DAY.atStartOfDay(ZoneOffset.UTC).toInstant();
    }

    private static List<String> chunks(TeleportClient client) {
        List<String> names = new ArrayList<>();
        try (ServerStream<EventExportChunk> chunks = client.getEventExportChunks(day())) {
            chunks.forEachRemaining(chunk -> names.add(chunk.getChunk()));
        }
        return names;
    }

    private static List<ExportEventUnstructured> read(TeleportClient client, String chunk) {
        List<ExportEventUnstructured> events = new ArrayList<>();
        try (ServerStream<RawExportEvent> stream = client.exportUnstructuredEvents(day(), chunk, "")) {
            stream.forEachRemaining(event -> events.add(full(event)));
        }
        return events;
    }

    private static List<String> ids(List<ExportEventUnstructured> events) {
        return events.stream().map(event -> event.getEvent().getId()).toList();
    }

    private <T extends AutoCloseable> T open(T resource) {
        resources.add(resource);
        return resource;
    }
}
