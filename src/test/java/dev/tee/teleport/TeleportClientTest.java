package dev.tee.teleport;

import static dev.tee.testing.RawTwins.full;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Timestamp;
import dev.tee.teleport.proto.raw.RawEvent;
import dev.tee.config.ConfigException;
import dev.tee.demo.FakeTeleport;
import dev.tee.teleport.proto.auditlog.EventUnstructured;
import dev.tee.teleport.proto.auditlog.EventsUnstructured;
import dev.tee.teleport.proto.auditlog.GetUnstructuredEventsRequest;
import dev.tee.teleport.proto.auditlog.Order;
import dev.tee.teleport.proto.auth.PingResponse;
import dev.tee.teleport.proto.types.LockSpecV2;
import dev.tee.teleport.proto.types.LockTarget;
import dev.tee.teleport.proto.types.LockV2;
import dev.tee.teleport.proto.types.Metadata;
import dev.tee.testing.Fixtures;
import dev.tee.tls.Pem;
import dev.tee.tls.PemException;
import io.grpc.Status;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TeleportClientTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant EPOCH = Instant.parse("2019-01-01T00:00:00Z");
    private static final Instant FAR = Instant.parse("2030-01-01T00:00:00Z");

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
    void pingReturnsClusterNameVersionAndOurAddress() {
        FakeTeleport fake = start(FakeTeleport.builder().clusterName("prod.example.com").serverVersion("17.4.2"));

        PingResponse ping = connect(fake).ping();

        assertThat(ping.getClusterName()).isEqualTo("prod.example.com");
        assertThat(ping.getServerVersion()).isEqualTo("17.4.2");
        assertThat(ping.getRemoteAddr()).startsWith("127.0.0.1:");
    }

    @Test
    void pagesOfSevenInTimeWindowsReturnEveryFixtureEventOnceInOrder() {
        FakeTeleport fake = start(FakeTeleport.builder().events(Fixtures.auditEvents()));
        TeleportClient client = connect(fake);

        List<EventUnstructured> read = new ArrayList<>();
        int pages = 0;
        Duration window = Duration.ofDays(90);
        for (Instant from = EPOCH; from.isBefore(Instant.parse("2025-01-01T00:00:00Z")); from = from.plus(window)) {
            Instant to = from.plus(window).minusNanos(1); // the range is inclusive at both ends
            String key = "";
            do {
                EventsUnstructured page = full(client.getUnstructuredEvents(search(from, to).setLimit(7).setStartKey(key).build()));
                assertThat(page.getItemsCount()).isLessThanOrEqualTo(7);
                read.addAll(page.getItemsList());
                key = page.getLastKey();
                pages++;
            } while (!key.isEmpty());
        }

        List<String> ids = read.stream().map(EventUnstructured::getId).toList();
        assertThat(ids).hasSize(170).doesNotHaveDuplicates()
                .containsExactlyElementsOf(fake.events().stream().map(EventUnstructured::getId).toList());
        assertThat(read).isSortedAccordingTo(Comparator.comparing((EventUnstructured e) -> e.getTime().getSeconds())
                .thenComparing(e -> e.getTime().getNanos()).thenComparing(EventUnstructured::getIndex));
        List<String> fixtureUids = Fixtures.auditEvents().stream().filter(e -> e.has("uid"))
                .map(e -> e.get("uid").asText()).toList();
        assertThat(ids).containsAll(fixtureUids);
        assertThat(fake.calls("GetUnstructuredEvents")).isEqualTo(pages);
    }

    @Test
    void pageStopsBeforeOneMebibyteOfEventJsonAndSaysThereIsMore() {
        FakeTeleport fake = start(FakeTeleport.builder().events(IntStream.range(0, 5)
                .mapToObj(i -> event("big-" + i, "2024-05-01T00:00:0" + i + "Z", "session.command")
                        .put("blob", "x".repeat(300_000)))
                .toList()));
        TeleportClient client = connect(fake);

        EventsUnstructured first = full(client.getUnstructuredEvents(search(EPOCH, FAR).setLimit(100).build()));
        EventsUnstructured second = full(client.getUnstructuredEvents(
                search(EPOCH, FAR).setLimit(100).setStartKey(first.getLastKey()).build()));

        assertThat(ids(first)).containsExactly("big-0", "big-1", "big-2");
        assertThat(first.getLastKey()).isNotEmpty();
        assertThat(ids(second)).containsExactly("big-3", "big-4");
        assertThat(second.getLastKey()).isEmpty();
    }

    @Test
    void limitZeroMeansFiveHundred() {
        FakeTeleport fake = start(FakeTeleport.builder().events(IntStream.range(0, 501)
                .mapToObj(i -> event("e-" + i, "2024-05-01T00:00:00Z", "user.login").put("ei", i)).toList()));

        EventsUnstructured page = full(connect(fake).getUnstructuredEvents(search(EPOCH, FAR).setLimit(0).build()));

        assertThat(page.getItemsCount()).isEqualTo(500);
        assertThat(page.getLastKey()).isNotEmpty();
    }

    @Test
    void limitAboveTenThousandIsInvalidArgument() {
        TeleportClient client = connect(start(FakeTeleport.builder()));

        assertThatThrownBy(() -> client.getUnstructuredEvents(search(EPOCH, FAR).setLimit(20_000).build()))
                .isInstanceOfSatisfying(TeleportException.class, e -> {
                    assertThat(e.code()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.isRetryable()).isFalse();
                })
                .hasMessage("Teleport GetUnstructuredEvents failed (INVALID_ARGUMENT): limit 20000 exceeds 10000");
    }

    @Test
    void malformedStartKeyIsInvalidArgument() {
        TeleportClient client = connect(start(FakeTeleport.builder()));

        assertThatThrownBy(() -> client.getUnstructuredEvents(search(EPOCH, FAR).setStartKey("%%not-ours").build()))
                .isInstanceOfSatisfying(TeleportException.class,
                        e -> assertThat(e.code()).isEqualTo(Status.Code.INVALID_ARGUMENT))
                .hasMessage("Teleport GetUnstructuredEvents failed (INVALID_ARGUMENT): malformed start_key");
    }

    @Test
    void eventsAppendedWhilePagingAreFoundOnTheNextCalls() {
        FakeTeleport fake = start(FakeTeleport.builder().events(List.of(
                event("a", "2024-05-01T00:00:01Z", "user.login"),
                event("b", "2024-05-01T00:00:02Z", "user.login"),
                event("c", "2024-05-01T00:00:03Z", "user.login"))));
        TeleportClient client = connect(fake);

        EventsUnstructured first = full(client.getUnstructuredEvents(search(EPOCH, FAR).setLimit(2).build()));
        fake.append(event("d", "2024-05-01T00:00:04Z", "user.login"));
        EventsUnstructured second = full(client.getUnstructuredEvents(
                search(EPOCH, FAR).setLimit(2).setStartKey(first.getLastKey()).build()));
        fake.append(event("e", "2024-05-01T00:00:05Z", "user.login"));
        // the log was exhausted: re-poll from the same start key, as the Go handler does
        EventsUnstructured again = full(client.getUnstructuredEvents(
                search(EPOCH, FAR).setLimit(2).setStartKey(first.getLastKey()).build()));
        EventsUnstructured rest = full(client.getUnstructuredEvents(
                search(EPOCH, FAR).setLimit(2).setStartKey(again.getLastKey()).build()));

        assertThat(ids(first)).containsExactly("a", "b");
        assertThat(ids(second)).containsExactly("c", "d");
        assertThat(second.getLastKey()).isEmpty();
        assertThat(ids(again)).containsExactly("c", "d");
        assertThat(ids(rest)).containsExactly("e");
        assertThat(rest.getLastKey()).isEmpty();
    }

    @Test
    void eventTypesFilterOnTheServer() {
        FakeTeleport fake = start(FakeTeleport.builder().events(Fixtures.auditEvents()));

        EventsUnstructured page = full(connect(fake).getUnstructuredEvents(search(EPOCH, FAR)
                .addEventTypes("user.login").addEventTypes("session.end").build()));

        assertThat(page.getItemsList()).extracting(EventUnstructured::getType)
                .hasSize(7).containsOnly("user.login", "session.end");
        assertThat(page.getLastKey()).isEmpty();
    }

    @Test
    void descendingOrderReturnsNewestFirst() {
        FakeTeleport fake = start(FakeTeleport.builder().events(Fixtures.auditEvents()));

        EventsUnstructured page = full(connect(fake).getUnstructuredEvents(search(EPOCH, FAR)
                .setOrder(Order.ORDER_DESCENDING_UNSPECIFIED).build()));

        List<EventUnstructured> newestFirst = new ArrayList<>(fake.events());
        Collections.reverse(newestFirst);
        assertThat(page.getItemsList()).containsExactlyElementsOf(newestFirst);
    }

    @Test
    void timeRangeIncludesBothEnds() {
        FakeTeleport fake = start(FakeTeleport.builder().events(List.of(
                event("before", "2024-05-01T00:00:00.999Z", "user.login"),
                event("start", "2024-05-01T00:00:01Z", "user.login"),
                event("end", "2024-05-01T00:00:02Z", "user.login"),
                event("after", "2024-05-01T00:00:02.001Z", "user.login"))));

        EventsUnstructured page = full(connect(fake).getUnstructuredEvents(search(
                Instant.parse("2024-05-01T00:00:01Z"), Instant.parse("2024-05-01T00:00:02Z")).build()));

        assertThat(ids(page)).containsExactly("start", "end");
    }

    @Test
    void serverOfAnotherCaIsAConfigurationError() {
        FakeTeleport fake = start(FakeTeleport.builder());
        FakeTeleport other = FakeTeleport.builder().build();
        Path identity = other.writeIdentityFile(dir.resolve("other-identity"), "exporter", Duration.ofHours(1));
        TeleportClient client = open(new TeleportClient(fake.address(), IdentityFile.load(identity)));

        assertThatThrownBy(client::ping).isInstanceOf(ConfigException.class)
                .hasMessage("teleport.identity: the Teleport server's certificate at " + fake.address()
                        + " is not signed by a CA in the identity file " + identity + " (wrong cluster or wrong CA)");
    }

    @Test
    void clientCertificateOfAnotherClusterIsRejectedAsTeleportWould() {
        FakeTeleport fake = start(FakeTeleport.builder());
        Path identity = FakeTeleport.builder().build().writeIdentityFile(dir.resolve("foreign"), "mallory",
                Duration.ofHours(1));
        TeleportCredentials foreign = IdentityFile.load(identity);
        TeleportCredentials trustingFake = new TeleportCredentials(foreign.certificateChain(), foreign.privateKey(),
                List.of(fake.hostCaCertificate()), foreign.notAfter(), foreign.source());
        TeleportClient client = open(new TeleportClient(fake.address(), trustingFake));

        assertThatThrownBy(client::ping).isInstanceOf(ConfigException.class)
                .hasMessage("teleport.identity: the Teleport server at " + fake.address()
                        + " rejected the client certificate in " + identity
                        + " (TLS alert unknown_ca): it is not issued by this cluster's user CA, or it was revoked");
    }

    @Test
    void clientCertificateThatExpiredWhileRunningIsRejectedWithItsDate() {
        FakeTeleport fake = start(FakeTeleport.builder());
        Instant notAfter = Instant.parse("2026-01-01T00:00:00Z");
        Path identity = fake.identity("exporter").validity(notAfter.minus(Duration.ofDays(1)), notAfter)
                .writeIdentityFile(dir.resolve("identity"));
        TeleportCredentials valid = IdentityFile.load(fake.writeIdentityFile(dir.resolve("valid"), "x", Duration.ofHours(1)));
        // what a long-running exporter holds once its certificate has expired: loading it now would fail
        TeleportCredentials expired = expiredCredentials(identity, valid, notAfter);
        TeleportClient client = open(new TeleportClient(fake.address(), expired));

        assertThatThrownBy(client::ping).isInstanceOf(ConfigException.class)
                .hasMessage("teleport.identity: the Teleport server at " + fake.address()
                        + " rejected the client certificate in " + identity + " (TLS alert certificate_expired): it"
                        + " expired at 2026-01-01T00:00:00Z; issue a new one (or let tbot renew it and set"
                        + " teleport.refresh.enabled)");
    }

    @Test
    void unreachableServerIsRetryableAndTheClientReconnectsWhenItIsBack() {
        FakeTeleport fake = start(FakeTeleport.builder());
        TeleportClient client = connect(fake);
        client.ping();

        fake.stop();

        assertThatThrownBy(client::ping).isInstanceOfSatisfying(TeleportException.class, e -> {
            assertThat(e.isRetryable()).isTrue();
            assertThat(e.code()).isEqualTo(Status.Code.UNAVAILABLE);
        }).hasMessageStartingWith("cannot reach Teleport at " + fake.address() + ": ");

        fake.restart();
        await().atMost(Duration.ofSeconds(10)).ignoreException(TeleportException.class)
                .untilAsserted(() -> assertThat(client.ping().getClusterName()).isEqualTo(fake.clusterName()));
    }

    @Test
    void nobodyListeningIsRetryableWithTheReason() {
        FakeTeleport fake = start(FakeTeleport.builder());
        TeleportClient client = connect(fake);
        fake.stop();

        assertThatThrownBy(client::ping).isInstanceOfSatisfying(TeleportException.class,
                        e -> assertThat(e.isRetryable()).isTrue())
                .hasMessageContaining("Connection refused");
    }

    @Test
    void injectedOutageFailsTheNextCallsThenPasses() {
        FakeTeleport fake = start(FakeTeleport.builder().events(Fixtures.auditEvents()));
        TeleportClient client = connect(fake);
        fake.failNext("GetUnstructuredEvents", 2, Status.UNAVAILABLE.withDescription("auth server restarting"));

        for (int i = 0; i < 2; i++) {
            assertThatThrownBy(() -> client.getUnstructuredEvents(search(EPOCH, FAR).build()))
                    .isInstanceOfSatisfying(TeleportException.class, e -> assertThat(e.isRetryable()).isTrue())
                    .hasMessage("cannot reach Teleport at " + fake.address() + ": auth server restarting");
        }
        assertThat(client.getUnstructuredEvents(search(EPOCH, FAR).build()).getItemsCount()).isEqualTo(170);
        assertThat(fake.calls("GetUnstructuredEvents")).isEqualTo(3);
    }

    @Test
    void permissionDeniedNamesTheRightsTheRoleNeeds() {
        FakeTeleport fake = start(FakeTeleport.builder());
        TeleportClient client = connect(fake);
        fake.failNext("GetUnstructuredEvents", 1,
                Status.PERMISSION_DENIED.withDescription("access denied to perform action \"list\" on \"event\""));
        fake.failNext("UpsertLock", 1, Status.PERMISSION_DENIED.withDescription("access denied"));

        assertThatThrownBy(() -> client.getUnstructuredEvents(search(EPOCH, FAR).build()))
                .isInstanceOfSatisfying(TeleportException.class,
                        e -> assertThat(e.code()).isEqualTo(Status.Code.PERMISSION_DENIED))
                .hasMessage("Teleport denied access (access denied to perform action \"list\" on \"event\"): the"
                        + " exporter's role needs rules for resources event and session with verbs list and read");
        assertThatThrownBy(() -> client.upsertLock(lock("bob")))
                .hasMessage("Teleport denied access (access denied): the exporter's role needs a rule for resource"
                        + " lock with verbs create and update");
    }

    @Test
    void permissionDeniedOnStreamsNamesTheRightsTheRoleNeeds() {
        FakeTeleport fake = start(FakeTeleport.builder().bulkExport(true));
        TeleportClient client = connect(fake);
        fake.failNext("GetEventExportChunks", 1,
                Status.PERMISSION_DENIED.withDescription("access denied to perform action \"list\" on \"event\""));
        fake.failNext("StreamUnstructuredSessionEvents", 1,
                Status.PERMISSION_DENIED.withDescription("access denied to perform action \"read\" on \"session\""));

        try (ServerStream<?> chunks = client.getEventExportChunks(Instant.now());
                ServerStream<?> session = client.streamSessionEvents("9f3a", 0)) {
            assertThatThrownBy(chunks::hasNext).hasMessage("Teleport denied access (access denied to perform action"
                    + " \"list\" on \"event\"): the exporter's role needs rules for resources event and session with"
                    + " verbs list and read");
            assertThatThrownBy(session::hasNext).hasMessage("Teleport denied access (access denied to perform action"
                    + " \"read\" on \"session\"): the exporter's role needs rules for resources event and session"
                    + " with verbs list and read");
        }
    }

    @Test
    void rejectedClientVersionIsNotBlamedOnTheRole() {
        FakeTeleport fake = start(FakeTeleport.builder());
        TeleportClient client = connect(fake);
        fake.failNext("Ping", 1, Status.PERMISSION_DENIED.withDescription("client version is unsupported"));

        assertThatThrownBy(client::ping).isInstanceOfSatisfying(TeleportException.class,
                        e -> assertThat(e.code()).isEqualTo(Status.Code.PERMISSION_DENIED))
                .hasMessage("Teleport at " + fake.address() + " refused the exporter's client version (client version"
                        + " is unsupported)");
    }

    @Test
    void exportProbeIsUnimplementedOnThisBackend() {
        TeleportClient client = connect(start(FakeTeleport.builder()));

        try (ServerStream<?> chunks = client.getEventExportChunks(Instant.now().plus(Duration.ofDays(2)));
                ServerStream<?> events = client.exportUnstructuredEvents(Instant.now(), "chunk", "")) {
            assertThatThrownBy(chunks::hasNext).isInstanceOfSatisfying(TeleportException.class,
                    e -> assertThat(e.isUnimplemented()).isTrue())
                    .hasMessageContaining("does not support GetEventExportChunks")
                    .hasMessageEndingWith("backend does not support streaming export");
            assertThatThrownBy(events::hasNext).isInstanceOfSatisfying(TeleportException.class,
                    e -> assertThat(e.isUnimplemented()).isTrue());
        }
    }

    @Test
    void missingRecordingIsNotFound() {
        TeleportClient client = connect(start(FakeTeleport.builder()));

        try (ServerStream<RawEvent> stream = client.streamSessionEvents("9f3a", 0)) {
            assertThatThrownBy(stream::hasNext).isInstanceOfSatisfying(TeleportException.class, e -> {
                assertThat(e.isNotFound()).isTrue();
                assertThat(e.isRetryable()).isFalse();
            });
        }
    }

    @Test
    void upsertLockIsRecordedByTheServer() {
        FakeTeleport fake = start(FakeTeleport.builder());
        TeleportClient client = connect(fake);

        client.upsertLock(lock("bob"));

        assertThat(fake.locks()).containsExactly(lock("bob"));
        assertThatThrownBy(() -> client.upsertLock(LockV2.getDefaultInstance()))
                .isInstanceOfSatisfying(TeleportException.class,
                        e -> assertThat(e.code()).isEqualTo(Status.Code.INVALID_ARGUMENT));
    }

    @Test
    void addressMustBeHostAndPort() {
        TeleportCredentials credentials = IdentityFile.load(
                FakeTeleport.builder().build().writeIdentityFile(dir.resolve("id"), "x", Duration.ofHours(1)));

        for (String address : List.of("teleport.example.com", "https://teleport.example.com:443", ":3025", "h:0")) {
            assertThatThrownBy(() -> new TeleportClient(address, credentials)).isInstanceOf(ConfigException.class)
                    .hasMessageStartingWith("teleport.addr: \"" + address + "\" ");
        }
    }

    private TeleportCredentials expiredCredentials(Path identity, TeleportCredentials template, Instant notAfter) {
        try {
            String text = Files.readString(identity);
            return new TeleportCredentials(Pem.readCertificates(text).subList(0, 1),
                    Pem.readPrivateKey(text, null), template.trustedAuthorities(), notAfter,
                    TeleportCredentials.Source.identityFile(identity));
        } catch (IOException | PemException e) {
            throw new IllegalStateException(e);
        }
    }

    private FakeTeleport start(FakeTeleport.Builder builder) {
        return open(builder.start());
    }

    private TeleportClient connect(FakeTeleport fake) {
        Path identity = fake.writeIdentityFile(dir.resolve("identity-" + resources.size()), "exporter",
                Duration.ofHours(1));
        return open(new TeleportClient(fake.address(), IdentityFile.load(identity)));
    }

    private <T extends AutoCloseable> T open(T resource) {
        resources.add(resource);
        return resource;
    }

    private static GetUnstructuredEventsRequest.Builder search(Instant from, Instant to) {
        return GetUnstructuredEventsRequest.newBuilder().setNamespace("default")
                .setStartDate(timestamp(from)).setEndDate(timestamp(to)).setOrder(Order.ORDER_ASCENDING);
    }

    private static Timestamp timestamp(Instant instant) {
        return Timestamp.newBuilder().setSeconds(instant.getEpochSecond()).setNanos(instant.getNano()).build();
    }

    private static ObjectNode event(String uid, String time, String type) {
        return JSON.createObjectNode().put("event", type).put("uid", uid).put("time", time).put("ei", 0);
    }

    private static List<String> ids(EventsUnstructured page) {
        return page.getItemsList().stream().map(EventUnstructured::getId).toList();
    }

    private static LockV2 lock(String user) {
        return LockV2.newBuilder()
                .setMetadata(Metadata.newBuilder().setName("event-handler-auto-lock-" + user + "-root"))
                .setSpec(LockSpecV2.newBuilder().setTarget(LockTarget.newBuilder().setUser(user).setLogin("root"))
                        .setMessage("User is locked due to too many failed login attempts"))
                .build();
    }
}
