package dev.tee.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

import dev.tee.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PemFilesTest {

    private static final CertificateAuthority CA = CertificateAuthority.create("test CA", KeyKind.EC, 0,
            Duration.ofDays(2));

    @TempDir
    Path dir;

    @Test
    void readsCertificatesAndKeysInOrder() throws Exception {
        Certificate leaf = CA.leaf("client").forClient().issue();
        Path chain = Files.writeString(dir.resolve("chain.crt"),
                Pem.certificate(leaf.x509()) + Pem.certificate(CA.certificate().x509()));
        Path key = Files.writeString(dir.resolve("client.key"),
                Pem.privateKey(leaf.keyPair().getPrivate(), PemFormat.PKCS8, null));

        assertThat(PemFiles.certificates("x.cert", chain)).containsExactly(leaf.x509(), CA.certificate().x509());
        PrivateKey read = PemFiles.privateKey("x.key", key, "x.passphrase", null);
        assertThat(read.getEncoded()).isEqualTo(leaf.keyPair().getPrivate().getEncoded());
        PemFiles.requirePair("x.key", key, read, "x.cert", chain, leaf.x509());
    }

    @Test
    void everyFileProblemIsOneLineNamingTheKeyAndTheFile() throws Exception {
        Path missing = dir.resolve("missing.pem");
        assertThatThrownBy(() -> PemFiles.certificates("x.cert", missing)).isInstanceOf(ConfigException.class)
                .hasMessage("x.cert: " + missing + ": file not found");
        assertThatThrownBy(() -> PemFiles.privateKey("x.key", dir, null, null)).isInstanceOf(ConfigException.class)
                .hasMessage("x.key: " + dir + ": is a directory, not a file");
        Path text = Files.writeString(dir.resolve("notes.txt"), "not PEM at all\n");
        assertThatThrownBy(() -> PemFiles.certificates("x.ca", text))
                .hasMessage("x.ca: " + text + ": no PEM certificate found");
        assertThatThrownBy(() -> PemFiles.privateKey("x.key", text, null, null))
                .hasMessage("x.key: " + text + ": no private key found");
        Path certificateOnly = Files.writeString(dir.resolve("ca.crt"), Pem.certificate(CA.certificate().x509()));
        assertThatThrownBy(() -> PemFiles.privateKey("x.key", certificateOnly, null, null))
                .hasMessage("x.key: " + certificateOnly + ": no private key found");
    }

    @Test
    void readsEncryptedKeysAndNamesThePassphraseKeyWhenItIsMissingOrWrong() throws Exception {
        Certificate leaf = CA.leaf("client").key(KeyKind.RSA, 2048).forClient().issue();
        for (PemFormat format : PemFormat.values()) {
            Path key = Files.writeString(dir.resolve("client-" + format + ".key"),
                    Pem.privateKey(leaf.keyPair().getPrivate(), format, "s3cret".toCharArray()));

            PrivateKey read = PemFiles.privateKey("x.key", key, "x.passphrase", "s3cret".toCharArray());
            PemFiles.requirePair("x.key", key, read, "x.cert", dir.resolve("client.crt"), leaf.x509());
            assertThatThrownBy(() -> PemFiles.privateKey("x.key", key, "x.passphrase", null))
                    .isInstanceOf(ConfigException.class).hasMessage("x.key: " + key
                            + ": the private key is encrypted and no passphrase was given (set x.passphrase)");
            assertThatThrownBy(() -> PemFiles.privateKey("x.key", key, "x.passphrase", "wrong".toCharArray()))
                    .isInstanceOf(ConfigException.class).hasMessage("x.key: " + key
                            + ": cannot decrypt the private key (wrong passphrase? check x.passphrase)")
                    .message().doesNotContain("wrong\"").doesNotContain("s3cret");
            assertThatThrownBy(() -> PemFiles.privateKey("x.key", key, null, null))
                    .hasMessage("x.key: " + key + ": the private key is encrypted and no passphrase was given");
        }
    }

    @Test
    void refusesAKeyOfAnotherCertificateOfTheSameOrAnotherAlgorithm() {
        Certificate ec = CA.leaf("ec").forClient().issue();
        Certificate otherEc = CA.leaf("other ec").forClient().issue();
        Certificate rsa = CA.leaf("rsa").key(KeyKind.RSA, 2048).forClient().issue();
        Path key = dir.resolve("client.key");
        Path cert = dir.resolve("client.crt");
        for (Certificate wrong : List.of(otherEc, rsa)) {
            assertThatThrownBy(() -> PemFiles.requirePair("x.key", key, wrong.keyPair().getPrivate(), "x.cert", cert,
                    ec.x509())).isInstanceOf(ConfigException.class)
                    .hasMessage("x.key: " + key + ": is not the key of the certificate in x.cert (" + cert + ")");
        }
        assertThatThrownBy(() -> PemFiles.requirePair("x.key", key, ec.keyPair().getPrivate(), "x.cert", cert,
                rsa.x509())).hasMessage("x.key: " + key + ": is not the key of the certificate in x.cert (" + cert + ")");
        PemFiles.requirePair("x.key", key, rsa.keyPair().getPrivate(), "x.cert", cert, rsa.x509());
    }

    @Test
    void refusesACertificateOutsideItsValidity() {
        Instant notBefore = Instant.now().plus(Duration.ofHours(1)).truncatedTo(ChronoUnit.SECONDS);
        Instant notAfter = notBefore.plus(Duration.ofHours(1));
        Certificate later = CA.leaf("later").validity(notBefore, notAfter).forClient().issue();
        Path cert = dir.resolve("client.crt");

        PemFiles.requireValid("x.cert", cert, later.x509(), notBefore.plusSeconds(1));
        assertThatThrownBy(() -> PemFiles.requireValid("x.cert", cert, later.x509(), notBefore.minusSeconds(1)))
                .isInstanceOf(ConfigException.class)
                .hasMessage("x.cert: the certificate in " + cert + " is not valid before " + notBefore);
        assertThatThrownBy(() -> PemFiles.requireValid("x.cert", cert, later.x509(), notAfter.plusSeconds(1)))
                .isInstanceOf(ConfigException.class)
                .hasMessage("x.cert: the certificate in " + cert + " expired at " + notAfter);
    }
}
