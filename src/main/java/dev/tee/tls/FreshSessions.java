package dev.tee.tls;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.security.KeyManagementException;
import java.security.SecureRandom;
import java.util.function.Supplier;

import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509TrustManager;

/**
 * An SSLContext whose client connections never resume a TLS session: every socket and engine comes
 * from a context of its own, with an empty session cache, so each connection does a full handshake.
 *
 * <p>Fluentd's TLS server verifies client certificates but sets no session id context
 * (fluent/fluentd#3632), so OpenSSL answers every resumption attempt with a fatal internal_error
 * alert. Java resumes by default on a new connection to the same host and port, which after the
 * first idle keep-alive close would fail every later connection. Teleport's Go handler never
 * resumes either. Doing it here, below the HTTP client, keeps it so whatever client carries the POST.
 */
public final class FreshSessions {

    private FreshSessions() {
    }

    /** A client context presenting {@code keyManager} (may be null) and trusting {@code trustManager}. */
    public static SSLContext sslContext(X509ExtendedKeyManager keyManager, X509TrustManager trustManager) {
        return sslContext(() -> TlsMaterial.sslContext(keyManager, trustManager));
    }

    /**
     * A client context whose every connection gets a context from {@code fresh}, which must return a
     * new, initialised one each time: what it returns may change (new key material after a reload),
     * and each connection keeps what it got when it was made.
     */
    public static SSLContext sslContext(Supplier<SSLContext> fresh) {
        SSLContext template = fresh.get();
        return new SSLContext(new Spi(template, fresh), template.getProvider(), template.getProtocol()) {
        };
    }

    private static final class Spi extends SSLContextSpi {
        private final SSLContext template;
        private final Supplier<SSLContext> fresh;
        private final SSLSocketFactory sockets;

        Spi(SSLContext template, Supplier<SSLContext> fresh) {
            this.template = template;
            this.fresh = fresh;
            this.sockets = new Sockets(template.getSocketFactory(), () -> fresh.get().getSocketFactory());
        }

        @Override
        protected void engineInit(KeyManager[] keyManagers, TrustManager[] trustManagers, SecureRandom random)
                throws KeyManagementException {
            throw new KeyManagementException("this context is initialised when it is made");
        }

        @Override
        protected SSLSocketFactory engineGetSocketFactory() {
            return sockets;
        }

        @Override
        protected SSLServerSocketFactory engineGetServerSocketFactory() {
            return template.getServerSocketFactory();
        }

        @Override
        protected SSLEngine engineCreateSSLEngine() {
            return fresh.get().createSSLEngine();
        }

        @Override
        protected SSLEngine engineCreateSSLEngine(String host, int port) {
            return fresh.get().createSSLEngine(host, port);
        }

        @Override
        protected SSLSessionContext engineGetServerSessionContext() {
            return template.getServerSessionContext();
        }

        /** The template's cache, which no connection of this context ever fills. */
        @Override
        protected SSLSessionContext engineGetClientSessionContext() {
            return template.getClientSessionContext();
        }

        @Override
        protected SSLParameters engineGetDefaultSSLParameters() {
            return template.getDefaultSSLParameters();
        }

        @Override
        protected SSLParameters engineGetSupportedSSLParameters() {
            return template.getSupportedSSLParameters();
        }
    }

    /** Creates every socket with the socket factory of a new context. */
    private static final class Sockets extends SSLSocketFactory {
        private final SSLSocketFactory template;
        private final Supplier<SSLSocketFactory> fresh;

        Sockets(SSLSocketFactory template, Supplier<SSLSocketFactory> fresh) {
            this.template = template;
            this.fresh = fresh;
        }

        @Override
        public String[] getDefaultCipherSuites() {
            return template.getDefaultCipherSuites();
        }

        @Override
        public String[] getSupportedCipherSuites() {
            return template.getSupportedCipherSuites();
        }

        @Override
        public Socket createSocket() throws IOException {
            return fresh.get().createSocket();
        }

        @Override
        public Socket createSocket(Socket socket, String host, int port, boolean autoClose) throws IOException {
            return fresh.get().createSocket(socket, host, port, autoClose);
        }

        @Override
        public Socket createSocket(Socket socket, InputStream consumed, boolean autoClose) throws IOException {
            return fresh.get().createSocket(socket, consumed, autoClose);
        }

        @Override
        public Socket createSocket(String host, int port) throws IOException {
            return fresh.get().createSocket(host, port);
        }

        @Override
        public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
            return fresh.get().createSocket(host, port, localHost, localPort);
        }

        @Override
        public Socket createSocket(InetAddress host, int port) throws IOException {
            return fresh.get().createSocket(host, port);
        }

        @Override
        public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
                throws IOException {
            return fresh.get().createSocket(address, port, localAddress, localPort);
        }
    }
}
