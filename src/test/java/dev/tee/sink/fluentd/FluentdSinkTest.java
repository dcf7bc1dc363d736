package dev.tee.sink.fluentd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tee.config.ConfigException;
import dev.tee.demo.FluentdStandIn;
import dev.tee.demo.ReceivedEvent;
import dev.tee.demo.TestPki;
import dev.tee.event.AuditEvent;
import dev.tee.event.Batch;
import dev.tee.event.EventJson;
import dev.tee.sink.DeadLetter;
import dev.tee.testing.Fixtures;
import dev.tee.testing.FluentdRoute;
import dev.tee.tls.KeyKind;
import dev.tee.tls.PemFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FluentdSinkTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TAG = "test.log";

    @TempDir
    Path dir;

    private TestPki pki;
    private FluentdStandIn standIn;
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @BeforeEach
    void start() {
        pki = TestPki.create(dir.resolve("pki"));
        standIn = pki.standIn().build().start();
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable closeable : toClose) {
            closeable.close();
        }
        standIn.close();
    }

    @Test
    void deliversEveryFixtureEventExactlyOnceWithTheGoHandlersBytesInBatchesOf20() {
        Delivery sink = sink(BatchMode.BATCH);
        List<AuditEvent> events = fixtureEvents();
        List<Batch> batches = batchesOf(20, events);
        batches.forEach(sink::deliver);

        assertThat(batches).allMatch(Batch::allSettled);
        assertThat(receivedJson()).containsExactlyElementsOf(jsonOf(events));
        assertThat(standIn.requestCount()).isEqualTo(9);
        assertThat(sink.eventsSent()).isEqualTo(170);
        assertThat(sink.batchesSent()).isEqualTo(9);
        assertThat(sink.requestsFailed()).isZero();
        assertThat(sink.deadLettered()).isZero();
        ReceivedEvent first = standIn.events(TAG).get(0);
        assertThat(first.time()).isEqualTo(events.get(0).time().truncatedTo(ChronoUnit.SECONDS));
    }

    @Test
    void singleModePostsEachEventOnItsOwn() {
        Delivery sink = sink(BatchMode.SINGLE);
        List<AuditEvent> events = fixtureEvents().subList(0, 20);
        Batch batch = new Batch(events);
        sink.deliver(batch);

        assertThat(batch.allSettled()).isTrue();
        assertThat(receivedJson()).containsExactlyElementsOf(jsonOf(events));
        assertThat(standIn.requestCount()).isEqualTo(20);
        assertThat(sink.eventsSent()).isEqualTo(20);
        assertThat(sink.batchesSent()).isEqualTo(1);
    }

    @Test
    void throwsUnavailableOnEach503ThenDeliversWithoutDuplicates() {
        Delivery sink = sink(BatchMode.BATCH);
        List<AuditEvent> events = fixtureEvents().subList(0, 20);
        Batch batch = new Batch(events);
        standIn.failNext(3, 503);
        for (int attempt = 0; attempt < 3; attempt++) {
            assertThatThrownBy(() -> sink.deliver(batch))
                    .isInstanceOfSatisfying(FluentdUnavailableException.class, e -> assertThat(e.status()).isEqualTo(503))
                    .hasMessage("Fluentd at " + standIn.url("/test.log") + " answered 503 (expected 200)");
        }
        sink.deliver(batch);

        assertThat(receivedJson()).containsExactlyElementsOf(jsonOf(events));
        assertThat(standIn.requestCount()).isEqualTo(4);
        assertThat(sink.requestsFailed()).isEqualTo(3);
        assertThat(sink.eventsSent()).isEqualTo(20);
        assertThat(sink.batchesSent()).isEqualTo(1);
    }

    @Test
    void deadLettersTheEventFluentdRejectsAndDeliversTheOthersOnce() throws Exception {
        Delivery sink = sink(BatchMode.BATCH);
        List<AuditEvent> events = new ArrayList<>(fixtureEvents().subList(0, 20));
        ObjectNode poisoned = fixtureNodes().get(7);
        poisoned.put("time", 12345); // Fluentd's time parser refuses a non-string time with 400
        events.set(7, event(poisoned, 7));
        Batch batch = new Batch(events);
        sink.deliver(batch);

        List<AuditEvent> good = new ArrayList<>(events);
        good.remove(7);
        assertThat(batch.allSettled()).isTrue();
        assertThat(receivedJson()).containsExactlyElementsOf(jsonOf(good));
        assertThat(standIn.requestCount()).isEqualTo(1 + 20);
        assertThat(sink.deadLettered()).isEqualTo(1);
        assertThat(sink.eventsSent()).isEqualTo(19);

        List<String> lines = Files.readAllLines(sink.deadLetterFile());
        assertThat(lines).hasSize(1);
        JsonNode letter = JSON.readTree(lines.get(0));
        assertThat(letter.fieldNames()).toIterable().containsExactly("time", "status", "response", "url", "event");
        assertThat(Instant.parse(letter.get("time").asText())).isBetween(Instant.now().minusSeconds(60), Instant.now());
        assertThat(letter.get("status").asInt()).isEqualTo(400);
        assertThat(letter.get("response").asText()).isEqualTo("400 Bad Request\nvalue must be string: 12345\n");
        assertThat(letter.get("url").asText()).isEqualTo(standIn.url("/test.log"));
        assertThat(letter.get("event").toString()).isEqualTo(new String(events.get(7).json(), StandardCharsets.UTF_8));
        assertThat(Files.getPosixFilePermissions(sink.deadLetterFile()))
                .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    }

    @Test
    void leavesTheRefusedEventUnsettledUntilItsDeadLetterIsWritten() throws Exception {
        Path deadLetters = dir.resolve("state").resolve(DeadLetter.FILE_NAME);
        Files.createDirectories(deadLetters.resolve("in-the-way")); // a directory where the file should be
        Delivery sink = sink(BatchMode.BATCH);
        List<AuditEvent> events = new ArrayList<>(fixtureEvents().subList(0, 20));
        ObjectNode poisoned = fixtureNodes().get(7);
        poisoned.put("time", 12345);
        events.set(7, event(poisoned, 7));
        Batch batch = new Batch(events);

        CompletableFuture<Void> delivery = CompletableFuture.runAsync(() -> sink.deliver(batch));
        await().atMost(Duration.ofSeconds(30)).until(() -> standIn.requestCount() == 1 + 8);
        Thread.sleep(500); // the write is retried (20 ms doubling to 200 ms) while the file cannot be written
        assertThat(delivery).isNotDone();
        assertThat(batch.isSettled(7)).isFalse();
        assertThat(sink.deadLettered()).isZero();
        assertThat(standIn.requestCount()).isEqualTo(1 + 8);

        Files.delete(deadLetters.resolve("in-the-way"));
        Files.delete(deadLetters);
        delivery.get(30, TimeUnit.SECONDS);
        assertThat(batch.allSettled()).isTrue();
        assertThat(sink.deadLettered()).isEqualTo(1);
        List<AuditEvent> good = new ArrayList<>(events);
        good.remove(7);
        assertThat(receivedJson()).containsExactlyElementsOf(jsonOf(good));
        assertThat(Files.readAllLines(deadLetters)).singleElement()
                .satisfies(line -> assertThat(JSON.readTree(line).get("event").get("uid").asText())
                        .isEqualTo(events.get(7).id()));
    }

    @Test
    void resumesNarrowingAfterAnOutageWithOnlyTheUnsettledEvents() throws Exception {
        Delivery sink = sink(BatchMode.BATCH);
        List<AuditEvent> events = fixtureEvents().subList(0, 20);
        Batch batch = new Batch(events);
        standIn.rejectEvent(events.get(3).id(), 400);
        standIn.rejectEvent(events.get(10).id(), 503);

        assertThatThrownBy(() -> sink.deliver(batch)).isInstanceOf(FluentdUnavailableException.class)
                .hasMessageEndingWith("answered 503 (expected 200)");
        assertThat(batch.isSettled(9)).isTrue();
        assertThat(batch.isSettled(10)).isFalse();
        standIn.clearFaults();
        sink.deliver(batch);

        List<AuditEvent> good = new ArrayList<>(events);
        good.remove(3);
        assertThat(receivedJson()).containsExactlyElementsOf(jsonOf(good));
        // the rejected batch, events 0..10 one by one, then the rest (10..19) as one batch again
        assertThat(standIn.requestCount()).isEqualTo(1 + 11 + 1);
        assertThat(Files.readAllLines(sink.deadLetterFile())).hasSize(1)
                .allSatisfy(line -> assertThat(JSON.readTree(line).get("event").get("uid").asText()).isEqualTo(events.get(3).id()));
        assertThat(sink.deadLettered()).isEqualTo(1);
    }

    @Test
    void takesOnly200AsSuccessAndRetriesOther2xx3xxAnd429WithoutNarrowing() {
        Delivery sink = sink(BatchMode.BATCH);
        Batch batch = new Batch(fixtureEvents().subList(0, 5));
        for (int status : new int[] {204, 201, 302, 429, 408, 500}) {
            standIn.failNext(1, status);
            assertThatThrownBy(() -> sink.deliver(batch))
                    .isInstanceOfSatisfying(FluentdUnavailableException.class, e -> assertThat(e.status()).isEqualTo(status));
        }
        sink.deliver(batch);

        assertThat(standIn.requestCount()).isEqualTo(7);
        assertThat(standIn.eventCount()).isEqualTo(5);
        assertThat(sink.deadLettered()).isZero();
        assertThat(sink.deadLetterFile()).doesNotExist();
    }

    @Test
    void saysFluentdRefusesTheHandshakeWhenItAnswersTheClientHelloWithAnAlert() throws Exception {
        // What real Fluentd's OpenSSL sends to a client that tries to resume a session (fluent/fluentd#3632)
        byte[] internalErrorAlert = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x50};
        try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            ExecutorService refuser = Executors.newSingleThreadExecutor();
            toClose.add(refuser::shutdownNow);
            refuser.submit(() -> {
                try (Socket socket = server.accept()) {
                    socket.getInputStream().read(new byte[5]); // the start of the ClientHello
                    socket.getOutputStream().write(internalErrorAlert);
                    socket.getOutputStream().flush();
                    socket.getInputStream().readAllBytes();
                }
                return null;
            });
            String url = "https://localhost:" + server.getLocalPort() + "/test.log";
            Delivery sink = sink(BatchMode.BATCH);

            assertThatThrownBy(() -> sink.deliver(url, new Batch(fixtureEvents().subList(0, 2))))
                    .isInstanceOf(FluentdUnavailableException.class)
                    .hasMessage("Fluentd at " + url + " refuses the TLS handshake: it sent the alert internal_error");
        }
    }

    @Test
    void reportsAnUnreachableFluentdAndDeliversOnceItIsBack() {
        Delivery sink = sink(BatchMode.BATCH);
        List<AuditEvent> events = fixtureEvents().subList(0, 40);
        sink.deliver(new Batch(events.subList(0, 20)));
        standIn.stop();
        Batch second = new Batch(events.subList(20, 40));
        assertThatThrownBy(() -> sink.deliver(second)).isInstanceOf(FluentdUnavailableException.class)
                .hasMessageStartingWith("Fluentd at " + standIn.url("/test.log") + " is unreachable: ");
        assertThatThrownBy(() -> sink.deliver(second)).isInstanceOf(FluentdUnavailableException.class)
                .hasMessage("Fluentd at " + standIn.url("/test.log") + " is unreachable: connection refused");
        standIn.start();
        sink.deliver(second);

        assertThat(receivedJson()).containsExactlyElementsOf(jsonOf(events));
    }

    @Test
    void reusesKeptAliveConnectionsInsteadOfHandshakingPerRequest() throws Exception {
        Delivery sink = sink(BatchMode.BATCH);
        List<AuditEvent> events = generatedEvents(1000);
        batchesOf(20, events).forEach(sink::deliver);
        assertThat(standIn.requestCount()).isEqualTo(50);
        assertThat(standIn.handshakeCount()).isEqualTo(1);
        assertThat(standIn.connectionCount()).isEqualTo(1);
    }

    @Test
    void reconnectsAfterAPauseWithAFullHandshakeWhichIsAllRealFluentdAccepts() throws Exception {
        // The production stall: after a pause the pool opens a new connection, and a resumed TLS
        // session there is refused by Fluentd (and the stand-in) with alert internal_error, forever.
        Delivery sink = sink(BatchMode.BATCH);
        List<AuditEvent> events = fixtureEvents().subList(0, 40);
        sink.deliver(new Batch(events.subList(0, 20)));
        Thread.sleep(FluentdConnections.KEEP_ALIVE.toMillis() + 1000); // the pool lets the connection go
        sink.deliver(new Batch(events.subList(20, 40)));

        assertThat(receivedJson()).containsExactlyElementsOf(jsonOf(events));
        assertThat(standIn.handshakeCount()).isEqualTo(2);
        assertThat(standIn.refusedResumptionCount()).isZero();
        assertThat(sink.requestsFailed()).isZero();
    }

    @Test
    void sendsConcurrentBatchesOverAtMostMaxConnections() throws Exception {
        Delivery sink = delivery(clientBuilder().build(), 3, FluentdConnections.RESPONSE_TIMEOUT, BatchMode.BATCH,
                dir.resolve("state"));
        standIn.latency(Duration.ofMillis(5));
        List<AuditEvent> events = generatedEvents(1200);
        ExecutorService threads = Executors.newFixedThreadPool(6);
        try {
            List<Future<?>> sent = new ArrayList<>();
            for (Batch batch : batchesOf(20, events)) {
                sent.add(threads.submit(() -> sink.deliver(batch)));
            }
            for (Future<?> future : sent) {
                future.get();
            }
        } finally {
            threads.shutdown();
        }
        assertThat(standIn.requestCount()).isEqualTo(60);
        assertThat(standIn.connectionCount()).isBetween(2L, 3L);
        assertThat(standIn.eventIds(TAG)).hasSize(1200).doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(events.stream().map(AuditEvent::id).toList());
    }

    @Test
    void sendsToAnotherUrlWhenAsked() {
        Delivery sink = sink(BatchMode.BATCH);
        sink.deliver(standIn.url("/session.4a5b.log"), new Batch(fixtureEvents().subList(0, 3)));
        assertThat(standIn.tags()).containsExactly("session.4a5b.log");
        assertThat(standIn.events("session.4a5b.log")).hasSize(3);
    }

    @Test
    void doesNotSendASettledBatchAgain() {
        Delivery sink = sink(BatchMode.BATCH);
        Batch batch = new Batch(fixtureEvents().subList(0, 3));
        sink.deliver(batch);
        sink.deliver(batch);
        assertThat(standIn.requestCount()).isEqualTo(1);
        assertThat(sink.batchesSent()).isEqualTo(1);
    }

    @Test
    void givesUpWaitingAfterTheResponseTimeout() {
        Delivery sink = delivery(clientBuilder().build(), 4, Duration.ofMillis(300), BatchMode.BATCH,
                dir.resolve("state"));
        standIn.latency(Duration.ofSeconds(2));
        assertThatThrownBy(() -> sink.deliver(new Batch(fixtureEvents().subList(0, 2))))
                .isInstanceOf(FluentdUnavailableException.class).hasMessageEndingWith(" is unreachable: timed out");
    }

    @Test
    void sameKeyEncryptedEveryWayWithItsPassphraseWorks() {
        Path pkcs8 = pki.writeKey("client-pkcs8.key", pki.client(), PemFormat.PKCS8, "client-pass");
        Path traditional = pki.writeKey("client-ec.key", pki.client(), PemFormat.TRADITIONAL, "client-pass");
        var rsa = pki.ca().leaf("rsa-client").key(KeyKind.RSA, 2048).forClient().issue();
        Path rsaCert = pki.writeCertificate("rsa-client.crt", rsa);
        Path rsaKey = pki.writeKey("rsa-client.key", rsa, PemFormat.TRADITIONAL, "client-pass");
        int delivered = 0;
        for (Path[] pair : new Path[][] {{pki.clientCertFile(), pkcs8}, {pki.clientCertFile(), traditional}, {rsaCert, rsaKey}}) {
            FluentdTls tls = clientBuilder().cert(pair[0]).key(pair[1]).keyPassphrase("client-pass".toCharArray()).build();
            try (Delivery sink = delivery(tls, 4, FluentdConnections.RESPONSE_TIMEOUT, BatchMode.BATCH, dir)) {
                sink.deliver(new Batch(fixtureEvents().subList(delivered, delivered + 2)));
            }
            delivered += 2;
        }
        assertThat(standIn.eventCount()).isEqualTo(6);
    }

    @Test
    void explainsKeyProblemsNamingTheKeyAndFileButNeverThePassphrase() {
        Path encrypted = pki.writeKey("client-enc.key", pki.client(), PemFormat.TRADITIONAL, "client-pass");
        assertThatThrownBy(() -> clientBuilder().key(encrypted).build()).isInstanceOf(ConfigException.class)
                .hasMessage("forward.fluentd.key: " + encrypted
                        + ": the private key is encrypted and no passphrase was given (set forward.fluentd.key-passphrase)");
        assertThatThrownBy(() -> clientBuilder().key(encrypted).keyPassphrase("not-the-pass".toCharArray()).build())
                .isInstanceOf(ConfigException.class)
                .hasMessage("forward.fluentd.key: " + encrypted
                        + ": cannot decrypt the private key (wrong passphrase? check forward.fluentd.key-passphrase)")
                .message().doesNotContain("not-the-pass").doesNotContain("client-pass");
        TestPki other = TestPki.create(dir.resolve("other"));
        assertThatThrownBy(() -> clientBuilder().key(other.clientKeyFile()).build()).isInstanceOf(ConfigException.class)
                .hasMessage("forward.fluentd.key: " + other.clientKeyFile() + ": is not the key of the certificate in "
                        + "forward.fluentd.cert (" + pki.clientCertFile() + ")");
        Path missing = dir.resolve("missing.crt");
        assertThatThrownBy(() -> clientBuilder().cert(missing).build()).isInstanceOf(ConfigException.class)
                .hasMessage("forward.fluentd.cert: " + missing + ": file not found");
        assertThatThrownBy(() -> clientBuilder().ca(pki.clientKeyFile()).build()).isInstanceOf(ConfigException.class)
                .hasMessage("forward.fluentd.ca: " + pki.clientKeyFile() + ": no PEM certificate found");
        assertThatThrownBy(() -> new FluentdSink(clientBuilder().build(), "localhost:8888/test.log", BatchMode.BATCH))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("forward.fluentd.url: ");
    }

    @Test
    void refusesAServerSignedByAnotherCaAndSaysSo() {
        TestPki other = TestPki.create(dir.resolve("other"));
        Delivery sink = delivery(clientBuilder().ca(other.caFile()).build(), 4, FluentdConnections.RESPONSE_TIMEOUT,
                BatchMode.BATCH, dir);
        assertThatThrownBy(() -> sink.deliver(new Batch(fixtureEvents().subList(0, 2))))
                .isInstanceOf(FluentdUnavailableException.class)
                .hasMessage("Fluentd at " + standIn.url("/test.log") + " is unreachable: TLS: the server certificate is not "
                        + "signed by a CA in forward.fluentd.ca (" + other.caFile() + ")");
        Delivery jvmTrust = delivery(clientBuilder().ca(null).build(), 4, FluentdConnections.RESPONSE_TIMEOUT,
                BatchMode.BATCH, dir);
        assertThatThrownBy(() -> jvmTrust.deliver(new Batch(fixtureEvents().subList(0, 2))))
                .isInstanceOf(FluentdUnavailableException.class)
                .hasMessageEndingWith("not signed by a CA in the JVM's default trust store (forward.fluentd.ca is not set)");
        assertThat(standIn.eventCount()).isZero();
    }

    @Test
    void refusesAServerCertificateForAnotherHostName() {
        var elsewhere = pki.ca().leaf("fluentd.example").dnsNames("fluentd.example").forServer().issue();
        try (FluentdStandIn impostor = FluentdStandIn.builder().clientCa(pki.caFile()).serverCertificate(elsewhere).build().start()) {
            Delivery sink = sink(BatchMode.BATCH);
            assertThatThrownBy(() -> sink.deliver(impostor.url("/test.log"), new Batch(fixtureEvents().subList(0, 2))))
                    .isInstanceOf(FluentdUnavailableException.class)
                    .hasMessageContaining("is unreachable: TLS: the server certificate does not match the host name");
            assertThat(impostor.eventCount()).isZero();
        }
        Delivery byName = sink(BatchMode.BATCH);
        byName.deliver("https://localhost:" + standIn.port() + "/test.log", new Batch(fixtureEvents().subList(0, 2)));
        assertThat(standIn.eventCount()).isEqualTo(2);
    }

    @Test
    void reportsThatFluentdRefusedAClientWithoutCertificate() {
        Delivery sink = delivery(clientBuilder().cert(null).key(null).build(), 4, FluentdConnections.RESPONSE_TIMEOUT,
                BatchMode.BATCH, dir);
        assertThatThrownBy(() -> sink.deliver(new Batch(fixtureEvents().subList(0, 2))))
                .isInstanceOf(FluentdUnavailableException.class)
                .hasMessageStartingWith("Fluentd at " + standIn.url("/test.log") + " is unreachable: ")
                .hasMessageEndingWith(" (no client certificate is set; Fluentd with client_cert_auth needs "
                        + "forward.fluentd.cert and forward.fluentd.key)");
        assertThatThrownBy(() -> clientBuilder().cert(null).build()).isInstanceOf(ConfigException.class)
                .hasMessage("forward.fluentd.cert: required with forward.fluentd.key (" + pki.clientKeyFile() + ")");
    }

    /** SIGHUP's reload: new connections present the renewed certificate, pooled ones keep theirs until they close. */
    @Test
    void renewedFilesServeTheNextConnectionsAndPooledOnesKeepTheirCertificate() {
        FluentdTls tls = clientBuilder().build();
        Delivery sink = delivery(tls, 4, FluentdConnections.RESPONSE_TIMEOUT, BatchMode.BATCH, dir.resolve("state"));
        sink.deliver(new Batch(fixtureEvents().subList(0, 2)));
        assertThat(standIn.lastClientCertificate()).contains(pki.client().x509());

        var renewed = pki.ca().leaf("renewed-client").forClient().issue();
        tls.renewFrom(clientBuilder().cert(pki.writeCertificate("renewed.crt", renewed))
                .key(pki.writeKey("renewed.key", renewed, PemFormat.PKCS8, null)).build());
        assertThat(tls.describe()).contains("renewed.crt", "CN=renewed-client", "forward.fluentd.ca (" + pki.caFile());
        long handshakes = standIn.handshakeCount();
        sink.deliver(new Batch(fixtureEvents().subList(2, 4)));
        assertThat(standIn.handshakeCount()).as("the pooled connection carried it").isEqualTo(handshakes);
        assertThat(standIn.lastClientCertificate()).contains(pki.client().x509());

        standIn.stop(); // closes the pooled connections, as Fluentd's keep-alive timeout would
        standIn.start();
        Batch next = new Batch(fixtureEvents().subList(4, 6));
        for (int attempt = 0; !next.allSettled() && attempt < 3; attempt++) {
            try {
                sink.deliver(next);
            } catch (FluentdUnavailableException e) {
                // the pool may lend the connection the stand-in just closed, once
            }
        }
        assertThat(next.allSettled()).isTrue();
        assertThat(standIn.lastClientCertificate()).contains(renewed.x509());
        assertThat(standIn.eventCount()).isEqualTo(6);
    }

    @Test
    void readsTheBatchModeFromConfiguration() {
        assertThat(BatchMode.of("single")).isEqualTo(BatchMode.SINGLE);
        assertThat(BatchMode.of(" Batch ")).isEqualTo(BatchMode.BATCH);
        assertThatThrownBy(() -> BatchMode.of("bulk")).isInstanceOf(ConfigException.class)
                .hasMessage("forward.fluentd.batch-mode: unknown value 'bulk' (expected batch or single)");
    }

    // ---- helpers ---------------------------------------------------------------------------

    private FluentdTls.Builder clientBuilder() {
        return FluentdTls.builder().cert(pki.clientCertFile()).key(pki.clientKeyFile()).ca(pki.caFile());
    }

    private Delivery sink(BatchMode mode) {
        return delivery(clientBuilder().build(), 4, FluentdConnections.RESPONSE_TIMEOUT, mode, dir.resolve("state"));
    }

    /** The sink as the routes use it: the fluentd-deliver route with its beans. */
    private Delivery delivery(FluentdTls tls, int maxConnections, Duration responseTimeout, BatchMode mode, Path state) {
        FluentdSink sink = new FluentdSink(tls, standIn.url("/test.log"), mode);
        Delivery delivery = new Delivery(sink,
                FluentdRoute.start(sink, tls, standIn.url("/test.log"), maxConnections, responseTimeout, state), state);
        toClose.add(delivery);
        return delivery;
    }

    /** What the tests call: the route for sending, the bean for counting. */
    private record Delivery(FluentdSink sink, FluentdRoute route, Path state) implements AutoCloseable {
        void deliver(Batch batch) {
            route.deliver(batch);
        }

        void deliver(String target, Batch batch) {
            route.deliver(target, batch);
        }

        long eventsSent() {
            return sink.eventsSent();
        }

        long batchesSent() {
            return sink.batchesSent();
        }

        long requestsFailed() {
            return sink.requestsFailed();
        }

        long deadLettered() {
            return sink.deadLettered();
        }

        /** Where the dead-letter route writes (it exists once the first event is dead-lettered). */
        Path deadLetterFile() {
            return state.resolve(DeadLetter.FILE_NAME);
        }

        @Override
        public void close() {
            route.close();
        }
    }

    private List<String> receivedJson() {
        return standIn.events(TAG).stream().map(ReceivedEvent::json).toList();
    }

    private static List<String> jsonOf(List<AuditEvent> events) {
        return events.stream().map(event -> new String(event.json(), StandardCharsets.UTF_8)).toList();
    }

    private static List<Batch> batchesOf(int size, List<AuditEvent> events) {
        List<Batch> batches = new ArrayList<>();
        for (int from = 0; from < events.size(); from += size) {
            batches.add(new Batch(events.subList(from, Math.min(events.size(), from + size))));
        }
        return batches;
    }

    /** The fixture events; those without a uid get one, as every event a real cluster sends has. */
    private static List<ObjectNode> fixtureNodes() {
        List<ObjectNode> nodes = Fixtures.auditEvents();
        for (int i = 0; i < nodes.size(); i++) {
            if (!nodes.get(i).hasNonNull("uid")) {
                nodes.get(i).put("uid", "fixture-" + i);
            }
        }
        return nodes;
    }

    private static List<AuditEvent> fixtureEvents() {
        List<ObjectNode> nodes = fixtureNodes();
        List<AuditEvent> events = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            events.add(event(nodes.get(i), i));
        }
        return events;
    }

    /** {@code count} events cycling through the fixtures, each with its own uid. */
    private static List<AuditEvent> generatedEvents(int count) {
        List<ObjectNode> nodes = fixtureNodes();
        List<AuditEvent> events = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ObjectNode node = nodes.get(i % nodes.size()).deepCopy();
            node.put("uid", "generated-" + i);
            events.add(event(node, i));
        }
        return events;
    }

    private static AuditEvent event(ObjectNode node, long sequence) {
        JsonNode time = node.get("time");
        Instant instant = time != null && time.isTextual() ? OffsetDateTime.parse(time.asText()).toInstant() : Instant.EPOCH;
        return new AuditEvent(node.get("uid").asText(), node.path("event").asText(), instant, node.path("ei").asLong(),
                EventJson.toStruct(node));
    }
}
