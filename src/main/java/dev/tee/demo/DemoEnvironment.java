package dev.tee.demo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tee.tls.Certificate;
import dev.tee.tls.CertificateAuthority;
import dev.tee.tls.KeyKind;
import dev.tee.tls.Pem;
import dev.tee.tls.PemFormat;
import dev.tee.tls.PrivateFiles;

/**
 * A complete little world for the exporter on 127.0.0.1: a fake Teleport serving the given events, a
 * Fluentd stand-in with mTLS, every certificate and key file the exporter needs, and an
 * {@code application.properties} that points at them. The demo runs in it, and so do the end-to-end
 * and kill tests.
 */
public final class DemoEnvironment implements AutoCloseable {

    public static final String AUDIT_TAG = "events.log";
    private static final Duration VALIDITY = Duration.ofDays(1);

    private final Path dir;
    private final FakeTeleport teleport;
    private final FluentdStandIn fluentd;
    private final CertificateAuthority fluentdCa;
    private final Map<String, String> settings = new LinkedHashMap<>();

    private DemoEnvironment(Path dir, FakeTeleport teleport, FluentdStandIn fluentd, CertificateAuthority fluentdCa) {
        this.dir = dir;
        this.teleport = teleport;
        this.fluentd = fluentd;
        this.fluentdCa = fluentdCa;
    }

    /** Starts both servers in {@code dir}; {@code fluentdOptions} may add e.g. a record file. */
    public static DemoEnvironment start(Path dir, Collection<? extends ObjectNode> events,
            Consumer<FluentdStandIn.Builder> fluentdOptions) {
        return start(dir, events, teleport -> { }, fluentdOptions);
    }

    /** As {@link #start(Path, Collection, Consumer)}, with options for the fake Teleport (bulk export...). */
    public static DemoEnvironment start(Path dir, Collection<? extends ObjectNode> events,
            Consumer<FakeTeleport.Builder> teleportOptions, Consumer<FluentdStandIn.Builder> fluentdOptions) {
        try {
            Files.createDirectories(dir);
            FakeTeleport.Builder teleportBuilder = FakeTeleport.builder().events(events);
            teleportOptions.accept(teleportBuilder);
            FakeTeleport teleport = teleportBuilder.start();
            teleport.writeIdentityFile(dir.resolve("identity"), "teleport-event-exporter", VALIDITY);

            // Fluentd's side, as `configure` makes it: one CA, a server key under a passphrase
            // (Fluentd insists on one), a client certificate for the exporter.
            CertificateAuthority ca = CertificateAuthority.create("Demo Fluentd CA", KeyKind.EC, 0, VALIDITY);
            Certificate server = ca.leaf("localhost").dnsNames("localhost").ipAddresses("127.0.0.1")
                    .forServer().validFor(VALIDITY).issue();
            Files.writeString(dir.resolve("fluentd-ca.crt"), Pem.certificate(ca.certificate().x509()));
            writeFluentdClientCertificate(dir, ca);

            FluentdStandIn.Builder builder = FluentdStandIn.builder()
                    .clientCa(List.of(ca.certificate().x509()))
                    .serverCertificate(server);
            fluentdOptions.accept(builder);
            FluentdStandIn fluentd = builder.build().start();

            DemoEnvironment environment = new DemoEnvironment(dir, teleport, fluentd, ca);
            environment.settings.put("teleport.addr", teleport.address());
            environment.settings.put("teleport.identity", dir.resolve("identity").toString());
            environment.settings.put("storage", dir.resolve("storage").toString());
            environment.settings.put("forward.fluentd.url", fluentd.url("/" + AUDIT_TAG));
            environment.settings.put("forward.fluentd.session-url", fluentd.url("/session"));
            environment.settings.put("forward.fluentd.ca", dir.resolve("fluentd-ca.crt").toString());
            environment.settings.put("forward.fluentd.cert", dir.resolve("fluentd-client.crt").toString());
            environment.settings.put("forward.fluentd.key", dir.resolve("fluentd-client.key").toString());
            return environment;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot set up the demo environment in " + dir, e);
        }
    }

    /**
     * Issues the exporter a new Fluentd client certificate and key from the same CA and writes them
     * over the files the configuration names, as a renewal would; returns the new certificate.
     */
    public X509Certificate renewFluentdClientCertificate() {
        try {
            return writeFluentdClientCertificate(dir, fluentdCa);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the Fluentd client certificate in " + dir, e);
        }
    }

    private static X509Certificate writeFluentdClientCertificate(Path dir, CertificateAuthority ca) throws IOException {
        Certificate client = ca.leaf("teleport-event-exporter").forClient().validFor(VALIDITY).issue();
        Files.writeString(dir.resolve("fluentd-client.crt"), Pem.certificate(client.x509()));
        PrivateFiles.write(dir.resolve("fluentd-client.key"),
                Pem.privateKey(client.keyPair().getPrivate(), PemFormat.PKCS8, null));
        return client.x509();
    }

    public Path dir() {
        return dir;
    }

    public FakeTeleport teleport() {
        return teleport;
    }

    public FluentdStandIn fluentd() {
        return fluentd;
    }

    /** The settings that connect an exporter to this environment (key → value). */
    public Map<String, String> settings() {
        return Map.copyOf(settings);
    }

    /** Writes an application.properties with these settings plus {@code extra}, and returns its path. */
    public Path writeConfig(Map<String, String> extra) {
        Map<String, String> all = new LinkedHashMap<>(settings);
        all.putAll(extra);
        StringBuilder text = new StringBuilder("# written by the demo environment\n");
        all.forEach((key, value) -> text.append(key).append('=').append(value.replace("\\", "\\\\")).append('\n'));
        Path file = dir.resolve("application.properties");
        try {
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
        return file;
    }

    @Override
    public void close() {
        fluentd.close();
        teleport.close();
    }
}
