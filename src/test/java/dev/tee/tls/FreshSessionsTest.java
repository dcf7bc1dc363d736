package dev.tee.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Real Fluentd refuses every TLS resumption (fluent/fluentd#3632); a Java server tells a resumed
 * session by its id, which a full handshake replaces with a new one.
 */
class FreshSessionsTest {

    private final ExecutorService serverThread = Executors.newSingleThreadExecutor();
    private SSLServerSocket server;
    private SSLContext plain;
    private SSLContext fresh;

    @BeforeEach
    void startServer() throws IOException {
        CertificateAuthority ca = CertificateAuthority.create("test CA", KeyKind.EC, 0, Duration.ofDays(1));
        Certificate serverCert = ca.leaf("localhost").dnsNames("localhost").ipAddresses("127.0.0.1").forServer().issue();
        Certificate client = ca.leaf("client").forClient().issue();
        SSLContext serverContext = TlsMaterial.sslContext(
                TlsMaterial.keyManager(List.of(serverCert.x509()), serverCert.keyPair().getPrivate()),
                TlsMaterial.trustManager(List.of(ca.certificate().x509())));
        server = (SSLServerSocket) serverContext.getServerSocketFactory().createServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        SSLParameters parameters = server.getSSLParameters();
        parameters.setProtocols(new String[] {"TLSv1.2"}); // Fluentd's default <transport tls> version
        parameters.setNeedClientAuth(true);
        server.setSSLParameters(parameters);

        var keyManager = TlsMaterial.keyManager(List.of(client.x509()), client.keyPair().getPrivate());
        var trustManager = TlsMaterial.trustManager(List.of(ca.certificate().x509()));
        plain = TlsMaterial.sslContext(keyManager, trustManager);
        fresh = FreshSessions.sslContext(keyManager, trustManager);
    }

    @AfterEach
    void stopServer() throws IOException {
        server.close();
        serverThread.shutdownNow();
    }

    @Test
    void aPlainJavaContextResumesOnTheNextConnectionWhichIsWhatFluentdRefuses() throws Exception {
        List<String> ids = serverSessionIds(plain, 3);

        assertThat(ids).as("the JDK's default: one session, resumed").containsOnly(ids.get(0));
    }

    @Test
    void everyConnectionOfAFreshSessionsContextDoesAFullHandshake() throws Exception {
        List<String> ids = serverSessionIds(fresh, 3);

        assertThat(ids).doesNotHaveDuplicates();
    }

    /** The server-side session id of each of {@code connections} connections, made one after another. */
    private List<String> serverSessionIds(SSLContext client, int connections) throws Exception {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < connections; i++) {
            Future<String> accepted = serverThread.submit(() -> {
                try (SSLSocket socket = (SSLSocket) server.accept()) {
                    socket.startHandshake();
                    InputStream in = socket.getInputStream();
                    OutputStream out = socket.getOutputStream();
                    out.write(in.read());
                    out.flush();
                    return HexFormat.of().formatHex(socket.getSession().getId());
                }
            });
            try (SSLSocket socket = (SSLSocket) client.getSocketFactory()
                    .createSocket("localhost", server.getLocalPort())) {
                socket.getOutputStream().write(1);
                socket.getOutputStream().flush();
                assertThat(socket.getInputStream().read()).isEqualTo(1);
            }
            ids.add(accepted.get());
        }
        return ids;
    }
}
