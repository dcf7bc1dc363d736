package dev.tee.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

import dev.tee.config.ConfigException;
import dev.tee.config.ConfigKey;
import dev.tee.config.ConfigLoader;
import dev.tee.config.ExporterConfig;

/** What {@code configure} writes: certificates, keys and the Fluentd, exporter and Teleport files. */
class ConfigureTest {

    private static final Pattern PASSPHRASE_LINE = Pattern.compile("(?m)^\\s*private_key_passphrase '([0-9a-f]+)'$");
    private static final String ODD_PASSPHRASE = "it's #{not ruby} \\ ok";

    @TempDir
    static Path temp;

    /** Defaults as the command has them, but shorter keys: names resolved, no lock. */
    private static Path plain;
    private static Instant plainWritten;
    /** Explicit addresses, a one-day TTL, --lock, and a directory name every file syntax must quote. */
    private static Path odd;
    private static Instant oddWritten;

    @BeforeAll
    static void configure() throws IOException {
        plain = temp.resolve("plain");
        plainWritten = Instant.now();
        Configure.write(new Configure.Options(plain, "teleport.example.com:3025", Duration.ofHours(87600),
                List.of("localhost"), List.of(), 2048, false), Configure.randomPassphrase());

        odd = temp.resolve("odd dir \"quoted\" \\ back");
        oddWritten = Instant.now();
        Configure.write(new Configure.Options(odd, "auth.example.com:3025", Duration.ofHours(24),
                List.of("localhost", "fluentd"), List.of("10.0.0.7", "::1"), 1024, true), ODD_PASSPHRASE);
    }

    @Test
    void writesEveryFileWithKeysAndFluentConfReadableByTheOwnerOnly() throws IOException {
        for (String name : Configure.FILES) {
            Path file = plain.resolve(name);
            assertThat(file).isRegularFile();
            String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
            assertThat(mode).as(name).isEqualTo(Configure.PRIVATE.contains(name) ? "rw-------" : "rw-r--r--");
        }
        assertThat(Configure.PRIVATE).containsExactlyInAnyOrder("ca.key", "server.key", "client.key", "fluent.conf");
        assertThat(Configure.existingFiles(plain)).hasSize(Configure.FILES.size());
        assertThat(Configure.existingFiles(temp.resolve("nothing-here"))).isEmpty();
    }

    @Test
    void keysArePkcs1RsaOfTheRequestedLengthAndSerialsAreRandom128Bit() throws Exception {
        Set<java.math.BigInteger> serials = new HashSet<>();
        for (String leaf : List.of("ca", "server", "client")) {
            String key = Files.readString(plain.resolve(leaf + ".key"));
            assertThat(key).startsWith("-----BEGIN RSA PRIVATE KEY-----\n");
            X509Certificate certificate = certificate(plain, leaf + ".crt");
            assertThat(((RSAPublicKey) certificate.getPublicKey()).getModulus().bitLength()).isEqualTo(2048);
            assertThat(certificate.getSerialNumber().bitLength()).isBetween(64, 128);
            serials.add(certificate.getSerialNumber());
        }
        assertThat(serials).hasSize(3);
        assertThat(((RSAPublicKey) certificate(odd, "server.crt").getPublicKey()).getModulus().bitLength())
                .isEqualTo(1024);
    }

    @Test
    void theCaSignsAServerAndAClientCertificate() throws Exception {
        X509Certificate ca = certificate(plain, "ca.crt");
        X509Certificate server = certificate(plain, "server.crt");
        X509Certificate client = certificate(plain, "client.crt");

        assertThat(ca.getSubjectX500Principal().getName()).isEqualTo("CN=CA");
        assertThat(ca.getBasicConstraints()).isZero();
        ca.verify(ca.getPublicKey());
        server.verify(ca.getPublicKey());
        client.verify(ca.getPublicKey());
        assertThat(server.getSubjectX500Principal().getName()).isEqualTo("CN=Server");
        assertThat(server.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1");
        assertThat(client.getSubjectX500Principal().getName()).isEqualTo("CN=Client");
        assertThat(client.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2");
        assertThat(server.getBasicConstraints()).isEqualTo(-1);
    }

    @Test
    void withoutIpAddressesTheLeavesNameEveryAddressTheNamesResolveTo() throws Exception {
        List<String> expected = new ArrayList<>(List.of("DNS:localhost"));
        for (InetAddress address : InetAddress.getAllByName("localhost")) {
            expected.add("IP:" + InetAddress.getByName(address.getHostAddress()).getHostAddress());
        }
        assertThat(alternativeNames(certificate(plain, "server.crt"))).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(alternativeNames(certificate(plain, "client.crt"))).containsExactlyInAnyOrderElementsOf(expected);
    }

    @Test
    void givenIpAddressesReplaceTheResolvedOnes() throws Exception {
        assertThat(alternativeNames(certificate(odd, "server.crt"))).containsExactly(
                "DNS:localhost", "DNS:fluentd", "IP:10.0.0.7", "IP:0:0:0:0:0:0:0:1");
    }

    @Test
    void theTtlSetsNotAfter() throws Exception {
        Instant notAfter = certificate(odd, "server.crt").getNotAfter().toInstant();
        assertThat(notAfter).isBetween(oddWritten.plus(Duration.ofHours(24)).minusSeconds(1),
                Instant.now().plus(Duration.ofHours(24)).plusSeconds(1));
        assertThat(certificate(odd, "ca.crt").getNotAfter().toInstant()).isEqualTo(notAfter);
        assertThat(certificate(plain, "client.crt").getNotAfter().toInstant())
                .isAfter(plainWritten.plus(Duration.ofDays(3649)));
    }

    @Test
    void theServerKeyIsEncryptedWithTheRandomPassphraseInFluentConf() throws Exception {
        String key = Files.readString(plain.resolve("server.key"));
        assertThat(key).startsWith("-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-256-CBC,");
        String passphrase = passphrase(plain);
        assertThat(passphrase).hasSize(64);

        assertThatThrownBy(() -> Pem.readPrivateKey(key, null)).isInstanceOf(PemException.class);
        RSAPrivateCrtKey decrypted = (RSAPrivateCrtKey) Pem.readPrivateKey(key, passphrase.toCharArray());
        assertThat(decrypted.getModulus())
                .isEqualTo(((RSAPublicKey) certificate(plain, "server.crt").getPublicKey()).getModulus());
        assertThat(Files.readString(plain.resolve("client.key"))).doesNotContain("ENCRYPTED");
        assertThat(Files.readString(plain.resolve("ca.key"))).doesNotContain("ENCRYPTED");
        assertThat(Pem.readPrivateKey(Files.readString(plain.resolve("client.key")), null)).isNotNull();
    }

    @Test
    void aPassphraseWithQuotesAndRubyIsQuotedLiterallyInFluentConf() throws Exception {
        assertThat(Files.readString(odd.resolve("fluent.conf")))
                .contains("    private_key_passphrase 'it\\'s #{not ruby} \\\\ ok'\n");
        assertThat(Pem.readPrivateKey(Files.readString(odd.resolve("server.key")), ODD_PASSPHRASE.toCharArray()))
                .isNotNull();
    }

    @Test
    void thePassphraseReadsBackFromFluentConfAsItWasGiven() throws IOException {
        assertThat(Configure.serverKeyPassphrase(Files.readString(odd.resolve("fluent.conf"))))
                .contains(ODD_PASSPHRASE);
        assertThat(Configure.serverKeyPassphrase(Files.readString(plain.resolve("fluent.conf"))))
                .contains(passphrase(plain));
        assertThat(Configure.serverKeyPassphrase("<source>\n  @type http\n</source>\n")).isEmpty();
    }

    @Test
    void passphrasesAreHexOrPrintableAsciiAndNeverEchoed() {
        String random = Configure.randomPassphrase();
        assertThat(random).matches("[0-9a-f]{64}").isNotEqualTo(Configure.randomPassphrase());
        Configure.checkPassphrase("four");
        for (String bad : List.of("abc", "caf\u00e9-latte", "two\nlines", "x".repeat(1024))) {
            assertThatThrownBy(() -> Configure.checkPassphrase(bad))
                    .isInstanceOf(IllegalArgumentException.class)
                    .message().doesNotContain(bad);
        }
    }

    @Test
    void fluentConfSendsTheExportersAuditTagToS3AsPantherNeedsIt() throws IOException {
        String properties = Files.readString(plain.resolve("application.properties"));
        Matcher url = Pattern.compile("(?m)^forward\\.fluentd\\.url=(.+)$").matcher(properties);
        assertThat(url.find()).isTrue();
        String tag = Configure.tagOf(url.group(1));
        assertThat(tag).isEqualTo("events.log");

        List<String> lines = Files.readString(plain.resolve("fluent.conf")).lines().map(String::strip).toList();
        assertThat(lines).containsSubsequence(
                "<source>", "@type http", "port 8888",
                "<transport tls>", "client_cert_auth true", "ca_path '" + plain.resolve("ca.crt") + "'",
                "cert_path '" + plain.resolve("server.crt") + "'",
                "private_key_path '" + plain.resolve("server.key") + "'", "</transport>",
                "<parse>", "@type json", "json_parser oj", "time_type string", "time_format %Y-%m-%dT%H:%M:%S",
                "</parse>", "</source>",
                "<filter " + tag + ">", "@type record_transformer", "enable_ruby true", "<record>",
                "time ${time.utc.strftime('%Y-%m-%dT%H:%M:%SZ')}", "</record>", "</filter>",
                "<match " + tag + ">", "@type s3", "aws_key_id REPLACE_AWS_KEY_ID", "aws_sec_key REPLACE_AWS_SECRET",
                "s3_bucket REPLACE_BUCKET", "s3_region REPLACE_REGION", "path teleport/logs",
                "time_slice_format %Y%m%d%H%M%S", "<buffer time>", "@type file",
                "path '" + plain.resolve("fluentd-buffer").resolve("s3") + "'", "timekey 60", "timekey_wait 0",
                "timekey_use_utc true", "flush_thread_count 1", "flush_thread_interval 0.1",
                "flush_thread_burst_interval 0", "queued_chunks_limit_size 64", "</buffer>", "<format>", "@type json", "</format>", "</match>",
                "<match session.*.log>", "@type stdout", "</match>");
    }

    @Test
    void fluentConfNamesFilesThatExistWhereConfigureRanAndABufferDirectoryOnlyItsOwnerOpens() throws IOException {
        String conf = Files.readString(plain.resolve("fluent.conf"));
        Matcher paths = Pattern.compile("(?m)^\\s*(ca_path|cert_path|private_key_path|path) '([^']+)'$").matcher(conf);
        int found = 0;
        while (paths.find()) {
            Path path = Path.of(paths.group(2));
            assertThat(path).as(paths.group(1)).isAbsolute();
            if (paths.group(1).equals("path")) {
                assertThat(path.getParent()).isDirectory();
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(path.getParent())))
                        .isEqualTo("rwx------");
            } else {
                assertThat(path).isRegularFile();
            }
            found++;
        }
        assertThat(found).isEqualTo(4);
    }

    @Test
    void theSessionMatchTakesTheThreePartTagsOfSessionRecordings() {
        String posted = Configure.tagOf(Configure.SESSION_URL + ".7d3f2b1c-0d2a-4f43-9b55-1b5c1a2e3f4d.log");
        assertThat(globMatches(Configure.sessionTagPattern(), posted)).isTrue();
        // The Panther guide's pattern leaves them unmatched: "*" is one tag part.
        assertThat(globMatches("session.*", posted)).isFalse();
        assertThat(globMatches(Configure.sessionTagPattern(), Configure.auditTag())).isFalse();
    }

    @Test
    void applicationPropertiesLoadsWithAbsolutePathsAndTheIdentityBesideIt() throws IOException {
        Path dir = temp.resolve("with-identity");
        Files.createDirectories(dir);
        Path properties = Files.copy(plain.resolve("application.properties"), dir.resolve("application.properties"));
        Files.writeString(dir.resolve("identity"), "placeholder: ConfigLoader only checks that it exists");

        ExporterConfig config = new ConfigLoader(Map.of()).configFile(properties).load();

        assertThat(config.string(ConfigKey.OUTPUT)).isEqualTo("fluentd");
        assertThat(config.string(ConfigKey.FORWARD_FLUENTD_URL)).isEqualTo("https://localhost:8888/events.log");
        assertThat(config.string(ConfigKey.FORWARD_FLUENTD_SESSION_URL)).isEqualTo("https://localhost:8888/session");
        assertThat(config.path(ConfigKey.FORWARD_FLUENTD_CA)).isEqualTo(plain.resolve("ca.crt"));
        assertThat(config.path(ConfigKey.FORWARD_FLUENTD_CERT)).isEqualTo(plain.resolve("client.crt"));
        assertThat(config.path(ConfigKey.FORWARD_FLUENTD_KEY)).isEqualTo(plain.resolve("client.key"));
        assertThat(config.string(ConfigKey.TELEPORT_ADDR)).isEqualTo("teleport.example.com:3025");
        assertThat(config.path(ConfigKey.TELEPORT_IDENTITY)).isEqualTo(dir.resolve("identity"));
        assertThat(config.bool(ConfigKey.TELEPORT_REFRESH_ENABLED)).isTrue();
        assertThat(config.path(ConfigKey.STORAGE)).isEqualTo(dir.resolve("storage"));
        assertThat(config.duration(ConfigKey.TIMEOUT)).isEqualTo(Duration.ofSeconds(10));
        assertThat(config.integer(ConfigKey.BATCH)).isEqualTo(20);
        assertThat(config.bool(ConfigKey.LOCK_ENABLED)).isFalse();
        assertThat(config.warnings()).isEmpty();
    }

    @Test
    void untilTctlWritesTheIdentityTheConfigurationSaysWhichFileIsMissing() {
        Path properties = plain.resolve("application.properties");

        assertThatThrownBy(() -> new ConfigLoader(Map.of()).configFile(properties).load())
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("teleport.identity")
                .hasMessageContaining(plain.resolve("identity").toString());
    }

    @Test
    void theTomlFileAndThePropertiesFileAreTheSameConfiguration() throws IOException {
        for (Path dir : List.of(plain, odd)) {
            Path copy = Files.createDirectories(temp.resolve("same-" + dir.getFileName().toString().length()));
            for (String name : List.of("application.properties", "teleport-event-handler.toml")) {
                Files.copy(dir.resolve(name), copy.resolve(name));
            }
            Files.writeString(copy.resolve("identity"), "placeholder");
            ExporterConfig properties = new ConfigLoader(Map.of())
                    .configFile(copy.resolve("application.properties")).load();
            ExporterConfig toml = new ConfigLoader(Map.of())
                    .configFile(copy.resolve("teleport-event-handler.toml")).load();
            for (ConfigKey key : ConfigKey.values()) {
                if (!key.isSecret()) {
                    assertThat(toml.text(key)).as(key.key()).isEqualTo(properties.text(key));
                }
            }
            // Paths that need quoting in both syntaxes survive the round trip.
            assertThat(toml.path(ConfigKey.FORWARD_FLUENTD_CA)).isEqualTo(dir.resolve("ca.crt"));
            assertThat(properties.path(ConfigKey.FORWARD_FLUENTD_CA)).isEqualTo(dir.resolve("ca.crt"));
        }
    }

    @Test
    void theRoleLetsTheExporterReadEventsAndSessions() throws IOException {
        List<Map<String, Object>> documents = yaml(plain.resolve("teleport-event-exporter-role.yaml"));

        assertThat(documents).hasSize(2);
        Map<String, Object> role = documents.get(0);
        assertThat(role).containsEntry("kind", "role").containsEntry("version", "v7")
                .containsEntry("metadata", Map.of("name", "teleport-event-exporter"));
        assertThat(role.get("spec")).isEqualTo(Map.of("allow", Map.of("rules", List.of(
                Map.of("resources", List.of("event", "session"), "verbs", List.of("list", "read"))))));
        Map<String, Object> user = documents.get(1);
        assertThat(user).containsEntry("kind", "user").containsEntry("version", "v2")
                .containsEntry("metadata", Map.of("name", "teleport-event-exporter"))
                .containsEntry("spec", Map.of("roles", List.of("teleport-event-exporter")));
    }

    @Test
    void withLockTheRoleMayManageLocksAndTheExporterLocks() throws IOException {
        Map<String, Object> role = yaml(odd.resolve("teleport-event-exporter-role.yaml")).get(0);

        assertThat(role.get("spec")).isEqualTo(Map.of("allow", Map.of("rules", List.of(
                Map.of("resources", List.of("event", "session"), "verbs", List.of("list", "read")),
                Map.of("resources", List.of("lock"), "verbs", List.of("list", "create", "read", "update", "delete"))))));
        assertThat(Files.readString(odd.resolve("application.properties"))).contains("\nlock-enabled=true\n");
        assertThat(Files.readString(odd.resolve("teleport-event-handler.toml"))).contains("\nlock-enabled = true\n");
    }

    @Test
    void composeEnvNamesTheDirectoryAndTheOwnerOfTheKeys() throws IOException {
        assertThat(Files.readAllLines(plain.resolve("compose.env"))).filteredOn(line -> !line.startsWith("#"))
                .containsExactly("DEPLOY_DIR=" + plain,
                        "DEPLOY_UID=" + Files.getAttribute(plain.resolve("server.key"), "unix:uid"),
                        "DEPLOY_GID=" + Files.getAttribute(plain.resolve("server.key"), "unix:gid"));
    }

    @Test
    void optionsNameWhatIsWrong() {
        Path dir = temp.resolve("unused");
        assertThatThrownBy(() -> new Configure.Options(dir, "localhost:3025", Duration.ofHours(1),
                List.of("localhost"), List.of("10.0.0.300"), 2048, false)).hasMessageContaining("--ip: \"10.0.0.300\"");
        assertThatThrownBy(() -> new Configure.Options(dir, "localhost:3025", Duration.ofHours(1),
                List.of("localhost"), List.of(), 3072, false)).hasMessageContaining("--length");
        assertThatThrownBy(() -> new Configure.Options(dir, "localhost:3025", Duration.ZERO,
                List.of("localhost"), List.of(), 2048, false)).hasMessageContaining("--ttl");
        assertThatThrownBy(() -> new Configure.Options(dir, "localhost:3025", Duration.ofHours(1),
                List.of(), List.of(), 2048, false)).hasMessageContaining("--dns-names");
        assertThatThrownBy(() -> new Configure.Options(dir, "auth example:3025", Duration.ofHours(1),
                List.of("localhost"), List.of(), 2048, false)).hasMessageContaining("TELEPORT_ADDR");
    }

    static String passphrase(Path dir) throws IOException {
        Matcher matcher = PASSPHRASE_LINE.matcher(Files.readString(dir.resolve("fluent.conf")));
        assertThat(matcher.find()).as("private_key_passphrase in fluent.conf").isTrue();
        return matcher.group(1);
    }

    static X509Certificate certificate(Path dir, String name) throws Exception {
        return Pem.readCertificates(Files.readString(dir.resolve(name))).get(0);
    }

    private static List<String> alternativeNames(X509Certificate certificate) throws Exception {
        List<String> names = new ArrayList<>();
        for (List<?> name : certificate.getSubjectAlternativeNames()) {
            names.add(((Integer) name.get(0) == 2 ? "DNS:" : "IP:") + name.get(1));
        }
        return names;
    }

    /** Fluentd's tag match: parts separated by ".", "*" standing for exactly one part. */
    private static boolean globMatches(String pattern, String tag) {
        String[] patternParts = pattern.split("\\.");
        String[] tagParts = tag.split("\\.");
        if (patternParts.length != tagParts.length) {
            return false;
        }
        for (int i = 0; i < patternParts.length; i++) {
            if (!patternParts[i].equals("*") && !patternParts[i].equals(tagParts[i])) {
                return false;
            }
        }
        return true;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> yaml(Path file) throws IOException {
        List<Map<String, Object>> documents = new ArrayList<>();
        new Load(LoadSettings.builder().build()).loadAllFromString(Files.readString(file))
                .forEach(document -> documents.add((Map<String, Object>) document));
        return documents;
    }
}
