package dev.tee.tls;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509KeyManager;
import javax.net.ssl.X509TrustManager;

/** Key and trust managers built from PEM material, for both ends of an mTLS link. */
public final class TlsMaterial {

    private static final String ALIAS = "identity";

    private TlsMaterial() {
    }

    /**
     * A key manager that always presents {@code chain}, whatever CA names the server asks for: Go's
     * TLS clients (Teleport's own) send their certificate unconditionally, and so do we.
     */
    public static X509ExtendedKeyManager keyManager(List<X509Certificate> chain, PrivateKey key) {
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry(ALIAS, key, new char[0], chain.toArray(X509Certificate[]::new));
            KeyManagerFactory factory = KeyManagerFactory.getInstance("SunX509"); // keeps the keystore alias as is
            factory.init(store, new char[0]);
            X509KeyManager delegate = (X509KeyManager) factory.getKeyManagers()[0];
            return new AlwaysPresent(delegate);
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new IllegalStateException("cannot build key manager", e);
        }
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

    private static final class AlwaysPresent extends X509ExtendedKeyManager {
        private final X509KeyManager delegate;

        AlwaysPresent(X509KeyManager delegate) {
            this.delegate = delegate;
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

        // As a server, choose by key type like any key manager: a TLS server must match the cipher suite.
        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return delegate.getServerAliases(keyType, issuers);
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return delegate.chooseServerAlias(keyType, issuers, socket);
        }

        @Override
        public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
            return delegate instanceof X509ExtendedKeyManager extended
                    ? extended.chooseEngineServerAlias(keyType, issuers, engine)
                    : delegate.chooseServerAlias(keyType, issuers, null);
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return delegate.getCertificateChain(alias);
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return delegate.getPrivateKey(alias);
        }
    }
}
