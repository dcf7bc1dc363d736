package dev.tee.demo;

import java.io.IOException;
import java.io.PrintStream;
import java.io.Reader;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tee.config.ConfigException;
import dev.tee.config.ConfigKey;
import dev.tee.tls.Configure;
import dev.tee.tls.Pem;
import dev.tee.tls.PemException;
import org.bouncycastle.util.IPAddress;

/**
 * {@code demo --serve}: a fake Teleport and a Fluentd stand-in on 127.0.0.1 that use the files
 * {@code configure} wrote, so that {@code start} with that configuration can be tried on one machine.
 */
public final class DemoServers implements AutoCloseable {

    /** The files of configure's directory that the servers or the exporter read. */
    private static final List<String> NEEDED = List.of(Configure.CA_CERT, Configure.SERVER_CERT, Configure.SERVER_KEY,
            Configure.CLIENT_CERT, Configure.CLIENT_KEY, Configure.FLUENT_CONF, Configure.PROPERTIES);
    private static final String BIND = "127.0.0.1";
    private static final Duration HISTORY = Duration.ofHours(1);
    private static final long SEED = 42;
    /** What {@code tctl auth sign} gives without --ttl. */
    private static final Duration IDENTITY_VALIDITY = Duration.ofHours(12);
    private static final Pattern SHELL_SAFE = Pattern.compile("[A-Za-z0-9_./:@%+=,-]+");

    private final Path dir;
    private final FakeTeleport teleport;
    private final FluentdStandIn fluentd;
    private final String auditUrl;
    private final String sessionTagPrefix;
    private final Instant startTime;
    private final int recordings;
    private final List<String> warnings;

    private DemoServers(Path dir, FakeTeleport teleport, FluentdStandIn fluentd, String auditUrl,
            String sessionTagPrefix, Instant startTime, int recordings, List<String> warnings) {
        this.dir = dir;
        this.teleport = teleport;
        this.fluentd = fluentd;
        this.auditUrl = auditUrl;
        this.sessionTagPrefix = sessionTagPrefix;
        this.startTime = startTime;
        this.recordings = recordings;
        this.warnings = warnings;
    }

    /**
     * Starts the Fluentd stand-in on the port of OUT_DIR's {@code forward.fluentd.url} with OUT_DIR's
     * server certificate, key and CA, then a fake Teleport with {@code events} events of the last
     * hour, and writes the exporter's identity file into OUT_DIR.
     *
     * @throws ConfigException when OUT_DIR is not what configure wrote, or the port is taken
     */
    public static DemoServers start(Path outDir, int events) {
        Path dir = outDir.toAbsolutePath().normalize();
        if (!Files.isDirectory(dir)) {
            throw new ConfigException("demo --serve: " + dir + " is no directory; write it first with: configure " + dir);
        }
        List<String> missing = NEEDED.stream().filter(name -> !Files.isRegularFile(dir.resolve(name))).toList();
        if (!missing.isEmpty()) {
            throw new ConfigException("demo --serve: " + dir + " has no " + String.join(", ", missing)
                    + ", so configure did not write it; write it with: configure " + dir);
        }
        Path propertiesFile = dir.resolve(Configure.PROPERTIES);
        Properties properties = properties(propertiesFile);
        URI audit = httpsUrl(properties, ConfigKey.FORWARD_FLUENTD_URL, propertiesFile);
        int port = audit.getPort() == -1 ? 443 : audit.getPort();

        List<String> warnings = new ArrayList<>();
        certificateWarning(dir.resolve(Configure.SERVER_CERT), audit.getHost()).ifPresent(warnings::add);
        loopbackWarning(audit.getHost()).ifPresent(warnings::add);
        String sessionUrl = properties.getProperty(ConfigKey.FORWARD_FLUENTD_SESSION_URL.key(), "").strip();
        if (!sessionUrl.isEmpty() && !sameServer(audit, sessionUrl)) {
            warnings.add(ConfigKey.FORWARD_FLUENTD_SESSION_URL.key() + " names another server than "
                    + ConfigKey.FORWARD_FLUENTD_URL.key() + ": session recordings will not reach the stand-in");
        }

        FluentdStandIn fluentd = fluentd(dir, port);
        FakeTeleport teleport = null;
        try {
            Instant end = Instant.now().truncatedTo(ChronoUnit.SECONDS);
            Instant start = end.minus(HISTORY);
            List<ObjectNode> generated = new EventGenerator(SEED, start, HISTORY.dividedBy(events)).generate(events);
            teleport = FakeTeleport.builder().events(generated).start();
            int recordings = Demo.uploadRecordings(teleport, generated);
            teleport.writeIdentityFile(dir.resolve(Configure.IDENTITY), Configure.TELEPORT_USER, IDENTITY_VALIDITY);
            String sessionTagPrefix = sessionUrl.isEmpty() ? null : Configure.tagOf(sessionUrl) + ".";
            return new DemoServers(dir, teleport, fluentd, audit.toString(), sessionTagPrefix, start.minusSeconds(1),
                    recordings, List.copyOf(warnings));
        } catch (RuntimeException e) {
            if (teleport != null) {
                teleport.close();
            }
            fluentd.close();
            throw e;
        }
    }

    public FakeTeleport teleport() {
        return teleport;
    }

    public FluentdStandIn fluentd() {
        return fluentd;
    }

    /** The arguments of the {@code start} command that exports from these servers, "start" first. */
    public List<String> startArguments() {
        return List.of("start",
                "--config", dir.resolve(Configure.PROPERTIES).toString(),
                "--" + ConfigKey.TELEPORT_ADDR.goFlags().get(0), teleport.address(),
                "--" + ConfigKey.TELEPORT_IDENTITY.goFlags().get(0), dir.resolve(Configure.IDENTITY).toString(),
                // the events lie in the last hour; without a start time the exporter begins at now
                "--" + ConfigKey.START_TIME.key(), startTime.toString());
    }

    /** Prints what runs where, any warnings, and the command that runs the exporter against it, for {@code jar}. */
    public void printInstructions(PrintStream out, String jar) {
        out.printf("Fake Teleport    : cluster %s at %s, %d events of the last hour, %d session recordings%n",
                teleport.clusterName(), teleport.address(), teleport.eventCount(), recordings);
        out.printf("Identity         : %s (for the exporter, valid %d hours)%n", dir.resolve(Configure.IDENTITY),
                IDENTITY_VALIDITY.toHours());
        out.printf("Fluentd stand-in : %s:%d for %s (mTLS with %s, %s and %s)%n", BIND, fluentd.port(), auditUrl,
                Configure.SERVER_CERT, Configure.SERVER_KEY, Configure.CA_CERT);
        warnings.forEach(warning -> out.println("Warning: " + warning));
        out.println();
        out.println("In another terminal, run the exporter with the configuration configure wrote:");
        out.println();
        out.println("  java -jar " + shellWord(jar) + " "
                + startArguments().stream().map(DemoServers::shellWord).collect(Collectors.joining(" ")));
        out.println();
        out.println("Serving until Ctrl-C.");
        out.flush();
    }

    /**
     * Prints {@link #received()} each time the stand-in's event count has changed, checking every
     * {@code interval}, until this thread is interrupted.
     */
    public void reportUntilInterrupted(PrintStream out, Duration interval) {
        int reported = 0;
        while (!Thread.currentThread().isInterrupted()) {
            int count = fluentd.eventCount();
            if (count != reported) {
                out.println(received());
                out.flush();
                reported = count;
            }
            try {
                Thread.sleep(interval.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** "Fluentd stand-in: N events in M requests (tags: ...)", the session recordings' tags counted together. */
    public String received() {
        List<String> tags = new ArrayList<>();
        int sessionEvents = 0;
        int sessions = 0;
        for (String tag : fluentd.tags()) {
            int events = fluentd.events(tag).size();
            if (sessionTagPrefix != null && tag.startsWith(sessionTagPrefix)) {
                sessionEvents += events;
                sessions++;
            } else {
                tags.add(tag + " " + events);
            }
        }
        if (sessions > 0) {
            tags.add(sessionTagPrefix + "<session id>.log " + sessionEvents + " of " + sessions + " recordings");
        }
        return String.format("Fluentd stand-in: %d events in %d requests (tags: %s)", fluentd.eventCount(),
                fluentd.requestCount(), String.join(", ", tags));
    }

    @Override
    public void close() {
        fluentd.close();
        teleport.close();
    }

    private static FluentdStandIn fluentd(Path dir, int port) {
        Path fluentConf = dir.resolve(Configure.FLUENT_CONF);
        char[] passphrase = Configure.serverKeyPassphrase(read(fluentConf))
                .orElseThrow(() -> new ConfigException("demo --serve: " + fluentConf
                        + " has no private_key_passphrase '...' line with the passphrase of " + Configure.SERVER_KEY))
                .toCharArray();
        FluentdStandIn.Builder builder;
        try {
            builder = FluentdStandIn.builder().bind(BIND).port(port)
                    .serverCertificate(dir.resolve(Configure.SERVER_CERT), dir.resolve(Configure.SERVER_KEY), passphrase)
                    .clientCa(dir.resolve(Configure.CA_CERT));
        } finally {
            Arrays.fill(passphrase, '\0');
        }
        try {
            return builder.build().start();
        } catch (IllegalStateException e) {
            // the port of forward.fluentd.url is taken, most likely by a Fluentd started on fluent.conf
            throw new ConfigException("demo --serve: " + e.getMessage() + " (the port of "
                    + ConfigKey.FORWARD_FLUENTD_URL.key() + " in " + dir.resolve(Configure.PROPERTIES) + ")", e);
        }
    }

    /** A warning when {@code certFile} does not name {@code host}, which the exporter checks it for. */
    private static Optional<String> certificateWarning(Path certFile, String host) {
        X509Certificate certificate;
        Collection<List<?>> alternativeNames;
        try {
            certificate = Pem.readCertificates(read(certFile)).stream().findFirst()
                    .orElseThrow(() -> new ConfigException("demo --serve: " + certFile + ": no certificate found"));
            alternativeNames = certificate.getSubjectAlternativeNames();
        } catch (PemException | CertificateParsingException e) {
            throw new ConfigException("demo --serve: " + certFile + ": " + e.getMessage(), e);
        }
        List<String> names = new ArrayList<>();
        boolean covered = false;
        for (List<?> name : alternativeNames == null ? List.<List<?>>of() : alternativeNames) {
            int type = (Integer) name.get(0);
            if (type != 2 && type != 7) { // dNSName, iPAddress (RFC 5280 GeneralName)
                continue;
            }
            String value = name.get(1).toString();
            names.add(value);
            covered |= type == 2 ? value.equalsIgnoreCase(host) : sameAddress(value, host);
        }
        if (covered) {
            return Optional.empty();
        }
        return Optional.of(certFile + " covers " + (names.isEmpty() ? "no names" : String.join(", ", names))
                + ", not " + host + " of " + ConfigKey.FORWARD_FLUENTD_URL.key()
                + ": the exporter will refuse it; run configure again with --dns-names " + host);
    }

    private static boolean sameAddress(String address, String host) {
        String literal = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        if (!IPAddress.isValid(literal)) {
            return false;
        }
        try {
            // both are literals: no name is looked up
            return InetAddress.getByName(address).equals(InetAddress.getByName(literal));
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** A warning when the exporter, dialling {@code host}, would not reach the stand-in on 127.0.0.1. */
    private static Optional<String> loopbackWarning(String host) {
        String problem;
        try {
            // the address Java's HTTP client dials first
            InetAddress address = InetAddress.getByName(host);
            if (address instanceof Inet4Address && address.isLoopbackAddress()) {
                return Optional.empty();
            }
            problem = "is " + address.getHostAddress();
        } catch (UnknownHostException e) {
            problem = "does not resolve";
        }
        return Optional.of(host + " of " + ConfigKey.FORWARD_FLUENTD_URL.key() + " " + problem
                + ", but the stand-in listens on " + BIND + " only: the exporter will not reach it");
    }

    private static boolean sameServer(URI audit, String sessionUrl) {
        try {
            URI session = new URI(sessionUrl);
            return audit.getHost().equalsIgnoreCase(String.valueOf(session.getHost()))
                    && audit.getPort() == session.getPort();
        } catch (URISyntaxException e) {
            return false;
        }
    }

    private static URI httpsUrl(Properties properties, ConfigKey key, Path file) {
        String value = properties.getProperty(key.key(), "").strip();
        try {
            URI url = new URI(value);
            if ("https".equals(url.getScheme()) && url.getHost() != null) {
                return url;
            }
        } catch (URISyntaxException e) {
            // reported below
        }
        throw new ConfigException("demo --serve: " + file + ": " + key.key() + " must be an https URL such as "
                + Configure.AUDIT_URL + ", not \"" + value + "\"");
    }

    /** As plain properties: ConfigLoader would refuse the file until the identity it names exists. */
    private static Properties properties(Path file) {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(reader);
        } catch (IOException | IllegalArgumentException e) {
            throw new ConfigException("demo --serve: cannot read " + file + ": " + e.getMessage(), e);
        }
        return properties;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException("demo --serve: cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** {@code text} as one word of a POSIX shell command line: as it is when that is safe, else single-quoted. */
    private static String shellWord(String text) {
        return SHELL_SAFE.matcher(text).matches() ? text : "'" + text.replace("'", "'\\''") + "'";
    }
}
