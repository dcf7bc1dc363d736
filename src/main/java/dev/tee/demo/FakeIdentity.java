package dev.tee.demo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;

import dev.tee.tls.Certificate;
import dev.tee.tls.CertificateAuthority;
import dev.tee.tls.KeyKind;
import dev.tee.tls.Pem;
import dev.tee.tls.PemFormat;
import dev.tee.tls.PrivateFiles;

/**
 * Issues a client identity of a {@link FakeTeleport} cluster (CN = user, O = role, signed by its user
 * CA) and writes it as Teleport does: an identity file, or the cert/key/CA trio of
 * {@code tctl auth sign --format=tls}. Key files get mode 0600.
 */
public final class FakeIdentity {

    /** The files {@link #writeKeyPair} wrote, for {@code teleport.ca}, {@code teleport.cert}, {@code teleport.key}. */
    public record KeyPairFiles(Path ca, Path cert, Path key) {
    }

    private static final SecureRandom RANDOM = new SecureRandom();

    private final String user;
    private final String clusterName;
    private final CertificateAuthority userCa;
    private final X509Certificate hostCa;
    private String role = "teleport-event-handler";
    private KeyKind keyKind = KeyKind.RSA;
    private PemFormat keyFormat = PemFormat.TRADITIONAL;
    private Instant notBefore = Instant.now().minusSeconds(60);
    private Instant notAfter = Instant.now().plus(Duration.ofHours(12));
    private boolean namesCluster;

    FakeIdentity(String user, String clusterName, CertificateAuthority userCa, X509Certificate hostCa) {
        this.user = user;
        this.clusterName = clusterName;
        this.userCa = userCa;
        this.hostCa = hostCa;
    }

    public FakeIdentity role(String role) {
        this.role = role;
        return this;
    }

    /**
     * The key algorithm and PEM form: RSA + TRADITIONAL ("RSA PRIVATE KEY", the default, as Teleport's
     * legacy suite), EC + TRADITIONAL ("EC PRIVATE KEY") or PKCS8 ("PRIVATE KEY"), as newer suites.
     */
    public FakeIdentity key(KeyKind kind, PemFormat format) {
        this.keyKind = kind;
        this.keyFormat = format;
        return this;
    }

    public FakeIdentity validFor(Duration validity) {
        return validity(Instant.now().minusSeconds(60), Instant.now().plus(validity));
    }

    /** Explicit bounds, e.g. in the past to get an expired identity. */
    public FakeIdentity validity(Instant notBefore, Instant notAfter) {
        this.notBefore = notBefore;
        this.notAfter = notAfter;
        return this;
    }

    /**
     * Puts the cluster name in the certificate's subject attribute 1.3.9999.1.7, as Teleport does.
     * Without it (the default) neither the certificate nor its CA names the cluster, so a client must
     * ask the Proxy's /webapi/find which cluster to route to.
     */
    public FakeIdentity namingCluster() {
        this.namesCluster = true;
        return this;
    }

    /**
     * Writes an identity file in the layout of Teleport's writer (teleport-wire.md §2.2): key, SSH
     * certificate line, TLS certificate, SSH CA line, TLS CA.
     */
    public Path writeIdentityFile(Path file) {
        Certificate certificate = issue();
        String sshType = keyKind == KeyKind.RSA ? "ssh-rsa" : "ecdsa-sha2-nistp256";
        String text = privateKeyPem(certificate)
                + sshType + "-cert-v01@openssh.com " + sshBlob(sshType + "-cert-v01@openssh.com") + "\n"
                + Pem.certificate(certificate.x509())
                + "@cert-authority " + clusterName + ",*." + clusterName + " " + sshType + " " + sshBlob(sshType)
                + " clustername=" + clusterName + "&type=host\n"
                + Pem.certificate(hostCa);
        write(file, text);
        return file;
    }

    /** Writes {@code name.crt}, {@code name.key} and {@code name.cas} into {@code directory}. */
    public KeyPairFiles writeKeyPair(Path directory, String name) {
        Certificate certificate = issue();
        KeyPairFiles files = new KeyPairFiles(directory.resolve(name + ".cas"), directory.resolve(name + ".crt"),
                directory.resolve(name + ".key"));
        write(files.key(), privateKeyPem(certificate));
        write(files.cert(), Pem.certificate(certificate.x509()));
        write(files.ca(), Pem.certificate(hostCa));
        return files;
    }

    /** CN = user, O = role and, with {@link #namingCluster()}, the cluster in attribute 1.3.9999.1.7. */
    private Certificate issue() {
        CertificateAuthority.Leaf leaf = userCa.leaf(user).organization(role);
        if (namesCluster) {
            leaf.teleportCluster(clusterName);
        }
        return leaf.key(keyKind, 2048).validity(notBefore, notAfter).forClient().issue();
    }

    private String privateKeyPem(Certificate certificate) {
        return Pem.privateKey(certificate.keyPair().getPrivate(), keyFormat, null);
    }

    /**
     * An OpenSSH-style key blob: the length-prefixed type name, then random bytes. Syntactically an SSH
     * line, which is all an identity file reader looks at; the exporter never uses SSH.
     */
    private static String sshBlob(String type) {
        byte[] name = type.getBytes(StandardCharsets.US_ASCII);
        byte[] body = new byte[64];
        RANDOM.nextBytes(body);
        ByteBuffer blob = ByteBuffer.allocate(8 + name.length + body.length);
        blob.putInt(name.length).put(name).putInt(body.length).put(body);
        return Base64.getEncoder().encodeToString(blob.array());
    }

    private static void write(Path file, String text) {
        try {
            PrivateFiles.write(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
