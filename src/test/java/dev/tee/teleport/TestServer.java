package dev.tee.teleport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import dev.tee.tls.Certificate;
import dev.tee.tls.CertificateAuthority;
import dev.tee.tls.KeyKind;
import dev.tee.tls.TlsMaterial;
import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;

/** A bare mTLS gRPC server on 127.0.0.1 with a server certificate a test chooses, and credentials to call it. */
final class TestServer implements AutoCloseable {

    private final CertificateAuthority hostCa = CertificateAuthority.create("test host CA", KeyKind.EC, 0, Duration.ofDays(1));
    private final CertificateAuthority userCa = CertificateAuthority.create("test user CA", KeyKind.EC, 0, Duration.ofDays(1));
    private final Server server;

    /** {@code dnsNames}: the server certificate's DNS names (Teleport's carry teleport.cluster.local). */
    TestServer(BindableService service, String... dnsNames) {
        this(service, leaf -> leaf.dnsNames(dnsNames));
    }

    /** {@code hostCertificate} shapes the server certificate: its names, its validity. */
    TestServer(BindableService service, UnaryOperator<CertificateAuthority.Leaf> hostCertificate) {
        Certificate host = hostCertificate.apply(hostCa.leaf("test server").forServer()).issue();
        try {
            server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0),
                            TlsServerCredentials.newBuilder()
                                    .keyManager(TlsMaterial.keyManager(List.of(host.x509()), host.keyPair().getPrivate()))
                                    .trustManager(TlsMaterial.trustManager(List.of(userCa.certificate().x509())))
                                    .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE)
                                    .build())
                    .addService(service)
                    .build()
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String address() {
        return "127.0.0.1:" + server.getPort();
    }

    TeleportCredentials credentials() {
        Certificate client = userCa.leaf("exporter").forClient().issue();
        Instant notAfter = client.x509().getNotAfter().toInstant();
        Path nowhere = Path.of("test-identity");
        return new TeleportCredentials(List.of(client.x509()), client.keyPair().getPrivate(),
                List.of(hostCa.certificate().x509()), notAfter, TeleportCredentials.Source.identityFile(nowhere));
    }

    @Override
    public void close() throws InterruptedException {
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
}
