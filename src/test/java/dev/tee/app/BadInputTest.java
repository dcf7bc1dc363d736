package dev.tee.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.tee.cli.Main;
import dev.tee.demo.DemoEnvironment;
import dev.tee.demo.FakeIdentity;
import dev.tee.demo.FakeTeleport;
import dev.tee.state.StateDirectory;
import dev.tee.state.StateLock;
import dev.tee.testing.Fixtures;
import dev.tee.tls.Pem;
import dev.tee.tls.PemFormat;
import dev.tee.tls.PrivateFiles;
import org.assertj.core.api.AbstractStringAssert;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Input the exporter cannot use: exit status 2 and one line that names the problem, no stack trace.
 * What can be told from the files alone is told before anything else is printed: no log line, no
 * configuration banner, only that line.
 */
class BadInputTest {

    @TempDir
    Path dir;

    private DemoEnvironment world;

    @BeforeEach
    void start() {
        world = DemoEnvironment.start(dir, Fixtures.rawAuditEvents().subList(0, 5), builder -> { });
    }

    @AfterEach
    void stop() {
        world.close();
    }

    @Test
    void missingIdentityFile() {
        assertRefused(Map.of("teleport.identity", dir.resolve("no-such-identity").toString()),
                "teleport.identity", "no-such-identity");
    }

    @Test
    void truncatedIdentityFile() throws Exception {
        Path identity = dir.resolve("identity");
        String text = Files.readString(identity);
        Files.writeString(identity, text.substring(0, text.indexOf("-----END CERTIFICATE-----") - 20));
        assertRefused(Map.of(), "teleport.identity", "truncated");
    }

    @Test
    void expiredCertificate() {
        Instant expiry = Instant.now().minus(Duration.ofHours(1)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        world.teleport().identity("teleport-event-exporter")
                .validity(expiry.minus(Duration.ofDays(1)), expiry)
                .writeIdentityFile(dir.resolve("identity"));
        assertRefused(Map.of(), "teleport.identity", "expired at " + expiry);
    }

    @Test
    void garbageIdentityFile() throws Exception {
        Files.writeString(dir.resolve("identity"), "this is not what tctl auth sign writes\n");
        assertRefused(Map.of(), "teleport.identity", "no PEM blocks");
    }

    @Test
    void identityFileWithoutItsKey() throws Exception {
        Path identity = dir.resolve("identity");
        String text = Files.readString(identity);
        int keyEnd = text.indexOf("-----END", text.indexOf("PRIVATE KEY-----"));
        Files.writeString(identity, text.substring(text.indexOf('\n', keyEnd) + 1));
        assertRefused(Map.of(), "teleport.identity", "the 1st PEM block is \"CERTIFICATE\", expected the private key");
    }

    @Test
    void notYetValidCertificate() {
        Instant from = Instant.now().plus(Duration.ofHours(1)).truncatedTo(ChronoUnit.SECONDS);
        world.teleport().identity("teleport-event-exporter")
                .validity(from, from.plus(Duration.ofDays(1)))
                .writeIdentityFile(dir.resolve("identity"));
        assertRefused(Map.of(), "teleport.identity", "is not valid before " + from);
    }

    /** An identity the files cannot tell is wrong: Teleport's server tells, after the start-up lines. */
    @Test
    void identityOfAnotherCluster() {
        try (FakeTeleport other = FakeTeleport.builder().clusterName("other.example.com").start()) {
            other.writeIdentityFile(dir.resolve("identity"), "teleport-event-exporter", Duration.ofHours(1));
        }
        assertRefusedAtConnect(Map.of(), "teleport.identity", "not signed by a CA in the identity file");
    }

    @Test
    void teleportCertificateThatIsNoCertificate() throws Exception {
        FakeIdentity.KeyPairFiles trio = trio();
        Files.writeString(trio.cert(), "garbage\n");
        assertRefused(trioSettings(trio), "teleport.cert: " + trio.cert(), "no PEM certificate");
    }

    @Test
    void teleportKeyOfAnotherCertificate() throws Exception {
        FakeIdentity.KeyPairFiles trio = trio();
        FakeIdentity.KeyPairFiles other = world.teleport().identity("teleport-event-exporter")
                .writeKeyPair(dir, "other");
        Files.copy(other.key(), trio.key(), StandardCopyOption.REPLACE_EXISTING);
        assertRefused(trioSettings(trio), "teleport.key: " + trio.key(), "is not the key of the certificate in teleport.cert");
    }

    @Test
    void missingTeleportCa() throws Exception {
        FakeIdentity.KeyPairFiles trio = trio();
        Files.delete(trio.ca());
        assertRefused(trioSettings(trio), "teleport.ca: file " + trio.ca() + " does not exist");
    }

    @Test
    void fluentdCertificateThatIsNoCertificate() throws Exception {
        Files.writeString(dir.resolve("fluentd-client.crt"), "garbage\n");
        assertRefused(Map.of(), "forward.fluentd.cert", "fluentd-client.crt");
    }

    @Test
    void fluentdKeyOfAnotherCertificate() throws Exception {
        KeyPair other = KeyPairGenerator.getInstance("EC").generateKeyPair();
        PrivateFiles.write(dir.resolve("fluentd-client.key"),
                Pem.privateKey(other.getPrivate(), PemFormat.PKCS8, null));
        assertRefused(Map.of(), "forward.fluentd.key", "fluentd-client.key", "forward.fluentd.cert");
    }

    @Test
    void missingFluentdCa() throws Exception {
        Files.delete(dir.resolve("fluentd-ca.crt"));
        assertRefused(Map.of(), "forward.fluentd.ca", "fluentd-ca.crt");
    }

    @Test
    void wrongFluentdKeyPassphrase() throws Exception {
        encryptFluentdKey("the-right-one");
        assertRefused(Map.of("forward.fluentd.key-passphrase", "a-wrong-one"), "forward.fluentd.key",
                "wrong passphrase").doesNotContain("a-wrong-one", "the-right-one");
    }

    @Test
    void encryptedFluentdKeyWithoutPassphrase() throws Exception {
        encryptFluentdKey("the-right-one");
        assertRefused(Map.of(), "forward.fluentd.key", "forward.fluentd.key-passphrase");
    }

    @Test
    void s3BucketGivenAsAnUrl() {
        assertRefused(Map.of("output", "s3", "forward.s3.bucket", "s3://audit/teleport", "forward.s3.region",
                "eu-west-1"), "forward.s3.bucket", "\"s3://audit/teleport\" is not a bucket name");
    }

    @Test
    void outputDirectoryThatIsAFile() throws Exception {
        Path file = Files.writeString(dir.resolve("objects"), "");
        assertRefused(Map.of("output", "file", "forward.file.dir", file.toString()), "forward.file.dir",
                "is a file, not a directory");
    }

    @Test
    void changedStartTime() {
        StateDirectory state = StateDirectory.open(dir.resolve("storage"), world.teleport().address());
        state.startTime(Optional.of(Instant.parse("2024-05-01T00:00:00Z")), Instant.now());
        assertRefused(Map.of("start-time", "2024-06-01T00:00:00Z"), "start-time: 2024-06-01T00:00:00Z",
                "differs from 2024-05-01T00:00:00Z");
    }

    @Test
    void corruptSavedStartTime() throws Exception {
        StateDirectory state = StateDirectory.open(dir.resolve("storage"), world.teleport().address());
        Files.writeString(state.file("start_time"), "2024-05-01T0");
        assertRefused(Map.of(), "storage: " + state.file("start_time"), "is corrupt");
    }

    @Test
    void routeFileWithAYamlSyntaxError() throws Exception {
        Path file = routeFile("mine.yaml", """
                - route:
                    id: mine
                    from:
                      uri: timer:mine
                      steps:
                        - log: [unclosed
                """);
        assertRefused(Map.of(), "routes: " + file + ", line 7", "YAML syntax error", "(line 6)");
    }

    @Test
    void routeFileWithAnUnknownStep() throws Exception {
        Path file = routeFile("mine.yaml", """
                - route:
                    id: mine
                    from:
                      uri: timer:mine
                      steps:
                        - lgo:
                            message: hello
                """);
        assertRefused(Map.of(), "routes: " + file + ", line 6, column 11", "lgo");
    }

    @Test
    void routeFileWithAnUnknownOption() throws Exception {
        Path file = routeFile("mine.yaml", """
                - route:
                    id: mine
                    from:
                      uri: timer:mine
                      steps:
                        - log:
                            mesage: hello
                """);
        assertRefused(Map.of(), "routes: " + file + ", line 7", "mesage");
    }

    @Test
    void unreadableRouteFile() throws Exception {
        Path file = Files.createSymbolicLink(Files.createDirectories(dir.resolve("routes")).resolve("gone.yaml"),
                dir.resolve("deleted.yaml"));
        assertRefused(Map.of(), "routes: " + file, "cannot be read");
    }

    /** Our own route files pass the check, and a good start prints as before (what the tests above capture). */
    @Test
    void ourRouteFilesPassAndAGoodStartPrintsItsBanner() throws Exception {
        Path routes = Files.createDirectories(dir.resolve("routes"));
        try (var ours = Files.list(Path.of("routes"))) {
            for (Path file : ours.toList()) {
                Files.copy(file, routes.resolve(file.getFileName().toString()));
            }
        }
        Run run = run(world.writeConfig(Map.of("management.port", "0")), "--exit-on-last-event");

        assertThat(run.status()).as("stderr: %s, log: %s", run.error(), run.printed()).isZero();
        assertThat(run.printed()).anyMatch(line -> line.contains("config teleport.addr = "))
                .anyMatch(line -> line.contains("Exported in"));
    }

    @Test
    void badDuration() {
        assertRefused(Map.of("timeout", "10 seconds"), "timeout", "\"10 seconds\" is not a duration");
    }

    @Test
    void unknownKey() {
        assertRefused(Map.of("forward.fluentd.urll", "https://x"), "forward.fluentd.urll",
                "did you mean \"forward.fluentd.url\"");
    }

    @Test
    void storageInUseByAnotherExporter() {
        String address = world.teleport().address();
        try (StateLock other = StateLock.acquire(StateDirectory.open(dir.resolve("storage"), address))) {
            assertRefused(Map.of("storage", dir.resolve("storage").toString()), "storage: ",
                    "is in use by another exporter (pid " + ProcessHandle.current().pid() + " on ");
        }
    }

    /** Refused before anything else is printed: the one line is all there is on stdout and stderr. */
    private AbstractStringAssert<?> assertRefused(Map<String, String> settings, String... mentions) {
        Run run = run(world.writeConfig(settings));
        assertThat(run.printed()).as("printed before the error").isEmpty();
        return assertOneLine(run, mentions);
    }

    /** Refused once Teleport answered: the start-up lines come first. */
    private void assertRefusedAtConnect(Map<String, String> settings, String... mentions) {
        assertOneLine(run(world.writeConfig(settings)), mentions);
    }

    private static AbstractStringAssert<?> assertOneLine(Run run, String... mentions) {
        assertThat(run.status()).as("exit status; log: %s", run.printed()).isEqualTo(2);
        assertThat(run.error()).hasSize(1);
        System.out.println("REFUSED " + run.error().get(0));
        return assertThat(run.error().get(0)).startsWith("teleport-event-exporter: ").contains(mentions)
                .doesNotContain("Exception", "\tat ");
    }

    /**
     * What {@code start} returned, the lines it wrote as its error, and everything else this JVM
     * printed meanwhile (the log goes to System.err, which slf4j-simple looks up at every line).
     */
    private record Run(int status, List<String> error, List<String> printed) {
    }

    private static Run run(Path config, String... extraArgs) {
        List<String> args = new ArrayList<>(List.of("start", "--config", config.toString()));
        args.addAll(List.of(extraArgs));
        StringWriter err = new StringWriter();
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        PrintStream stdout = System.out;
        PrintStream stderr = System.err;
        PrintStream capture = new PrintStream(printed, true, StandardCharsets.UTF_8);
        int status;
        System.setOut(capture);
        System.setErr(capture);
        try {
            status = Main.run(args.toArray(String[]::new), Map.of(), new PrintWriter(capture), new PrintWriter(err));
        } finally {
            System.setOut(stdout);
            System.setErr(stderr);
        }
        return new Run(status, err.toString().lines().toList(),
                printed.toString(StandardCharsets.UTF_8).lines().toList());
    }

    private FakeIdentity.KeyPairFiles trio() {
        return world.teleport().identity("teleport-event-exporter").writeKeyPair(dir, "exporter");
    }

    /** The settings with the cert/key/CA trio instead of the identity file, written as the config. */
    private Map<String, String> trioSettings(FakeIdentity.KeyPairFiles trio) throws Exception {
        Files.delete(dir.resolve("identity")); // the demo's config names it: an empty value unsets it
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("teleport.identity", "");
        settings.put("teleport.ca", trio.ca().toString());
        settings.put("teleport.cert", trio.cert().toString());
        settings.put("teleport.key", trio.key().toString());
        return settings;
    }

    private void encryptFluentdKey(String passphrase) throws Exception {
        Path key = dir.resolve("fluentd-client.key");
        PrivateKey plain = Pem.readPrivateKey(Files.readString(key), null);
        PrivateFiles.write(key, Pem.privateKey(plain, PemFormat.PKCS8, passphrase.toCharArray()));
    }

    private Path routeFile(String name, String text) throws Exception {
        return Files.writeString(Files.createDirectories(dir.resolve("routes")).resolve(name), text);
    }
}
