package dev.tee.tls;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509TrustManager;

/** Key and trust managers built from PEM material, for both ends of an mTLS link. */
public final class TlsMaterial {

    private static final String ALIAS = "identity";

    private TlsMaterial() {
    }

    /**
     * A key manager that always presents {@code chain}, whatever CA names the server asks for: Go's
     * TLS clients (Teleport's own) send their certificate unconditionally, and so do we. It holds the
     * key itself: a PKCS12 key store would encrypt it with 10,000 rounds of PBKDF2 only for the
     * factory to decrypt it again, 45 to 85 ms each time on a cold JVM, at every start and reload.
     */
    public static X509ExtendedKeyManager keyManager(List<X509Certificate> chain, PrivateKey key) {
        if (chain.isEmpty()) {
            throw new IllegalArgumentException("a key manager needs a certificate");
        }
        return new OneIdentity(chain.toArray(X509Certificate[]::new), key);
    }

    /** A trust manager that trusts exactly {@code authorities}. */
    public static X509TrustManager trustManager(List<X509Certificate> authorities) {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            int i = 0;
            for (X509Certificate authority : authorities) {
                store.setCertificateEntry("ca-" + i++, authority);
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(store);
            return (X509TrustManager) factory.getTrustManagers()[0];
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new IllegalStateException("cannot build trust manager", e);
        }
    }

    /** An SSLContext with the given key manager (may be null) and trust manager. */
    public static SSLContext sslContext(X509ExtendedKeyManager keyManager, X509TrustManager trustManager) {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keyManager == null ? null : new javax.net.ssl.KeyManager[] {keyManager},
                    new javax.net.ssl.TrustManager[] {trustManager}, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot build TLS context", e);
        }
    }

    private static final class OneIdentity extends X509ExtendedKeyManager {
        private final X509Certificate[] chain;
        private final PrivateKey key;

        OneIdentity(X509Certificate[] chain, PrivateKey key) {
            this.chain = chain;
            this.key = key;
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return new String[] {ALIAS};
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return ALIAS;
        }

        @Override
        public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
            return ALIAS;
        }

        // As a server (the demo's fakes), offer the certificate only for the key type the cipher suite
        // needs, as any key manager does: "RSA", "EC", or TLS 1.2's "EC_RSA" form (key type first).
        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return serves(keyType) ? new String[] {ALIAS} : null;
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return serves(keyType) ? ALIAS : null;
        }

        @Override
        public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
            return serves(keyType) ? ALIAS : null;
        }

        private boolean serves(String keyType) {
            int sign = keyType.indexOf('_');
            String algorithm = sign < 0 ? keyType : keyType.substring(0, sign);
            return chain[0].getPublicKey().getAlgorithm().equals(algorithm);
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return ALIAS.equals(alias) ? chain.clone() : null;
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return ALIAS.equals(alias) ? key : null;
        }
    }
}
