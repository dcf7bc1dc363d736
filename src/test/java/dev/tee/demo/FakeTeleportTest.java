package dev.tee.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Timestamp;
import dev.tee.event.EventJson;
import dev.tee.teleport.IdentityFile;
import dev.tee.teleport.TeleportClient;
import dev.tee.teleport.TeleportCredentials;
import dev.tee.teleport.TeleportException;
import dev.tee.teleport.proto.auditlog.EventUnstructured;
import dev.tee.teleport.proto.auditlog.GetUnstructuredEventsRequest;
import dev.tee.teleport.proto.auth.AuthServiceGrpc;
import dev.tee.teleport.proto.auth.PingRequest;
import dev.tee.testing.Fixtures;
import dev.tee.tls.KeyKind;
import dev.tee.tls.Pem;
import dev.tee.tls.PemFormat;
import dev.tee.tls.TlsMaterial;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FakeTeleportTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void repeatedUidsGetSuffixesInOrderOfArrivalLikeTheFixtures() throws IOException {
        List<ObjectNode> raw = new ArrayList<>();
        for (String line : Fixtures.lines("teleport-audit-events.jsonl")) {
            raw.add((ObjectNode) JSON.readTree(line));
        }
        FakeTeleport fake = FakeTeleport.builder().build();

        List<String> ids = fake.append(raw).stream().map(EventUnstructured::getId).toList();

        List<ObjectNode> unique = Fixtures.auditEvents();
        for (int i = 0; i < unique.size(); i++) {
            if (unique.get(i).has("uid")) {
                assertThat(ids.get(i)).isEqualTo(unique.get(i).get("uid").asText());
            }
        }
        assertThat(ids).doesNotHaveDuplicates();
    }

    @Test
    void uniqueUidsAreKeptAndServedInsideTheEvent() {
        FakeTeleport fake = FakeTeleport.builder().build();

        EventUnstructured first = fake.append(event("u", "2024-01-01T00:00:00Z"));
        EventUnstructured second = fake.append(event("u", "2024-01-01T00:00:00Z"));
        EventUnstructured generatedClash = fake.append(event("u-2", "2024-01-01T00:00:00Z"));

        assertThat(first.getId()).isEqualTo("u");
        assertThat(second.getId()).isEqualTo("u-2");
        assertThat(second.getUnstructured().getFieldsOrThrow("uid").getStringValue()).isEqualTo("u-2");
        assertThat(generatedClash.getId()).isEqualTo("u-2-2");
    }

    @Test
    void eventWithoutUidIsIdentifiedBySha256OfItsJson() throws Exception {
        ObjectNode print = JSON.createObjectNode().put("event", "print").put("time", "2024-01-01T00:00:00Z")
                .put("ei", 7).put("bytes", 42);
        String sha256 = HexFormat.of().formatHex(
                MessageDigest.getInstance("SHA-256").digest(JSON.writeValueAsBytes(print)));

        EventUnstructured served = FakeTeleport.builder().build().append(print);

        assertThat(served.getId()).isEqualTo(sha256);
        assertThat(served.getUnstructured().containsFields("uid")).isFalse();
    }

    @Test
    void servesTypeTimeIndexAndTheEventAsTeleportsStruct() throws Exception {
        ObjectNode login = (ObjectNode) JSON.readTree("{\"event\":\"user.login\",\"uid\":\"x1\",\"code\":\"T1000W\","
                + "\"time\":\"2024-03-13T01:25:48.568Z\",\"ei\":3,\"success\":false,\"user\":\"bob\"}");

        EventUnstructured served = FakeTeleport.builder().build().append(login);

        assertThat(served.getType()).isEqualTo("user.login");
        assertThat(served.getId()).isEqualTo("x1");
        assertThat(served.getTime()).isEqualTo(Timestamp.newBuilder().setSeconds(1710293148).setNanos(568_000_000).build());
        assertThat(served.getIndex()).isEqualTo(3);
        assertThat(served.getUnstructured()).isEqualTo(EventJson.toStruct(login));
    }

    @Test
    void servesEventsByTimeThenIndexThenArrival() {
        FakeTeleport fake = FakeTeleport.builder().build();
        fake.append(event("late", "2024-01-01T00:00:02Z"));
        fake.append(event("second", "2024-01-01T00:00:01Z").put("ei", 1));
        fake.append(event("first", "2024-01-01T00:00:01Z").put("ei", 0));
        fake.append(event("third", "2024-01-01T00:00:01Z").put("ei", 1));

        assertThat(fake.events()).extracting(EventUnstructured::getId).containsExactly("first", "second", "third", "late");
    }

    @Test
    void concurrentAppendsKeepEveryEventWithUniqueIds() throws Exception {
        FakeTeleport fake = FakeTeleport.builder().build();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> writers = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                writers.add(pool.submit(() -> IntStream.range(0, 1000)
                        .forEach(i -> fake.append(event("same", "2024-01-01T00:00:00Z").put("ei", i)))));
            }
            for (Future<?> writer : writers) {
                writer.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(fake.events()).extracting(EventUnstructured::getId).hasSize(4000).doesNotHaveDuplicates();
    }

    @Test
    void identityFileHasTeleportsLayoutAndOwnerOnlyMode() throws Exception {
        FakeTeleport fake = FakeTeleport.builder().clusterName("acme.example.com").build();

        Path file = fake.identity("alice").role("auditor").writeIdentityFile(dir.resolve("identity"));

        List<String> lines = Files.readAllLines(file);
        List<String> outline = lines.stream()
                .filter(line -> line.startsWith("-----") || !line.matches("[A-Za-z0-9+/=]+"))
                .map(line -> line.startsWith("-----") ? line : line.substring(0, line.indexOf(' ')))
                .toList();
        assertThat(outline).containsExactly(
                "-----BEGIN RSA PRIVATE KEY-----", "-----END RSA PRIVATE KEY-----",
                "ssh-rsa-cert-v01@openssh.com",
                "-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----",
                "@cert-authority",
                "-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----");
        assertThat(lines).anySatisfy(line -> assertThat(line).startsWith("ssh-rsa-cert-v01@openssh.com AAAA"));
        assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        var certificates = Pem.readCertificates(Files.readString(file));
        assertThat(certificates.get(0).getSubjectX500Principal().getName()).isEqualTo("O=auditor,CN=alice");
        assertThat(certificates.get(1)).isEqualTo(fake.hostCaCertificate());
    }

    @Test
    void keyPairFilesLetAClientIn() {
        try (FakeTeleport fake = FakeTeleport.start()) {
            FakeIdentity.KeyPairFiles files = fake.identity("exporter").key(KeyKind.EC, PemFormat.TRADITIONAL)
                    .writeKeyPair(dir, "exporter");
            TeleportCredentials credentials = TeleportCredentials.fromFiles(files.ca(), files.cert(), files.key());

            try (TeleportClient client = new TeleportClient(fake.address(), credentials)) {
                assertThat(client.ping().getClusterName()).isEqualTo(FakeTeleport.DEFAULT_CLUSTER_NAME);
            }
            assertThat(files.key()).satisfies(key -> assertThat(Files.getPosixFilePermissions(key))
                    .isEqualTo(PosixFilePermissions.fromString("rw-------")));
        }
    }

    @Test
    void clientWithoutCertificateIsRejected() {
        try (FakeTeleport fake = FakeTeleport.start()) {
            ChannelCredentials noCertificate = TlsChannelCredentials.newBuilder()
                    .trustManager(TlsMaterial.trustManager(List.of(fake.hostCaCertificate()))).build();

            assertThatThrownBy(() -> ping(fake, noCertificate)).isInstanceOfSatisfying(StatusRuntimeException.class,
                    e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
            assertThat(fake.calls("Ping")).isZero();
        }
    }

    @Test
    void plaintextClientIsRejected() {
        try (FakeTeleport fake = FakeTeleport.start()) {
            assertThatThrownBy(() -> ping(fake, InsecureChannelCredentials.create()))
                    .isInstanceOfSatisfying(StatusRuntimeException.class,
                            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
        }
    }

    @Test
    void acceptsTheDefaultNamespaceOnly() {
        try (FakeTeleport fake = FakeTeleport.builder().events(List.of(event("a", "2024-01-01T00:00:00Z"))).start();
                TeleportClient client = connect(fake)) {
            assertThat(client.getUnstructuredEvents(search("")).getItemsCount()).isEqualTo(1);
            assertThat(client.getUnstructuredEvents(search("default")).getItemsCount()).isEqualTo(1);
            assertThatThrownBy(() -> client.getUnstructuredEvents(search("apps")))
                    .isInstanceOfSatisfying(TeleportException.class,
                            e -> assertThat(e.code()).isEqualTo(Status.Code.INVALID_ARGUMENT))
                    .hasMessageEndingWith("namespace \"apps\" is not supported");
        }
    }

    @Test
    void endBeforeStartIsInvalidArgument() {
        try (FakeTeleport fake = FakeTeleport.start(); TeleportClient client = connect(fake)) {
            GetUnstructuredEventsRequest backwards = GetUnstructuredEventsRequest.newBuilder()
                    .setStartDate(Timestamp.newBuilder().setSeconds(2000))
                    .setEndDate(Timestamp.newBuilder().setSeconds(1000)).build();

            assertThatThrownBy(() -> client.getUnstructuredEvents(backwards)).isInstanceOfSatisfying(
                    TeleportException.class, e -> assertThat(e.code()).isEqualTo(Status.Code.INVALID_ARGUMENT));
        }
    }

    @Test
    void restartListensOnTheSamePortWithTheSameLogAndCounters() {
        try (FakeTeleport fake = FakeTeleport.builder().events(List.of(event("a", "2024-01-01T00:00:00Z"))).start();
                TeleportClient client = connect(fake)) {
            client.ping();
            int port = fake.port();

            fake.stop();
            assertThat(fake.isRunning()).isFalse();
            fake.restart();

            assertThat(fake.port()).isEqualTo(port);
            assertThat(fake.eventCount()).isEqualTo(1);
            assertThat(fake.calls("Ping")).isEqualTo(1);
        }
    }

    @Test
    void faultsAreOnlyForMethodsItServes() {
        FakeTeleport fake = FakeTeleport.builder().build();

        assertThatThrownBy(() -> fake.failNext("SearchUnstructuredEvents", 1, Status.UNAVAILABLE))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("the fake Teleport serves no method SearchUnstructuredEvents");
    }

    @Test
    void pageKeyRoundTripsAndRejectsForgeries() {
        PageKey key = new PageKey(Instant.parse("2024-03-13T01:25:48.568Z"), 7, 42);

        assertThat(PageKey.decode(key.encode())).isEqualTo(key);
        assertThat(key.encode()).matches("[A-Za-z0-9_-]+");
        for (String forged : List.of("%%%", "MTox", key.encode().substring(1), "")) {
            assertThatThrownBy(() -> PageKey.decode(forged)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("malformed start_key");
        }
    }

    private TeleportClient connect(FakeTeleport fake) {
        Path identity = fake.writeIdentityFile(dir.resolve("identity"), "exporter", Duration.ofHours(1));
        return new TeleportClient(fake.address(), IdentityFile.load(identity));
    }

    private static GetUnstructuredEventsRequest search(String namespace) {
        return GetUnstructuredEventsRequest.newBuilder().setNamespace(namespace)
                .setEndDate(Timestamp.newBuilder().setSeconds(Instant.parse("2030-01-01T00:00:00Z").getEpochSecond()))
                .build();
    }

    private static void ping(FakeTeleport fake, ChannelCredentials credentials) {
        ManagedChannel channel = NettyChannelBuilder.forTarget(fake.address(), credentials)
                .overrideAuthority("teleport.cluster.local").build();
        try {
            AuthServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .ping(PingRequest.getDefaultInstance());
        } finally {
            channel.shutdownNow();
        }
    }

    private static ObjectNode event(String uid, String time) {
        return JSON.createObjectNode().put("event", "user.login").put("uid", uid).put("time", time).put("ei", 0);
    }
}
