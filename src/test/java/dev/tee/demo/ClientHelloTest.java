package dev.tee.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;

import dev.tee.tls.Certificate;
import dev.tee.tls.CertificateAuthority;
import dev.tee.tls.KeyKind;
import dev.tee.tls.TlsMaterial;
import org.junit.jupiter.api.Test;

class ClientHelloTest {

    private static final String AUTH = "teleport-auth@6578616d706c652e636f6d.teleport.cluster.local";

    @Test
    void readsServerNameAndAlpnOfARealClientHello() throws Exception {
        byte[] hello = clientHello("teleport.cluster.local", AUTH, "h2");

        ClientHello parsed = ClientHello.parse(hello, hello.length).orElseThrow();

        assertThat(parsed.serverName()).contains("teleport.cluster.local");
        assertThat(parsed.protocols()).containsExactly(AUTH, "h2");
    }

    @Test
    void clientHelloWithoutExtensionsOfInterestHasNoNameAndNoProtocols() throws Exception {
        byte[] hello = clientHello(null);

        ClientHello parsed = ClientHello.parse(hello, hello.length).orElseThrow();

        assertThat(parsed.serverName()).isEmpty();
        assertThat(parsed.protocols()).isEmpty();
    }

    @Test
    void needsMoreBytesUntilTheWholeClientHelloArrivedWhereverTheReadsSplitIt() throws Exception {
        byte[] hello = clientHello("teleport.cluster.local", AUTH, "h2");

        for (int length = 0; length < hello.length; length++) {
            assertThat(ClientHello.parse(hello, length)).as("first %d bytes", length).isEmpty();
        }
        assertThat(ClientHello.parse(hello, hello.length)).isPresent();
    }

    @Test
    void readsAClientHelloFragmentedOverSeveralRecords() throws Exception {
        byte[] hello = clientHello("teleport.cluster.local", AUTH, "h2");
        byte[] fragmented = fragment(hello, 50);

        for (int length = 0; length < fragmented.length; length++) {
            assertThat(ClientHello.parse(fragmented, length)).as("first %d bytes", length).isEmpty();
        }
        ClientHello parsed = ClientHello.parse(fragmented, fragmented.length).orElseThrow();
        assertThat(parsed.protocols()).containsExactly(AUTH, "h2");
        assertThat(parsed.serverName()).contains("teleport.cluster.local");
    }

    @Test
    void tellsWhetherTheClientOffersASessionTicketToResumeATls12Session() throws Exception {
        CertificateAuthority ca = CertificateAuthority.create("ClientHello test CA", KeyKind.EC, 0, Duration.ofDays(1));
        Certificate server = ca.leaf("localhost").dnsNames("localhost").forServer().issue();
        SSLContext serverContext = TlsMaterial.sslContext(
                TlsMaterial.keyManager(List.of(server.x509()), server.keyPair().getPrivate()),
                TlsMaterial.trustManager(List.of(ca.certificate().x509())));
        SSLContext clientContext = TlsMaterial.sslContext(null, TlsMaterial.trustManager(List.of(ca.certificate().x509())));
        byte[] fresh = firstFlight(clientEngine(clientContext));

        // a full handshake with a TLS 1.2 server (as Fluentd's) leaves the client a ticket for that host and port
        SSLEngine serverEngine = serverContext.createSSLEngine();
        serverEngine.setUseClientMode(false);
        serverEngine.setEnabledProtocols(new String[] {"TLSv1.2"});
        handshake(clientEngine(clientContext), serverEngine);
        byte[] resuming = firstFlight(clientEngine(clientContext));

        assertThat(ClientHello.parse(fresh, fresh.length).orElseThrow().offersSessionTicket()).isFalse();
        assertThat(ClientHello.parse(resuming, resuming.length).orElseThrow().offersSessionTicket()).isTrue();
    }

    @Test
    void bytesAfterTheClientHelloAreIgnored() throws Exception {
        byte[] hello = clientHello("example.com", "http/1.1");
        byte[] more = Arrays.copyOf(hello, hello.length + 10);

        assertThat(ClientHello.parse(more, more.length).orElseThrow().protocols()).containsExactly("http/1.1");
    }

    @Test
    void somethingElseThanTlsIsMalformed() {
        byte[] http = "GET /webapi/find HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        byte[] alert = {21, 3, 3, 0, 2, 2, 40};
        byte[] serverHello = {22, 3, 3, 0, 4, 2, 0, 0, 0};

        assertThatThrownBy(() -> ClientHello.parse(http, http.length))
                .isInstanceOf(ClientHello.MalformedException.class)
                .hasMessage("TLS record of type 71 before the ClientHello");
        assertThatThrownBy(() -> ClientHello.parse(alert, alert.length))
                .hasMessage("TLS record of type 21 before the ClientHello");
        assertThatThrownBy(() -> ClientHello.parse(serverHello, serverHello.length))
                .hasMessage("first handshake message is of type 2, not ClientHello");
    }

    @Test
    void lengthsThatOverrunTheMessageAreMalformed() throws Exception {
        byte[] hello = clientHello("teleport.cluster.local", AUTH, "h2");
        // claim a longer extensions block than the message holds, keeping the record and message lengths
        int extensionsLength = extensionsLengthOffset(hello);
        hello[extensionsLength] = (byte) 0xff;

        assertThatThrownBy(() -> ClientHello.parse(hello, hello.length))
                .isInstanceOf(ClientHello.MalformedException.class)
                .hasMessageStartingWith("ClientHello truncated");
    }

    @Test
    void routesOnTheFirstAlpnValueAndTheServerName() {
        String cluster = "example.com";

        assertThat(route(cluster, "teleport.cluster.local", AUTH, "h2").destination())
                .isEqualTo(FakeProxy.Route.Destination.AUTH);
        assertThat(route(cluster, "teleport.cluster.local", "h2", AUTH).reason())
                .isEqualTo("no route for server name teleport.cluster.local with ALPN [h2, " + AUTH + "]");
        assertThat(route(cluster, "teleport.cluster.local").reason())
                .isEqualTo("no route for server name teleport.cluster.local with ALPN []");
        assertThat(route("other.example.com", "teleport.cluster.local", AUTH, "h2").reason())
                .isEqualTo("cluster \"example.com\" is not served by this proxy");
        assertThat(route(cluster, "teleport.cluster.local", "teleport-auth@zz.teleport.cluster.local").reason())
                .isEqualTo("cluster name \"zz\" in ALPN is not hex-encoded UTF-8");
        assertThat(route(cluster, "teleport.cluster.local", "teleport-auth@ff.teleport.cluster.local").reason())
                .isEqualTo("cluster name \"ff\" in ALPN is not hex-encoded UTF-8");
        assertThat(route(cluster, "teleport.cluster.local", "teleport-auth@6578616d706c652e636f6d").reason())
                .isEqualTo("ALPN value \"teleport-auth@6578616d706c652e636f6d\" does not end with"
                        + " .teleport.cluster.local");
        assertThat(route(cluster, null).destination()).isEqualTo(FakeProxy.Route.Destination.WEB);
        assertThat(route(cluster, "proxy.example.com", "http/1.1").destination())
                .isEqualTo(FakeProxy.Route.Destination.WEB);
        assertThat(route(cluster, "proxy.example.com", "h2", "http/1.1").destination())
                .isEqualTo(FakeProxy.Route.Destination.WEB);
        assertThat(route(cluster, "proxy.example.com", "teleport-reversetunnel").reason())
                .isEqualTo("no route for ALPN [teleport-reversetunnel]");
        assertThat(FakeProxy.route(new ClientHello(Optional.empty(), List.of(AUTH), false), cluster, false).reason())
                .isEqualTo("TLS routing is disabled on this proxy");
    }

    private static FakeProxy.Route route(String clusterName, String serverName, String... protocols) {
        return FakeProxy.route(new ClientHello(Optional.ofNullable(serverName), List.of(protocols), false), clusterName, true);
    }

    /** The first flight of a JDK TLS client with this SNI and ALPN list: one record holding the ClientHello. */
    private static byte[] clientHello(String serverName, String... protocols) throws Exception {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, null, null);
        SSLEngine engine = serverName == null ? context.createSSLEngine() : context.createSSLEngine(serverName, 443);
        engine.setUseClientMode(true);
        SSLParameters parameters = engine.getSSLParameters();
        if (serverName != null) {
            parameters.setServerNames(List.of(new SNIHostName(serverName)));
        }
        parameters.setApplicationProtocols(protocols);
        engine.setSSLParameters(parameters);
        return firstFlight(engine);
    }

    /** The bytes a client engine sends first: its ClientHello, offering a session it has for the peer. */
    static byte[] firstFlight(SSLEngine client) throws SSLException {
        ByteBuffer out = ByteBuffer.allocate(client.getSession().getPacketBufferSize());
        client.wrap(ByteBuffer.allocate(0), out);
        out.flip();
        byte[] bytes = new byte[out.remaining()];
        out.get(bytes);
        return bytes;
    }

    private static SSLEngine clientEngine(SSLContext context) {
        SSLEngine engine = context.createSSLEngine("localhost", 8443);
        engine.setUseClientMode(true);
        return engine;
    }

    /** A whole handshake between two engines, in memory. */
    private static void handshake(SSLEngine client, SSLEngine server) throws SSLException {
        ByteBuffer toServer = ByteBuffer.allocate(64 * 1024);
        ByteBuffer toClient = ByteBuffer.allocate(64 * 1024);
        ByteBuffer application = ByteBuffer.allocate(64 * 1024);
        client.beginHandshake();
        server.beginHandshake();
        for (int step = 0; step < 100; step++) {
            if (!handshaking(client) && !handshaking(server)) {
                return;
            }
            advance(client, toClient, toServer, application);
            advance(server, toServer, toClient, application);
        }
        throw new AssertionError("the handshake did not finish");
    }

    private static boolean handshaking(SSLEngine engine) {
        HandshakeStatus status = engine.getHandshakeStatus();
        return status != HandshakeStatus.NOT_HANDSHAKING && status != HandshakeStatus.FINISHED;
    }

    private static void advance(SSLEngine engine, ByteBuffer incoming, ByteBuffer outgoing, ByteBuffer application)
            throws SSLException {
        switch (engine.getHandshakeStatus()) {
            case NEED_WRAP -> engine.wrap(ByteBuffer.allocate(0), outgoing);
            case NEED_UNWRAP -> {
                incoming.flip();
                engine.unwrap(incoming, application);
                incoming.compact();
                application.clear();
            }
            case NEED_TASK -> {
                for (Runnable task = engine.getDelegatedTask(); task != null; task = engine.getDelegatedTask()) {
                    task.run();
                }
            }
            default -> {
                // NOT_HANDSHAKING, FINISHED: nothing to do; NEED_UNWRAP_AGAIN is DTLS only
            }
        }
    }

    /** The same handshake payload re-cut into records of at most {@code size} bytes. */
    private static byte[] fragment(byte[] record, int size) {
        byte[] payload = Arrays.copyOfRange(record, 5, record.length);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int start = 0; start < payload.length; start += size) {
            int length = Math.min(size, payload.length - start);
            out.write(new byte[] {22, 3, 1, (byte) (length >> 8), (byte) length}, 0, 5);
            out.write(payload, start, length);
        }
        return out.toByteArray();
    }

    /** Where the extensions length sits: record and handshake headers, version, random, then the variable parts. */
    private static int extensionsLengthOffset(byte[] hello) {
        int position = 5 + 4 + 2 + 32;
        position += 1 + (hello[position] & 0xff);
        position += 2 + (((hello[position] & 0xff) << 8) | (hello[position + 1] & 0xff));
        position += 1 + (hello[position] & 0xff);
        return position;
    }
}
