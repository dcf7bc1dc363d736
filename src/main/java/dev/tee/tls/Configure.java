package dev.tee.tls;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.bouncycastle.util.IPAddress;

/**
 * The {@code configure} command's work: an mTLS bundle for Fluentd plus ready-to-use Fluentd,
 * exporter and Teleport configuration, all written into one directory.
 */
public final class Configure {

    public static final String CA_CERT = "ca.crt";
    public static final String CA_KEY = "ca.key";
    public static final String SERVER_CERT = "server.crt";
    public static final String SERVER_KEY = "server.key";
    public static final String CLIENT_CERT = "client.crt";
    public static final String CLIENT_KEY = "client.key";
    public static final String FLUENT_CONF = "fluent.conf";
    public static final String PROPERTIES = "application.properties";
    public static final String HANDLER_TOML = "teleport-event-handler.toml";
    public static final String ROLE = "teleport-event-exporter-role.yaml";
    public static final String COMPOSE_ENV = "compose.env";
    /** The directory of Fluentd's file buffer, which fluent.conf names; Fluentd fills it. */
    public static final String FLUENTD_BUFFER = "fluentd-buffer";

    /** Every file {@code configure} writes, in the order it writes them. */
    public static final List<String> FILES = List.of(CA_CERT, CA_KEY, SERVER_CERT, SERVER_KEY, CLIENT_CERT,
            CLIENT_KEY, FLUENT_CONF, PROPERTIES, HANDLER_TOML, ROLE, COMPOSE_ENV);

    /** The Teleport role and user the exporter signs in as. */
    public static final String TELEPORT_USER = "teleport-event-exporter";
    public static final String DEFAULT_TELEPORT_ADDR = "localhost:3025";
    public static final String AUDIT_URL = "https://localhost:8888/events.log";
    public static final String SESSION_URL = "https://localhost:8888/session";
    /** Fluentd's service name in docker-compose.yml, the name the exporter connects to there. */
    public static final String COMPOSE_FLUENTD_HOST = "fluentd";
    /** The exporter's identity file, relative to the configuration; {@code tctl auth sign} writes it. */
    public static final String IDENTITY = "identity";

    /** The files only their owner may read: private keys, and fluent.conf with the server key's passphrase. */
    public static final Set<String> PRIVATE = Set.of(CA_KEY, SERVER_KEY, CLIENT_KEY, FLUENT_CONF);

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int PASSPHRASE_BYTES = 32;

    private Configure() {
    }

    /** What to generate: the same choices as the Go handler's {@code configure}, plus {@code lock}. */
    public record Options(Path outDir, String teleportAddr, Duration ttl, List<String> dnsNames,
                          List<String> ipAddresses, int rsaBits, boolean lock) {

        /** Checks every choice; the message of the IllegalArgumentException names the bad one. */
        public Options {
            outDir = outDir.toAbsolutePath().normalize();
            if (!isOneWord(teleportAddr)) {
                throw new IllegalArgumentException("TELEPORT_ADDR must be host:port, not \"" + teleportAddr + "\"");
            }
            if (ttl.isNegative() || ttl.isZero()) {
                throw new IllegalArgumentException("--ttl must be longer than zero");
            }
            if (dnsNames.isEmpty()) {
                throw new IllegalArgumentException("--dns-names needs at least one name");
            }
            for (String name : dnsNames) {
                if (!isOneWord(name)) {
                    throw new IllegalArgumentException("--dns-names: \"" + name + "\" is not a DNS name");
                }
            }
            for (String address : ipAddresses) {
                if (!IPAddress.isValid(address)) {
                    throw new IllegalArgumentException("--ip: \"" + address + "\" is not an IPv4 or IPv6 address");
                }
            }
            if (!MtlsBundle.RSA_SIZES.contains(rsaBits)) {
                throw new IllegalArgumentException("--length must be one of 1024, 2048 or 4096, not " + rsaBits);
            }
            dnsNames = List.copyOf(dnsNames);
            ipAddresses = List.copyOf(ipAddresses);
        }
    }

    /** The Fluentd tag of events posted to {@code url}: its path without the first "/", "/" read as ".". */
    public static String tagOf(String url) {
        return URI.create(url).getPath().substring(1).replace('/', '.');
    }

    /** The tag of the audit events, which fluent.conf sends to S3. */
    public static String auditTag() {
        return tagOf(AUDIT_URL);
    }

    /** The tags of session recordings: the session URL's tag, then the session id, then "log". */
    public static String sessionTagPattern() {
        return tagOf(SESSION_URL) + ".*.log";
    }

    /** The files among {@link #FILES} that already exist in {@code dir}. */
    public static List<Path> existingFiles(Path dir) {
        Path absolute = dir.toAbsolutePath().normalize();
        List<Path> existing = new ArrayList<>();
        for (String name : FILES) {
            Path file = absolute.resolve(name);
            if (Files.exists(file)) {
                existing.add(file);
            }
        }
        return existing;
    }

    /** A new server key passphrase as the Go handler makes one: 32 random bytes, hex encoded. */
    public static String randomPassphrase() {
        byte[] bytes = new byte[PASSPHRASE_BYTES];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    /**
     * Checks a passphrase the user chose. Printable ASCII only, so that OpenSSL, Ruby and Bouncy
     * Castle derive the same key from it and it fits on one line of fluent.conf; 4 to 1023
     * characters, what OpenSSL asks for and its PEM passphrase buffer holds. The message never
     * repeats the passphrase.
     */
    public static void checkPassphrase(String passphrase) {
        if (passphrase.length() < 4 || passphrase.length() > 1023) {
            throw new IllegalArgumentException("the passphrase must have 4 to 1023 characters");
        }
        if (!passphrase.chars().allMatch(c -> c >= 0x20 && c < 0x7f)) {
            throw new IllegalArgumentException("the passphrase may hold printable ASCII characters only");
        }
    }

    /**
     * The passphrase of server.key, read back from the text of the fluent.conf {@link #write} made (the
     * only place it is kept); empty when that text has no {@code private_key_passphrase} line.
     */
    public static Optional<String> serverKeyPassphrase(String fluentConf) {
        return ConfigureTemplates.fluentConfPassphrase(fluentConf);
    }

    /**
     * Generates the certificates and writes every file of {@link #FILES} into the output directory,
     * replacing files that exist (the caller decides whether that is allowed). The {@link #PRIVATE}
     * files get mode 0600, the others (certificates and configuration without secrets) 0644. Keys
     * and texts are all made before the first file is written, so a failure while generating leaves
     * the directory as it was.
     */
    public static void write(Options options, String passphrase) throws IOException {
        checkPassphrase(passphrase);
        Path dir = options.outDir();
        MtlsBundle bundle = MtlsBundle.generate(options.rsaBits(), options.ttl(), options.dnsNames(),
                options.ipAddresses());
        Map<String, String> texts = new LinkedHashMap<>();
        texts.put(CA_CERT, Pem.certificate(bundle.ca().x509()));
        texts.put(CA_KEY, traditional(bundle.ca(), null));
        texts.put(SERVER_CERT, Pem.certificate(bundle.server().x509()));
        // Encrypted, as the Go handler does it: Fluentd warns about a server key without a passphrase.
        texts.put(SERVER_KEY, traditional(bundle.server(), passphrase.toCharArray()));
        texts.put(CLIENT_CERT, Pem.certificate(bundle.client().x509()));
        texts.put(CLIENT_KEY, traditional(bundle.client(), null));
        texts.put(FLUENT_CONF, ConfigureTemplates.fluentConf(dir, passphrase));
        texts.put(PROPERTIES, ConfigureTemplates.properties(options));
        texts.put(HANDLER_TOML, ConfigureTemplates.handlerToml(options));
        texts.put(ROLE, ConfigureTemplates.role(options.lock()));

        Files.createDirectories(dir);
        PrivateFiles.createDirectory(dir.resolve(FLUENTD_BUFFER));
        for (Map.Entry<String, String> file : texts.entrySet()) {
            if (PRIVATE.contains(file.getKey())) {
                PrivateFiles.write(dir.resolve(file.getKey()), file.getValue());
            } else {
                writePublic(dir.resolve(file.getKey()), file.getValue());
            }
        }
        // docker-compose.yml runs its containers as the owner of the key files, the only user who may read them.
        writePublic(dir.resolve(COMPOSE_ENV), ConfigureTemplates.composeEnv(dir, ownerOf(dir.resolve(CA_KEY))));
    }

    private static String traditional(Certificate certificate, char[] passphrase) {
        return Pem.privateKey(certificate.keyPair().getPrivate(), PemFormat.TRADITIONAL, passphrase);
    }

    /** "DEPLOY_UID=..\nDEPLOY_GID=.." of {@code file}'s owner; empty where the file system has no owner ids. */
    private static String ownerOf(Path file) throws IOException {
        try {
            return "DEPLOY_UID=" + Files.getAttribute(file, "unix:uid") + "\nDEPLOY_GID="
                    + Files.getAttribute(file, "unix:gid");
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            return "";
        }
    }

    private static void writePublic(Path file, String text) throws IOException {
        Files.writeString(file, text, StandardCharsets.UTF_8);
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: the platform's default permissions apply
        }
    }

    /** Not empty, no blanks, no control characters: one line of every file syntax, unquoted or quoted. */
    private static boolean isOneWord(String text) {
        return !text.isEmpty() && text.chars().noneMatch(c -> Character.isWhitespace(c) || Character.isISOControl(c));
    }
}
