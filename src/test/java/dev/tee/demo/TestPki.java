package dev.tee.demo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import javax.net.ssl.SSLContext;

import dev.tee.tls.Certificate;
import dev.tee.tls.CertificateAuthority;
import dev.tee.tls.KeyKind;
import dev.tee.tls.Pem;
import dev.tee.tls.PemFormat;
import dev.tee.tls.PrivateFiles;
import dev.tee.tls.TlsMaterial;

/**
 * The mTLS material of a Fluentd setup as Teleport's `configure` makes it, written as PEM files: a
 * CA, a server certificate for localhost/127.0.0.1 with an encrypted key, a client certificate.
 */
public final class TestPki {

    public static final String SERVER_PASSPHRASE = "server-secret";

    private final Path dir;
    private final CertificateAuthority ca;
    private final Certificate server;
    private final Certificate client;

    private TestPki(Path dir, CertificateAuthority ca, Certificate server, Certificate client) {
        this.dir = dir;
        this.ca = ca;
        this.server = server;
        this.client = client;
    }

    /** A fresh CA with server and client certificates, written into {@code dir}. */
    public static TestPki create(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        CertificateAuthority ca = CertificateAuthority.create("Fluentd test CA", KeyKind.EC, 0, Duration.ofDays(1));
        Certificate server = ca.leaf("localhost").dnsNames("localhost").ipAddresses("127.0.0.1").forServer().issue();
        Certificate client = ca.leaf("teleport-event-exporter").forClient().issue();
        TestPki pki = new TestPki(dir, ca, server, client);
        pki.write("ca.crt", Pem.certificate(ca.certificate().x509()));
        pki.write("server.crt", Pem.certificate(server.x509()));
        pki.writeKey("server.key", server, PemFormat.TRADITIONAL, SERVER_PASSPHRASE);
        pki.write("client.crt", Pem.certificate(client.x509()));
        pki.writeKey("client.key", client, PemFormat.PKCS8, null);
        return pki;
    }

    public Path caFile() {
        return dir.resolve("ca.crt");
    }

    public Path serverCertFile() {
        return dir.resolve("server.crt");
    }

    public Path serverKeyFile() {
        return dir.resolve("server.key");
    }

    public Path clientCertFile() {
        return dir.resolve("client.crt");
    }

    public Path clientKeyFile() {
        return dir.resolve("client.key");
    }

    public CertificateAuthority ca() {
        return ca;
    }

    public Certificate client() {
        return client;
    }

    /** A stand-in builder with this CA for clients and the server certificate files (encrypted key). */
    public FluentdStandIn.Builder standIn() {
        return FluentdStandIn.builder()
                .clientCa(caFile())
                .serverCertificate(serverCertFile(), serverKeyFile(), SERVER_PASSPHRASE.toCharArray());
    }

    /** A TLS context for raw test clients: presents {@code identity} (or nothing when null), trusts this CA. */
    public SSLContext clientContext(Certificate identity) {
        return TlsMaterial.sslContext(
                identity == null ? null : TlsMaterial.keyManager(List.of(identity.x509()), identity.keyPair().getPrivate()),
                TlsMaterial.trustManager(List.of(ca.certificate().x509())));
    }

    /** Writes {@code certificate}'s key in {@code format}, encrypted when {@code passphrase} is not null. */
    public Path writeKey(String name, Certificate certificate, PemFormat format, String passphrase) {
        Path file = dir.resolve(name);
        try {
            PrivateFiles.write(file, Pem.privateKey(certificate.keyPair().getPrivate(), format,
                    passphrase == null ? null : passphrase.toCharArray()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    /** Writes {@code certificate} as PEM. */
    public Path writeCertificate(String name, Certificate certificate) {
        return write(name, Pem.certificate(certificate.x509()));
    }

    private Path write(String name, String pem) {
        try {
            return Files.writeString(dir.resolve(name), pem);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
