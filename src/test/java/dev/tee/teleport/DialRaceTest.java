package dev.tee.teleport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Optional;

import dev.tee.config.ConfigException;
import dev.tee.demo.FakeTeleport;
import dev.tee.tls.KeyKind;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Given only teleport.addr (and perhaps teleport.cluster-name), the client races the direct dial and
 * the TLS-routing Proxy route, whatever the port, keeps the winner and says which won and why
 * (teleport-wire.md §2.4).
 */
class DialRaceTest {

    private static final String CLUSTER = "acme.example.com";

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
    void proxyOnAnyPortWithTheConfiguredClusterNameIsReachedThroughTheProxy() {
        FakeTeleport fake = start(FakeTeleport.builder().clusterName(CLUSTER).proxy(true));
        TeleportClient client = open(TeleportClient.builder().address(fake.proxyAddress(), Optional.of(CLUSTER))
                .identityFile(identity(fake, false)).build());

        String log = logOf(() -> assertThat(client.ping().getClusterName()).isEqualTo(CLUSTER));

        assertThat(client.route()).contains(TeleportRoute.proxy(fake.proxyAddress(), CLUSTER));
        assertThat(reportIn(log)).startsWith("Teleport: reached the Auth Service through the Proxy at "
                + fake.proxyAddress() + " (TLS routing, cluster " + CLUSTER + " from teleport.cluster-name); the"
                + " direct dial failed: cannot reach Teleport at " + fake.proxyAddress() + ": Connection closed while"
                + " performing TLS negotiation");
        // the direct dial reached the Proxy, which dropped it, as Teleport's does
        assertThat(fake.proxyRefusals()).containsExactly("no route for server name teleport.cluster.local with ALPN [h2]");
        assertThat(fake.lastClientCertificate()).isPresent();
    }

    @Test
    void withoutAClusterNameTheIdentitysCertificateNamesIt() {
        FakeTeleport fake = start(FakeTeleport.builder().clusterName(CLUSTER).proxy(true));
        TeleportClient client = open(TeleportClient.builder().address(fake.proxyAddress(), Optional.empty())
                .identityFile(identity(fake, true)).build());

        String log = logOf(() -> assertThat(client.ping().getClusterName()).isEqualTo(CLUSTER));

        assertThat(client.route()).contains(TeleportRoute.proxy(fake.proxyAddress(), CLUSTER));
        assertThat(reportIn(log)).startsWith("Teleport: reached the Auth Service through the Proxy at "
                + fake.proxyAddress() + " (TLS routing, cluster " + CLUSTER + " from the identity's certificate); the"
                + " direct dial failed: ");
    }

    @Test
    void withoutAClusterNameAnywhereTheProxysWebApiFindNamesIt() {
        FakeTeleport fake = start(FakeTeleport.builder().clusterName(CLUSTER).proxy(true));
        TeleportClient client = open(TeleportClient.builder().address(fake.proxyAddress(), Optional.of(" "))
                .identityFile(identity(fake, false)).build());

        String log = logOf(() -> assertThat(client.ping().getClusterName()).isEqualTo(CLUSTER));

        assertThat(client.route()).contains(TeleportRoute.proxy(fake.proxyAddress(), CLUSTER));
        assertThat(reportIn(log)).startsWith("Teleport: reached the Auth Service through the Proxy at "
                + fake.proxyAddress() + " (TLS routing, cluster " + CLUSTER + " from the Proxy's /webapi/find)");
    }

    @Test
    void authServiceOnAnyPortIsReachedDirectly() {
        FakeTeleport fake = start(FakeTeleport.builder().clusterName(CLUSTER));
        TeleportClient client = open(TeleportClient.builder().address(fake.address(), Optional.empty())
                .identityFile(identity(fake, true)).build());

        String log = logOf(() -> assertThat(client.ping().getClusterName()).isEqualTo(CLUSTER));

        assertThat(client.route()).contains(TeleportRoute.direct(fake.address()));
        // an Auth Service also answers the dial that offers the Proxy's routing value: the direct one is kept
        assertThat(reportIn(log)).matches("Teleport: reached the Auth Service directly at " + fake.address()
                + "; the dial through a Proxy with TLS routing (answered too|was not needed)");
    }

    @Test
    void laterConnectionsReuseTheWinnerWithoutRacingAgain() {
        FakeTeleport fake = start(FakeTeleport.builder().clusterName(CLUSTER).proxy(true));
        TeleportClient client = open(TeleportClient.builder().address(fake.proxyAddress(), Optional.empty())
                .identityFile(identity(fake, true)).build());
        client.ping();

        fake.stop();
        fake.restart();
        String log = logOf(() -> await().atMost(Duration.ofSeconds(10)).ignoreException(TeleportException.class)
                .untilAsserted(() -> assertThat(client.ping().getClusterName()).isEqualTo(CLUSTER)));

        assertThat(log).doesNotContain("reached the Auth Service");
        assertThat(fake.proxyRefusals()).as("only the first race dialed directly").hasSize(1);
        assertThat(client.route()).contains(TeleportRoute.proxy(fake.proxyAddress(), CLUSTER));
    }

    @Test
    void aClientCertificateTheAuthServiceRefusesBehindTheProxyIsNotRetried() {
        FakeTeleport fake = start(FakeTeleport.builder().clusterName(CLUSTER).proxy(true));
        Path foreign = FakeTeleport.builder().clusterName(CLUSTER).build().identity("mallory").namingCluster()
                .writeIdentityFile(dir.resolve("foreign"));
        TeleportCredentials mine = IdentityFile.load(identity(fake, true));
        TeleportCredentials mixed = new TeleportCredentials(IdentityFile.load(foreign).certificateChain(),
                IdentityFile.load(foreign).privateKey(), mine.trustedAuthorities(), mine.notAfter(),
                TeleportCredentials.Source.identityFile(foreign));
        TeleportClient client = open(TeleportClient.builder().address(fake.proxyAddress(), Optional.empty())
                .credentials(mixed).build());

        // the direct dial is dropped by the Proxy (no Auth Service there), the routed one refused end to end
        assertThatThrownBy(client::ping).isInstanceOf(TeleportRefusal.class)
                .hasMessage("teleport.identity: the Teleport server at " + fake.proxyAddress() + " rejected the client"
                        + " certificate in " + foreign + " (TLS alert unknown_ca): it is not issued by this cluster's"
                        + " user CA, or it was revoked");
    }

    @Test
    void nothingListeningIsRetryable() {
        FakeTeleport fake = start(FakeTeleport.builder().clusterName(CLUSTER));
        TeleportClient client = open(TeleportClient.builder().address(fake.address(), Optional.empty())
                .identityFile(identity(fake, true)).build());
        fake.stop();

        assertThatThrownBy(client::ping).isInstanceOfSatisfying(TeleportException.class,
                e -> assertThat(e.isRetryable()).isTrue()).hasMessageContaining("Connection refused");
        assertThat(client.route()).isEmpty();

        fake.restart();
        assertThat(client.ping().getClusterName()).isEqualTo(CLUSTER);
        assertThat(client.route()).contains(TeleportRoute.direct(fake.address()));
    }

    @Test
    void theRaceIsTheSameForEveryPort() {
        TeleportCredentials credentials = IdentityFile.load(identity(FakeTeleport.builder().clusterName(CLUSTER).build(),
                true));
        for (String address : List.of("teleport.example.com:443", "teleport.example.com:3080", "auth:3025",
                "lb.internal:8443")) {
            DialRace race = new DialRace(address, Optional.empty(), credentials, Duration.ofSeconds(1), route -> null,
                    route -> null);
            assertThat(race.routes()).containsExactly(TeleportRoute.direct(address),
                    TeleportRoute.proxy(address, CLUSTER));
        }
        DialRace configured = new DialRace("lb:8443", Optional.of("other.example.com"), credentials,
                Duration.ofSeconds(1), route -> null, route -> null);
        assertThat(configured.routes()).containsExactly(TeleportRoute.direct("lb:8443"),
                TeleportRoute.proxy("lb:8443", "other.example.com"));
    }

    @Test
    void theClusterNameIsTheCertificatesAttributeElseItsIssuersOrganization() throws Exception {
        FakeTeleport fake = FakeTeleport.builder().clusterName(CLUSTER).build();
        X509Certificate named = IdentityFile.load(identity(fake, true)).certificateChain().get(0);
        X509Certificate unnamed = IdentityFile.load(identity(fake, false)).certificateChain().get(0);

        assertThat(DialRace.clusterNameOf(named)).contains(CLUSTER);
        assertThat(DialRace.clusterNameOf(unnamed)).isEmpty();
        // Teleport's CAs are CN = O = the cluster name (tlsca.ClusterName reads the issuer's O)
        assertThat(DialRace.clusterNameOf(issuedBy("CN=teleport.example.com,O=teleport.example.com")))
                .contains("teleport.example.com");
    }

    @Test
    void anAddressThatIsNotHostAndPortIsAConfigurationError() {
        assertThatThrownBy(() -> TeleportClient.builder().address("teleport.example.com", Optional.empty()))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("teleport.addr: ");
    }

    private static X509Certificate issuedBy(String issuer) throws Exception {
        KeyPair keys = KeyKind.EC.generate(0);
        Instant now = Instant.now();
        var builder = new JcaX509v3CertificateBuilder(new X500Name(issuer), BigInteger.ONE,
                Date.from(now.minusSeconds(60)), Date.from(now.plusSeconds(3600)), new X500Name("CN=exporter"),
                keys.getPublic());
        return new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(keys.getPrivate())));
    }

    /** The race's INFO line in a captured log. */
    private static String reportIn(String log) {
        return log.lines().filter(line -> line.contains("Teleport: reached the Auth Service"))
                .map(line -> line.substring(line.indexOf("Teleport: reached"))).findFirst()
                .orElseThrow(() -> new AssertionError("no line says how Teleport was reached in:\n" + log));
    }

    /** What the exporter logged (slf4j-simple writes to System.err) while {@code action} ran. */
    private static String logOf(Runnable action) {
        PrintStream original = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            action.run();
        } finally {
            System.setErr(original);
        }
        String log = captured.toString(StandardCharsets.UTF_8);
        original.print(log);
        return log;
    }

    private Path identity(FakeTeleport fake, boolean namingCluster) {
        var identity = fake.identity("exporter").validFor(Duration.ofHours(1));
        if (namingCluster) {
            identity.namingCluster();
        }
        return identity.writeIdentityFile(dir.resolve("identity-" + resources.size() + "-" + System.nanoTime()));
    }

    private FakeTeleport start(FakeTeleport.Builder builder) {
        return open(builder.start());
    }

    private <T extends AutoCloseable> T open(T resource) {
        resources.add(resource);
        return resource;
    }
}
