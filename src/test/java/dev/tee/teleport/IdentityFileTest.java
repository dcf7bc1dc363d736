package dev.tee.teleport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

import dev.tee.config.ConfigException;
import dev.tee.demo.FakeIdentity;
import dev.tee.demo.FakeTeleport;
import dev.tee.tls.CertificateAuthority;
import dev.tee.tls.KeyKind;
import dev.tee.tls.Pem;
import dev.tee.tls.PemFormat;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdentityFileTest {

    private static FakeTeleport cluster;

    @TempDir
    Path dir;

    @BeforeAll
    static void createCluster() {
        cluster = FakeTeleport.builder().build(); // only its CAs are needed: nothing listens
    }

    @Test
    void readsRsaPkcs1Identity() throws Exception {
        Path file = cluster.identity("alice").writeIdentityFile(dir.resolve("identity"));
        assertThat(Files.readString(file)).startsWith("-----BEGIN RSA PRIVATE KEY-----");

        TeleportCredentials credentials = IdentityFile.load(file);

        assertThat(credentials.privateKey().getAlgorithm()).isEqualTo("RSA");
        assertThat(credentials.certificateChain()).hasSize(1);
        assertThat(credentials.certificateChain().get(0).getSubjectX500Principal().getName())
                .isEqualTo("O=teleport-event-handler,CN=alice");
        assertThat(credentials.trustedAuthorities()).containsExactly(cluster.hostCaCertificate());
        assertThat(credentials.notAfter()).isEqualTo(credentials.certificateChain().get(0).getNotAfter().toInstant());
        assertThat(credentials.source()).isEqualTo(
                new TeleportCredentials.Source("teleport.identity", file, "teleport.identity", file));
    }

    @Test
    void readsEcIdentity() throws Exception {
        Path file = cluster.identity("alice").key(KeyKind.EC, PemFormat.TRADITIONAL)
                .writeIdentityFile(dir.resolve("identity"));
        assertThat(Files.readString(file)).startsWith("-----BEGIN EC PRIVATE KEY-----");

        assertThat(IdentityFile.load(file).privateKey().getAlgorithm()).isEqualTo("EC");
    }

    @Test
    void readsPkcs8Identity() throws Exception {
        Path file = cluster.identity("alice").key(KeyKind.EC, PemFormat.PKCS8).writeIdentityFile(dir.resolve("identity"));
        assertThat(Files.readString(file)).startsWith("-----BEGIN PRIVATE KEY-----");

        assertThat(IdentityFile.load(file).privateKey().getAlgorithm()).isEqualTo("EC");
    }

    @Test
    void skipsSshAndOtherLinesAndTrustsEveryFurtherPemBlock() throws Exception {
        CertificateAuthority rotated = CertificateAuthority.create("next host CA", KeyKind.EC, 0, Duration.ofDays(1));
        Path file = cluster.identity("alice").writeIdentityFile(dir.resolve("identity"));
        Files.writeString(file, "# written by a test\n" + Files.readString(file) + "\n  some trailing note\n"
                + "@cert-authority other.example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 type=host\n"
                + Pem.certificate(rotated.certificate().x509()).replace("\n", "\r\n"));

        TeleportCredentials credentials = IdentityFile.load(file);

        assertThat(credentials.trustedAuthorities())
                .containsExactly(cluster.hostCaCertificate(), rotated.certificate().x509());
    }

    @Test
    void doesNotNeedTheSshCertificate() throws Exception {
        Path file = cluster.identity("alice").writeIdentityFile(dir.resolve("identity"));
        List<String> lines = Files.readAllLines(file);
        Files.write(file, lines.stream().filter(line -> !line.startsWith("ssh-") && !line.startsWith("@")).toList());

        assertThat(IdentityFile.load(file).certificateChain()).hasSize(1);
    }

    @Test
    void truncatedPemBlockIsAnErrorNamingTheFile() throws Exception {
        Path file = cluster.identity("alice").writeIdentityFile(dir.resolve("identity"));
        String text = Files.readString(file);
        Files.writeString(file, text.substring(0, text.lastIndexOf("-----END CERTIFICATE-----")));

        assertThatThrownBy(() -> IdentityFile.load(file)).isInstanceOf(ConfigException.class)
                .hasMessage("teleport.identity: " + file + ": PEM block \"CERTIFICATE\" is truncated");
    }

    @Test
    void missingFileIsAnErrorNamingIt() {
        Path file = dir.resolve("nowhere");

        assertThatThrownBy(() -> IdentityFile.load(file)).isInstanceOf(ConfigException.class)
                .hasMessage("teleport.identity: " + file + ": file not found");
    }

    @Test
    void identityWithoutTlsCertificateIsAnError() throws Exception {
        Path file = cluster.identity("alice").writeIdentityFile(dir.resolve("identity"));
        String text = Files.readString(file);
        Files.writeString(file, text.substring(0, text.indexOf("-----BEGIN CERTIFICATE-----")));

        assertThatThrownBy(() -> IdentityFile.load(file)).isInstanceOf(ConfigException.class)
                .hasMessage("teleport.identity: " + file + ": no TLS certificate (expected the 2nd PEM block)");
    }

    @Test
    void identityWithoutCaIsAnError() throws Exception {
        Path file = cluster.identity("alice").writeIdentityFile(dir.resolve("identity"));
        String text = Files.readString(file);
        Files.writeString(file, text.substring(0, text.indexOf("@cert-authority")));

        assertThatThrownBy(() -> IdentityFile.load(file)).isInstanceOf(ConfigException.class).hasMessage(
                "teleport.identity: " + file + ": no trusted TLS CA certificate (expected PEM blocks after the 2nd)");
    }

    @Test
    void fileOfOtherContentIsNotAnIdentity() throws Exception {
        Path file = Files.writeString(dir.resolve("identity"), "teleport:\n  auth_token: nope\n");

        assertThatThrownBy(() -> IdentityFile.load(file)).isInstanceOf(ConfigException.class)
                .hasMessage("teleport.identity: " + file + ": no PEM blocks: not a Teleport identity file");
    }

    @Test
    void expiredCertificateIsAnErrorWithItsDate() {
        Instant notAfter = Instant.now().minus(Duration.ofDays(1)).truncatedTo(ChronoUnit.SECONDS);
        Path file = cluster.identity("alice").validity(notAfter.minus(Duration.ofDays(1)), notAfter)
                .writeIdentityFile(dir.resolve("identity"));

        assertThatThrownBy(() -> IdentityFile.load(file)).isInstanceOf(ConfigException.class)
                .hasMessage("teleport.identity: the certificate in " + file + " expired at " + notAfter);
    }

    @Test
    void notYetValidCertificateIsAnErrorWithItsDate() {
        Instant notBefore = Instant.now().plus(Duration.ofDays(1)).truncatedTo(ChronoUnit.SECONDS);
        Path file = cluster.identity("alice").validity(notBefore, notBefore.plus(Duration.ofDays(1)))
                .writeIdentityFile(dir.resolve("identity"));

        assertThatThrownBy(() -> IdentityFile.load(file)).isInstanceOf(ConfigException.class)
                .hasMessage("teleport.identity: the certificate in " + file + " is not valid before " + notBefore);
    }

    @Test
    void keyOfAnotherCertificateIsAnError() throws Exception {
        Path file = cluster.identity("alice").writeIdentityFile(dir.resolve("identity"));
        String other = Files.readString(cluster.identity("bob").writeIdentityFile(dir.resolve("other")));
        String text = Files.readString(file);
        Files.writeString(file, keyBlock(other) + text.substring(keyBlock(text).length()));

        assertThatThrownBy(() -> IdentityFile.load(file)).isInstanceOf(ConfigException.class).hasMessage(
                "teleport.identity: " + file + ": is not the key of the certificate in teleport.identity (" + file + ")");
    }

    @Test
    void corruptKeyIsReportedWithoutEchoingIt() throws Exception {
        Path file = cluster.identity("alice").writeIdentityFile(dir.resolve("identity"));
        String text = Files.readString(file);
        String key = keyBlock(text);
        String secretLine = key.lines().skip(2).findFirst().orElseThrow();
        Files.writeString(file, key.replace(secretLine, secretLine.substring(8)) + text.substring(key.length()));

        assertThatThrownBy(() -> IdentityFile.load(file)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("teleport.identity: " + file + ": the private key (1st PEM block): ")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(secretLine.substring(8, 40)));
    }

    @Test
    void readsTheCaCertKeyTrio() {
        FakeIdentity.KeyPairFiles files = cluster.identity("alice").key(KeyKind.RSA, PemFormat.PKCS8)
                .writeKeyPair(dir, "exporter");

        TeleportCredentials credentials = TeleportCredentials.fromFiles(files.ca(), files.cert(), files.key());

        assertThat(credentials.certificateChain().get(0).getSubjectX500Principal().getName()).endsWith("CN=alice");
        assertThat(credentials.trustedAuthorities()).containsExactly(cluster.hostCaCertificate());
        assertThat(credentials.source()).isEqualTo(
                new TeleportCredentials.Source("teleport.cert", files.cert(), "teleport.ca", files.ca()));
    }

    @Test
    void trioErrorsNameTheirKey() throws Exception {
        FakeIdentity.KeyPairFiles files = cluster.identity("alice").writeKeyPair(dir, "exporter");
        Files.delete(files.key());

        assertThatThrownBy(() -> TeleportCredentials.fromFiles(files.ca(), files.cert(), files.key()))
                .isInstanceOf(ConfigException.class).hasMessage("teleport.key: " + files.key() + ": file not found");

        Files.writeString(files.ca(), "not a certificate\n");
        assertThatThrownBy(() -> TeleportCredentials.fromFiles(files.ca(), files.cert(), files.cert()))
                .isInstanceOf(ConfigException.class).hasMessage("teleport.ca: " + files.ca() + ": no PEM certificate found");
    }

    @Test
    void expiredTrioCertificateNamesTheCertKey() {
        Instant notAfter = Instant.now().minus(Duration.ofHours(1)).truncatedTo(ChronoUnit.SECONDS);
        FakeIdentity.KeyPairFiles files = cluster.identity("alice").validity(notAfter.minus(Duration.ofHours(1)), notAfter)
                .writeKeyPair(dir, "exporter");

        assertThatThrownBy(() -> TeleportCredentials.fromFiles(files.ca(), files.cert(), files.key()))
                .isInstanceOf(ConfigException.class)
                .hasMessage("teleport.cert: the certificate in " + files.cert() + " expired at " + notAfter);
    }

    @Test
    void toStringShowsNoKey() {
        TeleportCredentials credentials = IdentityFile.load(cluster.identity("alice").writeIdentityFile(dir.resolve("id")));

        assertThat(credentials.toString()).contains("CN=alice").doesNotContainIgnoringCase("private")
                .doesNotContain("modulus");
    }

    private static String keyBlock(String identity) {
        String end = "-----END RSA PRIVATE KEY-----\n";
        return identity.substring(0, identity.indexOf(end) + end.length());
    }
}
