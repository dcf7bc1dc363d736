package dev.tee.sink.fluentd;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509TrustManager;

import dev.tee.config.ConfigException;
import dev.tee.tls.FreshSessions;
import dev.tee.tls.Pem;
import dev.tee.tls.PemException;
import dev.tee.tls.TlsMaterial;
import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.config.TlsConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.client5.http.ssl.ClientTlsStrategyBuilder;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.NoHttpResponseException;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.http.ssl.TLS;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;

/**
 * POSTs JSON to Fluentd's in_http over mutual TLS with a pool of kept-alive connections (Apache
 * HttpClient 5 classic), as Teleport's event handler does with Go's net/http (event-handler.md §2.7).
 */
public final class FluentdClient implements Closeable {

    static final String CERT_KEY = "forward.fluentd.cert";
    static final String KEY_KEY = "forward.fluentd.key";
    static final String PASSPHRASE_KEY = "forward.fluentd.key-passphrase";
    static final String CA_KEY = "forward.fluentd.ca";
    static final String MAX_CONNECTIONS_KEY = "forward.fluentd.max-connections";

    /** How much of a response body is kept (for dead letters and messages). */
    public static final int RESPONSE_LIMIT = 1024;
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** The Go handler's whole-request timeout. */
    public static final Duration DEFAULT_RESPONSE_TIMEOUT = Duration.ofSeconds(30);
    /**
     * Pooled connections idle longer than this are closed by us: in_http closes them after 10 s
     * ({@code keepalive_timeout}), and reusing one it is about to close would fail the POST.
     */
    static final Duration IDLE_TIMEOUT = Duration.ofSeconds(5);

    private static final ContentType JSON = ContentType.create("application/json");

    private final CloseableHttpClient http;
    private final PoolingHttpClientConnectionManager pool;
    private final String trustSource;
    private final boolean presentsCertificate;

    /** Fluentd's answer: the status and the start of the body (at most {@link #RESPONSE_LIMIT} bytes). */
    public record Response(int status, String body) {
    }

    private FluentdClient(SSLContext context, String trustSource, boolean presentsCertificate, int maxConnections,
            Duration connectTimeout, Duration responseTimeout) {
        this.trustSource = trustSource;
        this.presentsCertificate = presentsCertificate;
        this.pool = PoolingHttpClientConnectionManagerBuilder.create()
                // hostname verification stays on: the builder's default verifier checks the server's SANs
                .setTlsSocketStrategy(ClientTlsStrategyBuilder.create()
                        .setSslContext(context)
                        .setTlsVersions(TLS.V_1_3, TLS.V_1_2)
                        .buildClassic())
                .setMaxConnTotal(maxConnections)
                .setMaxConnPerRoute(maxConnections)
                .setDefaultConnectionConfig(ConnectionConfig.custom()
                        .setConnectTimeout(Timeout.of(connectTimeout))
                        .setSocketTimeout(Timeout.of(responseTimeout))
                        // a pooled connection idle for a second is checked first: Fluentd may have closed it
                        .setValidateAfterInactivity(TimeValue.ofSeconds(1))
                        .build())
                .setDefaultTlsConfig(TlsConfig.custom()
                        .setHandshakeTimeout(Timeout.of(connectTimeout))
                        .build())
                .build();
        this.http = HttpClients.custom()
                .setConnectionManager(pool)
                .setDefaultRequestConfig(RequestConfig.custom()
                        .setConnectionRequestTimeout(Timeout.of(responseTimeout))
                        .setResponseTimeout(Timeout.of(responseTimeout))
                        .build())
                .setKeepAliveStrategy((response, httpContext) -> TimeValue.of(IDLE_TIMEOUT))
                .evictIdleConnections(TimeValue.of(IDLE_TIMEOUT))
                // with a client certificate HttpClient tags each connection with its TLS principal and
                // then leases it only to requests carrying that same token, so none would ever be reused
                .disableConnectionState()
                // the route owns retries (backoff, redelivery of unsettled events); a 3xx is a failure, not a hop
                .disableAutomaticRetries()
                .disableRedirectHandling()
                .disableCookieManagement()
                .disableContentCompression()
                .build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * POSTs {@code json} to {@code url} with {@code Content-Type: application/json} and returns
     * Fluentd's answer, whatever its status.
     *
     * @throws FluentdUnavailableException when there is no answer (refused, timed out, TLS failure)
     */
    public Response post(String url, byte[] json) {
        HttpPost post = new HttpPost(url);
        post.setEntity(new ByteArrayEntity(json, JSON));
        try {
            return http.execute(post, response -> new Response(response.getCode(), head(response.getEntity())));
        } catch (IOException e) {
            String hint = !presentsCertificate && (e instanceof SSLException || e instanceof SocketException)
                    ? " (no client certificate is set; Fluentd with client_cert_auth needs " + CERT_KEY + " and "
                            + KEY_KEY + ")"
                    : "";
            throw new FluentdUnavailableException("Fluentd at " + printable(url) + " " + problem(e) + hint, e);
        }
    }

    @Override
    public void close() {
        http.close(CloseMode.GRACEFUL);
        pool.close(CloseMode.GRACEFUL);
    }

    /** The URL without user info or query, for messages. */
    static String printable(String url) {
        try {
            URI uri = URI.create(url);
            return uri.getScheme() + "://" + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort())
                    + (uri.getRawPath() == null ? "" : uri.getRawPath());
        } catch (IllegalArgumentException e) {
            return "(malformed URL)";
        }
    }

    private static String head(HttpEntity entity) throws IOException {
        if (entity == null) {
            return "";
        }
        // closing the stream drains the rest, so the connection goes back to the pool
        try (InputStream in = entity.getContent()) {
            return new String(in.readNBytes(RESPONSE_LIMIT), StandardCharsets.UTF_8);
        }
    }

    /** What went wrong, as the rest of a sentence that starts with "Fluentd at URL". */
    private String problem(IOException e) {
        String alert = e instanceof SSLException ? receivedAlert(e.getMessage()) : null;
        if (alert != null && !alert.contains("certificate") && !alert.equals("unknown_ca")) {
            // e.g. internal_error: the answer of Fluentd's OpenSSL to a resumed session (fluent/fluentd#3632)
            return "refuses the TLS handshake: it sent the alert " + alert;
        }
        return "is unreachable: " + describe(e);
    }

    /** The alert name in the JDK's "Received fatal alert: NAME", or null. */
    static String receivedAlert(String message) {
        String marker = "Received fatal alert: ";
        int at = message == null ? -1 : message.indexOf(marker);
        return at < 0 ? null : message.substring(at + marker.length()).strip();
    }

    private String describe(IOException e) {
        if (e instanceof SSLPeerUnverifiedException) {
            return "TLS: the server certificate does not match the host name (" + e.getMessage() + ")";
        }
        if (e instanceof SSLHandshakeException) {
            if (causedBy(e, CertPathBuilderException.class) || causedBy(e, CertPathValidatorException.class)) {
                return "TLS: the server certificate is not signed by a CA in " + trustSource;
            }
            String message = String.valueOf(e.getMessage());
            if (message.contains("No subject alternative") || message.contains("No name matching")) {
                return "TLS: the server certificate does not match the host name (" + message + ")";
            }
            if (message.contains("fatal alert") && message.contains("certificate")) {
                return "TLS: Fluentd refused our client certificate (" + CERT_KEY + "): " + message;
            }
            return "TLS handshake failed: " + message;
        }
        if (e instanceof ConnectException) {
            return "connection refused";
        }
        if (e instanceof InterruptedIOException) {
            return "timed out";
        }
        if (e instanceof UnknownHostException) {
            return "unknown host " + e.getMessage();
        }
        if (e instanceof NoHttpResponseException) {
            return "the connection closed without an answer";
        }
        return e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (type.isInstance(cause)) {
                return true;
            }
        }
        return false;
    }

    /** The client certificate, key, CA and limits, checked and loaded by {@link #build()}. */
    public static final class Builder {
        private Path cert;
        private Path key;
        private char[] passphrase;
        private Path ca;
        private int maxConnections = 10;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private Duration responseTimeout = DEFAULT_RESPONSE_TIMEOUT;

        private Builder() {
        }

        /** {@code forward.fluentd.cert}: the client certificate (PEM, chain allowed); null presents none. */
        public Builder cert(Path cert) {
            this.cert = cert;
            return this;
        }

        /** {@code forward.fluentd.key}: its private key (PKCS#1, SEC1 EC or PKCS#8 PEM, maybe encrypted). */
        public Builder key(Path key) {
            this.key = key;
            return this;
        }

        /** {@code forward.fluentd.key-passphrase}: the key's passphrase, or null. */
        public Builder keyPassphrase(char[] passphrase) {
            this.passphrase = passphrase == null ? null : passphrase.clone();
            return this;
        }

        /** {@code forward.fluentd.ca}: the CA that signs Fluentd's certificate; null trusts the JVM's default store. */
        public Builder ca(Path ca) {
            this.ca = ca;
            return this;
        }

        /** {@code forward.fluentd.max-connections}: the pool size, total and per route. */
        public Builder maxConnections(int maxConnections) {
            this.maxConnections = maxConnections;
            return this;
        }

        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = timeout;
            return this;
        }

        public Builder responseTimeout(Duration timeout) {
            this.responseTimeout = timeout;
            return this;
        }

        /** Loads the PEM files; a problem with them is a ConfigException naming the key and the file. */
        public FluentdClient build() {
            if (maxConnections < 1) {
                throw new ConfigException(MAX_CONNECTIONS_KEY + ": must be at least 1, got " + maxConnections);
            }
            // as in the Go handler, the client certificate is optional but comes with its key
            if (cert == null && key != null) {
                throw new ConfigException(CERT_KEY + ": required with " + KEY_KEY + " (" + key + ")");
            }
            if (cert != null && key == null) {
                throw new ConfigException(KEY_KEY + ": required with " + CERT_KEY + " (" + cert + ")");
            }
            X509ExtendedKeyManager identity = null;
            if (cert != null) {
                List<X509Certificate> chain = certificates(CERT_KEY, cert);
                PrivateKey privateKey = privateKey();
                if (!belongTogether(privateKey, chain.get(0))) {
                    throw new ConfigException(KEY_KEY + ": " + key + ": is not the key of the certificate in "
                            + CERT_KEY + " (" + cert + ")");
                }
                identity = TlsMaterial.keyManager(chain, privateKey);
            }
            X509TrustManager trust;
            String trustSource;
            if (ca != null) {
                trust = TlsMaterial.trustManager(certificates(CA_KEY, ca));
                trustSource = CA_KEY + " (" + ca + ")";
            } else {
                trust = defaultTrust();
                trustSource = "the JVM's default trust store (" + CA_KEY + " is not set)";
            }
            // never resumes a TLS session: Fluentd refuses resumption (see FreshSessions)
            SSLContext context = FreshSessions.sslContext(identity, trust);
            if (passphrase != null) {
                Arrays.fill(passphrase, '\0');
            }
            return new FluentdClient(context, trustSource, identity != null, maxConnections, connectTimeout,
                    responseTimeout);
        }

        private PrivateKey privateKey() {
            try {
                return Pem.readPrivateKey(read(KEY_KEY, key), passphrase);
            } catch (PemException e) {
                String message = e.getMessage();
                if (message.contains("no passphrase")) {
                    message += " (set " + PASSPHRASE_KEY + ")";
                } else if (message.contains("(wrong passphrase?)")) {
                    message = message.replace("(wrong passphrase?)",
                            "(wrong passphrase? check " + PASSPHRASE_KEY + ")");
                }
                throw new ConfigException(KEY_KEY + ": " + key + ": " + message);
            }
        }

        private static List<X509Certificate> certificates(String configKey, Path file) {
            try {
                List<X509Certificate> certificates = Pem.readCertificates(read(configKey, file));
                if (certificates.isEmpty()) {
                    throw new ConfigException(configKey + ": " + file + ": no PEM certificate found");
                }
                return certificates;
            } catch (PemException e) {
                throw new ConfigException(configKey + ": " + file + ": " + e.getMessage());
            }
        }

        private static String read(String configKey, Path file) {
            try {
                return Files.readString(file, StandardCharsets.UTF_8);
            } catch (NoSuchFileException e) {
                throw new ConfigException(configKey + ": " + file + ": no such file");
            } catch (IOException e) {
                throw new ConfigException(configKey + ": " + file + ": cannot read (" + e.getMessage() + ")");
            }
        }

        /** Whether {@code key} signs what the certificate's public key verifies (a mismatch fails every handshake). */
        private static boolean belongTogether(PrivateKey key, X509Certificate certificate) {
            String algorithm = signatureAlgorithm(key.getAlgorithm());
            if (algorithm == null) {
                return true; // a key type we do not probe: the handshake will tell
            }
            if (!algorithm.equals(signatureAlgorithm(certificate.getPublicKey().getAlgorithm()))) {
                return false;
            }
            try {
                byte[] probe = "teleport-event-exporter key check".getBytes(StandardCharsets.US_ASCII);
                Signature signer = Signature.getInstance(algorithm);
                signer.initSign(key);
                signer.update(probe);
                byte[] signature = signer.sign();
                Signature verifier = Signature.getInstance(algorithm);
                verifier.initVerify(certificate.getPublicKey());
                verifier.update(probe);
                return verifier.verify(signature);
            } catch (GeneralSecurityException e) {
                return false;
            }
        }

        private static String signatureAlgorithm(String keyAlgorithm) {
            return switch (keyAlgorithm) {
                case "RSA" -> "SHA256withRSA";
                case "EC", "ECDSA" -> "SHA256withECDSA";
                case "Ed25519", "EdDSA" -> "Ed25519";
                default -> null;
            };
        }

        private static X509TrustManager defaultTrust() {
            try {
                TrustManagerFactory factory =
                        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                factory.init((KeyStore) null);
                for (TrustManager manager : factory.getTrustManagers()) {
                    if (manager instanceof X509TrustManager x509) {
                        return x509;
                    }
                }
                throw new IllegalStateException("the JVM has no X.509 trust manager");
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("cannot load the JVM's default trust store", e);
            }
        }
    }
}
