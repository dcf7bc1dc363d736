package dev.tee.teleport;

import static dev.tee.testing.RawTwins.full;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tee.teleport.proto.raw.RawEvent;
import dev.tee.config.ConfigException;
import dev.tee.demo.FakeTeleport;
import dev.tee.demo.SessionRecording;
import dev.tee.teleport.proto.auditlog.EventUnstructured;
import dev.tee.testing.Fixtures;
import dev.tee.tls.TlsMaterial;
import io.grpc.Status;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reaching the Auth Service through a Proxy web port with TLS routing (teleport-wire.md §2.4). */
class TeleportProxyTest {

    private static final String CLUSTER = "acme.example.com";
    private static final ObjectMapper JSON = new ObjectMapper();

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
    void pingsThroughTheProxyWithMutualTlsEndToEnd() {
        FakeTeleport fake = start(FakeTeleport.builder().clusterName(CLUSTER).proxy(true));
        TeleportCredentials credentials = credentials(fake);
        TeleportClient client = open(TeleportClient.builder()
                .route(TeleportRoute.proxy(fake.proxyAddress(), CLUSTER)).credentials(credentials).build());

        assertThat(client.ping().getClusterName()).isEqualTo(CLUSTER);

        // the Auth Service saw our own certificate: the proxy piped TLS instead of terminating it
        assertThat(fake.lastClientCertificate()).contains(credentials.certificateChain().get(0));
        assertThat(fake.proxyRefusals()).isEmpty();
    }

    @Test
    void learnsTheClusterNameFromTheProxysWebApiFind() {
        FakeTeleport fake = start(FakeTeleport.builder().clusterName(CLUSTER).proxy(true));
        TeleportClient client = open(TeleportClient.builder().route(TeleportRoute.proxy(fake.proxyAddress()))
                .credentials(credentials(fake)).build());

        assertThat(client.ping().getClusterName()).isEqualTo(CLUSTER);
        assertThat(fake.calls("Ping")).isEqualTo(1);
    }

    @Test
    void webApiFindAnswersOnTheProxyPortWithTheWebCertificate() throws Exception {
        FakeTeleport fake = start(FakeTeleport.builder().clusterName(CLUSTER).serverVersion("17.4.2").proxy(true));
        HttpClient http = HttpClient.newBuilder()
                .sslContext(TlsMaterial.sslContext(null, TlsMaterial.trustManager(List.of(fake.hostCaCertificate()))))
                .build();

        HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                URI.create("https://" + fake.proxyAddress() + "/webapi/find")).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).contains("application/json");
        JsonNode find = JSON.readTree(response.body());
        assertThat(find.get("cluster_name").asText()).isEqualTo(CLUSTER);
        assertThat(find.get("server_version").asText()).isEqualTo("17.4.2");
        assertThat(find.get("proxy").get("tls_routing_enabled").asBoolean()).isTrue();
        assertThat(find.get("proxy").get("ssh").get("public_addr").asText()).isEqualTo(fake.proxyAddress());
    }

    @Test
    void wrongClusterNameIsDroppedByTheProxyWithAClearRetryableError() {
        FakeTeleport fake = start(FakeTeleport.builder().clusterName(CLUSTER).proxy(true));
        TeleportClient client = open(TeleportClient.builder()
                .route(TeleportRoute.proxy(fake.proxyAddress(), "other.example.com")).credentials(credentials(fake))
                .build());

        assertThatThrownBy(client::ping).isInstanceOfSatisfying(TeleportException.class, e -> {
            assertThat(e.code()).isEqualTo(Status.Code.UNAVAILABLE);
            assertThat(e.isRetryable()).isTrue();
        }).hasMessage("the Teleport Proxy at " + fake.proxyAddress() + " closed the connection during the TLS"
                + " handshake, as it does when it cannot route to the Auth Service of cluster \"other.example.com\":"
                + " check teleport.cluster-name and that the Proxy has TLS routing on");
        assertThat(fake.proxyRefusals()).contains("cluster \"other.example.com\" is not served by this proxy");
        assertThat(fake.calls("Ping")).isZero();
    }

    @Test
    void dialingTheProxyAsIfItWereAuthIsDropped() {
        FakeTeleport fake = start(FakeTeleport.builder().clusterName(CLUSTER).proxy(true));
        TeleportClient client = open(new TeleportClient(fake.proxyAddress(), credentials(fake)));

        assertThatThrownBy(client::ping).isInstanceOfSatisfying(TeleportException.class,
                e -> assertThat(e.isRetryable()).isTrue());
        assertThat(fake.proxyRefusals()).contains("no route for server name teleport.cluster.local with ALPN [h2]");
    }

    @Test
    void tlsClientWithoutAlpnIsDropped() throws Exception {
        FakeTeleport fake = start(FakeTeleport.builder().clusterName(CLUSTER).proxy(true));
        TeleportCredentials credentials = credentials(fake);
        var tls = TlsMaterial.sslContext(null, TlsMaterial.trustManager(credentials.trustedAuthorities()));

        try (SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket("127.0.0.1", fake.proxyPort())) {
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setServerNames(List.of(new SNIHostName("teleport.cluster.local")));
            socket.setSSLParameters(parameters);

            assertThatThrownBy(socket::startHandshake).isInstanceOf(IOException.class);
        }
        assertThat(fake.proxyRefusals()).containsExactly("no route for server name teleport.cluster.local with ALPN []");
    }

    @Test
    void proxyWithoutTlsRoutingIsAConfigurationError() {
        FakeTeleport fake = start(FakeTeleport.builder().clusterName(CLUSTER).proxy(true).proxyTlsRouting(false));
        TeleportClient client = open(TeleportClient.builder().route(TeleportRoute.proxy(fake.proxyAddress()))
                .credentials(credentials(fake)).build());

        assertThatThrownBy(client::ping).isInstanceOf(ConfigException.class)
                .hasMessage("teleport.addr: the Teleport Proxy at " + fake.proxyAddress() + " (cluster " + CLUSTER
                        + ") does not have TLS routing enabled, and the exporter reaches the Auth Service through a"
                        + " Proxy only with TLS routing: point teleport.addr at the Auth Service (port 3025)");
    }

    @Test
    void untrustedWebCertificateIsAConfigurationError() {
        FakeTeleport fake = start(FakeTeleport.builder().clusterName(CLUSTER).proxy(true));
        FakeTeleport stranger = FakeTeleport.builder().build();
        Path identity = stranger.writeIdentityFile(dir.resolve("stranger"), "exporter", Duration.ofHours(1));
        TeleportClient client = open(TeleportClient.builder().route(TeleportRoute.proxy(fake.proxyAddress()))
                .identityFile(identity).build());

        assertThatThrownBy(client::ping).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("teleport.addr: the web certificate of the Teleport Proxy at "
                        + fake.proxyAddress() + " is trusted neither by the system trust store nor by the cluster CA in "
                        + identity);
    }

    @Test
    void unreachableProxyIsRetryable() {
        FakeTeleport fake = start(FakeTeleport.builder().clusterName(CLUSTER).proxy(true));
        TeleportClient client = open(TeleportClient.builder().route(TeleportRoute.proxy(fake.proxyAddress()))
                .credentials(credentials(fake)).build());
        fake.stop();

        assertThatThrownBy(client::ping).isInstanceOfSatisfying(TeleportException.class,
                e -> assertThat(e.isRetryable()).isTrue())
                .hasMessageStartingWith("cannot reach the Teleport Proxy at " + fake.proxyAddress());

        fake.restart();
        assertThat(client.ping().getClusterName()).isEqualTo(CLUSTER);
    }

    @Test
    void streamsASessionRecordingThroughTheProxy() {
        SessionRecording npm = SessionRecording.fromFiles(Fixtures.file("teleport-session-events.jsonl"),
                Fixtures.file("teleport-session-npm.tty.stream"));
        FakeTeleport fake = start(FakeTeleport.builder().clusterName(CLUSTER).proxy(true).recording(npm));
        TeleportClient client = open(TeleportClient.builder()
                .route(TeleportRoute.proxy(fake.proxyAddress(), CLUSTER)).credentials(credentials(fake)).build());

        List<EventUnstructured> events = new ArrayList<>();
        try (ServerStream<RawEvent> stream = client.streamSessionEvents(npm.sessionId(), 0)) {
            stream.forEachRemaining(event -> events.add(full(event)));
        }

        assertThat(events).hasSize(866);
    }

    @Test
    void alpnRoutingValueIsTheLowercaseHexOfTheUtf8ClusterName() {
        assertThat(TeleportRoute.authProtocol("example.com"))
                .isEqualTo("teleport-auth@6578616d706c652e636f6d.teleport.cluster.local");
        assertThat(TeleportRoute.authProtocol("bücher.de"))
                .isEqualTo("teleport-auth@62c3bc636865722e6465.teleport.cluster.local");
        assertThat(TeleportRoute.protocols(Optional.of("example.com")))
                .containsExactly("teleport-auth@6578616d706c652e636f6d.teleport.cluster.local", "h2");
        assertThat(TeleportRoute.protocols(Optional.empty())).containsExactly("h2");
    }

    private TeleportCredentials credentials(FakeTeleport fake) {
        Path identity = fake.writeIdentityFile(dir.resolve("identity-" + resources.size()), "exporter",
                Duration.ofHours(1));
        return IdentityFile.load(identity);
    }

    private FakeTeleport start(FakeTeleport.Builder builder) {
        return open(builder.start());
    }

    private <T extends AutoCloseable> T open(T resource) {
        resources.add(resource);
        return resource;
    }
}
