package dev.tee.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.tee.config.ConfigKey;
import dev.tee.config.ConfigLoader;
import dev.tee.demo.FakeTeleport;
import dev.tee.tls.Configure;

/**
 * What {@code configure} writes, deployed on 127.0.0.1: real Fluentd on configure's fluent.conf, its
 * mTLS certificates and its S3 output pointed at S3Proxy, and the exporter's configuration from
 * configure's application.properties pointed at it and at a fake Teleport.
 *
 * <p>fluent.conf changes only where a user's deployment must: the REPLACE_ values, and S3Proxy's
 * endpoint with path-style addressing; and, to keep tests apart, a free port on 127.0.0.1 only. Its
 * certificates, key and buffer are configure's own paths in that directory.
 */
public final class ConfiguredFluentd implements AutoCloseable {

    private static final Pattern PORT_LINE = Pattern.compile("(?m)^(\\s*)port 8888$");
    private static final Pattern REGION_LINE = Pattern.compile("(?m)^(\\s*)s3_region REPLACE_REGION$");

    private final Path dir;
    private final int port;
    private final RealFluentd fluentd;

    private ConfiguredFluentd(Path dir, int port, RealFluentd fluentd) {
        this.dir = dir;
        this.port = port;
        this.fluentd = fluentd;
    }

    /**
     * Runs {@code configure} into {@code dir} (certificates for localhost and 127.0.0.1), fills in its
     * fluent.conf for {@code bucket} on {@code s3}, and starts Fluentd on it, logging to
     * {@code dir/fluentd.log}. The bucket must exist: fluent-plugin-s3 checks it at start.
     */
    public static ConfiguredFluentd start(Path dir, S3ProxyServer s3, String bucket) {
        try {
            Configure.write(new Configure.Options(dir, Configure.DEFAULT_TELEPORT_ADDR, Duration.ofDays(1),
                    List.of("localhost"), List.of("127.0.0.1"), 2048, false), Configure.randomPassphrase());
            int port = freePort();
            Path conf = dir.resolve(Configure.FLUENT_CONF);
            Files.writeString(conf, forTest(Files.readString(conf, StandardCharsets.UTF_8), port, s3, bucket),
                    StandardCharsets.UTF_8);
            return new ConfiguredFluentd(dir, port, RealFluentd.start(conf, dir.resolve("fluentd.log")));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot set up configure's files in " + dir, e);
        }
    }

    /**
     * configure's fluent.conf as a user fills it in for this S3Proxy, plus what keeps a test apart
     * from every other: a free port, and loopback only.
     */
    private static String forTest(String fluentConf, int port, S3ProxyServer s3, String bucket) {
        String conf = replaceOnce(fluentConf, PORT_LINE, "$1port " + port + "\n$1bind 127.0.0.1");
        conf = replaceOnce(conf, REGION_LINE, "$1s3_region " + S3ProxyServer.REGION
                + "\n$1s3_endpoint " + s3.endpoint() + "\n$1force_path_style true");
        conf = replaceOnce(conf, "REPLACE_AWS_KEY_ID", S3ProxyServer.ACCESS_KEY);
        conf = replaceOnce(conf, "REPLACE_AWS_SECRET", S3ProxyServer.SECRET_KEY);
        return replaceOnce(conf, "REPLACE_BUCKET", bucket);
    }

    public RealFluentd fluentd() {
        return fluentd;
    }

    /**
     * The exporter's configuration: configure's application.properties, with an identity file of
     * {@code teleport} written where it expects one, and the addresses changed to the fake Teleport
     * and this Fluentd. Management port off; the caller adds what its test needs.
     */
    public ConfigLoader exporter(FakeTeleport teleport) {
        teleport.writeIdentityFile(dir.resolve(Configure.IDENTITY), Configure.TELEPORT_USER, Duration.ofDays(1));
        return new ConfigLoader(Map.of())
                .configFile(dir.resolve(Configure.PROPERTIES))
                .set(ConfigKey.TELEPORT_ADDR, teleport.address())
                .set(ConfigKey.FORWARD_FLUENTD_URL, here(Configure.AUDIT_URL))
                .set(ConfigKey.FORWARD_FLUENTD_SESSION_URL, here(Configure.SESSION_URL))
                .set(ConfigKey.MANAGEMENT_PORT, "0");
    }

    /** The directory configure wrote, with the exporter's application.properties. */
    public Path dir() {
        return dir;
    }

    /** A URL of configure's, on 127.0.0.1 (which the server certificate names) and this Fluentd's port. */
    public String here(String url) {
        URI uri = URI.create(url);
        return uri.getScheme() + "://127.0.0.1:" + port + uri.getRawPath();
    }

    @Override
    public void close() {
        fluentd.close();
    }

    private static String replaceOnce(String text, String literal, String replacement) {
        return replaceOnce(text, Pattern.compile(Pattern.quote(literal)), Matcher.quoteReplacement(replacement));
    }

    /** Replaces the one match of {@code pattern}; none or several mean configure's fluent.conf changed. */
    private static String replaceOnce(String text, Pattern pattern, String replacement) {
        Matcher matcher = pattern.matcher(text);
        long matches = matcher.results().count();
        if (matches != 1) {
            throw new IllegalStateException("configure's fluent.conf has " + matches + " matches of " + pattern
                    + " where the test expects one: has configure changed it?");
        }
        return pattern.matcher(text).replaceFirst(replacement);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
