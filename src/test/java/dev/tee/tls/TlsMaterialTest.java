package dev.tee.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.X509ExtendedKeyManager;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class TlsMaterialTest {

    @ParameterizedTest
    @CsvSource({"RSA, TLSv1.2", "RSA, TLSv1.3", "EC, TLSv1.2", "EC, TLSv1.3"})
    void bothEndsPresentTheirOneCertificateInAMutualHandshake(KeyKind kind, String protocol) throws Exception {
        CertificateAuthority ca = CertificateAuthority.create("test CA", kind, 2048, Duration.ofDays(1));
        // the client's certificate comes from a CA the server does not name: it is sent all the same,
        // as Go's TLS clients do, and the server's trust decides
        CertificateAuthority otherCa = CertificateAuthority.create("other CA", kind, 2048, Duration.ofDays(1));
        Certificate server = ca.leaf("localhost").key(kind, 2048).ipAddresses("127.0.0.1").forServer().issue();
        Certificate client = otherCa.leaf("exporter").key(kind, 2048).forClient().issue();
        SSLContext serverContext = TlsMaterial.sslContext(
                TlsMaterial.keyManager(List.of(server.x509()), server.keyPair().getPrivate()),
                TlsMaterial.trustManager(List.of(otherCa.certificate().x509())));
        SSLContext clientContext = TlsMaterial.sslContext(
                TlsMaterial.keyManager(List.of(client.x509()), client.keyPair().getPrivate()),
                TlsMaterial.trustManager(List.of(ca.certificate().x509())));

        ExecutorService accept = Executors.newSingleThreadExecutor();
        try (SSLServerSocket listening = (SSLServerSocket) serverContext.getServerSocketFactory().createServerSocket()) {
            listening.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            SSLParameters parameters = listening.getSSLParameters();
            parameters.setProtocols(new String[] {protocol});
            parameters.setNeedClientAuth(true);
            listening.setSSLParameters(parameters);
            Future<String> seenByServer = accept.submit(() -> {
                try (SSLSocket socket = (SSLSocket) listening.accept()) {
                    socket.startHandshake();
                    socket.getOutputStream().write(1);
                    socket.getOutputStream().flush();
                    return ((X509Certificate) socket.getSession().getPeerCertificates()[0])
                            .getSubjectX500Principal().getName();
                }
            });
            try (SSLSocket socket = (SSLSocket) clientContext.getSocketFactory()
                    .createSocket(InetAddress.getLoopbackAddress(), listening.getLocalPort())) {
                assertThat(socket.getInputStream().read()).isEqualTo(1);
                assertThat(socket.getSession().getProtocol()).isEqualTo(protocol);
                assertThat(((X509Certificate) socket.getSession().getPeerCertificates()[0])
                        .getSubjectX500Principal().getName()).isEqualTo("CN=localhost");
            }
            assertThat(seenByServer.get()).isEqualTo("CN=exporter");
        } finally {
            accept.shutdownNow();
        }
    }

    @Test
    void asAServerItOffersItsCertificateOnlyForItsKeyType() {
        CertificateAuthority ca = CertificateAuthority.create("test CA", KeyKind.EC, 0, Duration.ofDays(1));
        Certificate ec = ca.leaf("localhost").forServer().issue();
        X509ExtendedKeyManager keys = TlsMaterial.keyManager(List.of(ec.x509()), ec.keyPair().getPrivate());

        assertThat(keys.chooseServerAlias("EC", null, null)).isNotNull();
        assertThat(keys.chooseEngineServerAlias("EC_EC", null, null)).isNotNull();
        assertThat(keys.chooseServerAlias("RSA", null, null)).isNull();
        assertThat(keys.getServerAliases("RSASSA-PSS", null)).isNull();
        String alias = keys.chooseClientAlias(new String[] {"RSA"}, null, null);
        assertThat(keys.getCertificateChain(alias)).containsExactly(ec.x509());
        assertThat(keys.getPrivateKey(alias)).isSameAs(ec.keyPair().getPrivate());
        assertThat(keys.getPrivateKey("another")).isNull();
    }
}
