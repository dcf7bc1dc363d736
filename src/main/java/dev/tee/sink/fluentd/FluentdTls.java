package dev.tee.sink.fluentd;

import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509TrustManager;

import dev.tee.config.ConfigException;
import dev.tee.tls.FreshSessions;
import dev.tee.tls.PemFiles;
import dev.tee.tls.TlsMaterial;
import org.apache.camel.CamelContext;
import org.apache.camel.support.jsse.SSLContextParameters;

/**
 * The {@code fluentdTls} bean: the TLS side of the Fluentd endpoint ({@code sslContextParameters}),
 * built from our PEM files: the client certificate and its key (plain or encrypted), and the CA
 * that signs Fluentd's certificate (else the JVM's trust store). Its context never resumes a TLS
 * session, which real Fluentd refuses (see {@link FreshSessions}); the endpoint checks host names.
 * {@link #renewFrom} swaps in newly read files: connections made from then on present the new
 * certificate and trust the new CA, pooled ones keep what they were made with until they close.
 */
public final class FluentdTls extends SSLContextParameters {

    static final String CERT_KEY = "forward.fluentd.cert";
    static final String KEY_KEY = "forward.fluentd.key";
    static final String PASSPHRASE_KEY = "forward.fluentd.key-passphrase";
    static final String CA_KEY = "forward.fluentd.ca";

    private final SSLContext context;
    private volatile Material material;

    /** What one reading of the files gave; {@code identity} and {@code certFile} are null without a certificate. */
    private record Material(X509ExtendedKeyManager identity, X509TrustManager trust, String trustSource,
            Path certFile) {
    }

    private FluentdTls(Material material) {
        this.material = material;
        // every connection takes the material current when it is made
        this.context = FreshSessions.sslContext(() -> {
            Material now = this.material;
            return TlsMaterial.sslContext(now.identity(), now.trust());
        });
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The context built from the PEM files; Camel's own key and trust store settings do not apply. */
    @Override
    public SSLContext createSSLContext(CamelContext camelContext) {
        return context;
    }

    /** Where the trusted CAs come from, for messages: forward.fluentd.ca and its file, or the JVM's store. */
    String trustSource() {
        return material.trustSource();
    }

    /** Whether a client certificate is presented (Fluentd with client_cert_auth refuses a client without one). */
    boolean presentsCertificate() {
        return material.identity() != null;
    }

    /**
     * From now on, new connections use what {@code loaded} read (a {@link Builder#build()} of the
     * same keys after the files changed); connections already open keep their certificate.
     */
    public void renewFrom(FluentdTls loaded) {
        material = loaded.material;
    }

    /** The client certificate's file, subject and expiry, and the trusted CAs' source: no secret. */
    public String describe() {
        Material now = material;
        if (now.identity() == null) {
            return "no client certificate, trusting " + now.trustSource();
        }
        // TlsMaterial's key manager presents its one chain whatever the server asks for
        X509ExtendedKeyManager identity = now.identity();
        X509Certificate leaf = identity.getCertificateChain(identity.chooseClientAlias(null, null, null))[0];
        return "client certificate " + now.certFile() + " (" + leaf.getSubjectX500Principal().getName()
                + ", valid until " + leaf.getNotAfter().toInstant() + "), trusting " + now.trustSource();
    }

    /** The client certificate, key and CA, checked and loaded by {@link #build()}. */
    public static final class Builder {
        private Path cert;
        private Path key;
        private char[] passphrase;
        private Path ca;

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

        /** Loads the PEM files; a problem with them is a ConfigException naming the key and the file. */
        public FluentdTls build() {
            // as in the Go handler, the client certificate is optional but comes with its key
            if (cert == null && key != null) {
                throw new ConfigException(CERT_KEY + ": required with " + KEY_KEY + " (" + key + ")");
            }
            if (cert != null && key == null) {
                throw new ConfigException(KEY_KEY + ": required with " + CERT_KEY + " (" + cert + ")");
            }
            X509ExtendedKeyManager identity = null;
            if (cert != null) {
                List<X509Certificate> chain = PemFiles.certificates(CERT_KEY, cert);
                PrivateKey privateKey = PemFiles.privateKey(KEY_KEY, key, PASSPHRASE_KEY, passphrase);
                PemFiles.requirePair(KEY_KEY, key, privateKey, CERT_KEY, cert, chain.get(0));
                identity = TlsMaterial.keyManager(chain, privateKey);
            }
            X509TrustManager trust;
            String trustSource;
            if (ca != null) {
                trust = TlsMaterial.trustManager(PemFiles.certificates(CA_KEY, ca));
                trustSource = CA_KEY + " (" + ca + ")";
            } else {
                trust = defaultTrust();
                trustSource = "the JVM's default trust store (" + CA_KEY + " is not set)";
            }
            if (passphrase != null) {
                Arrays.fill(passphrase, '\0');
            }
            return new FluentdTls(new Material(identity, trust, trustSource, cert));
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
