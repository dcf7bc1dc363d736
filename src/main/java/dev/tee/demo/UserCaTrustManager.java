package dev.tee.demo;

import java.net.Socket;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

import io.grpc.netty.shaded.io.netty.handler.ssl.OpenSslCertificateException;

/**
 * Trusts client certificates issued by the fake cluster's user CA and rejects others with the TLS
 * alert Teleport's Go server sends: unknown_ca for a certificate of another CA (Netty's OpenSSL
 * engine would otherwise answer internal_error), certificate_expired for an expired one.
 */
final class UserCaTrustManager extends X509ExtendedTrustManager {

    /** OpenSSL's X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, which BoringSSL reports as alert unknown_ca. */
    private static final int UNKNOWN_ISSUER = 20;

    private final X509ExtendedTrustManager delegate;

    UserCaTrustManager(X509ExtendedTrustManager delegate) {
        this.delegate = delegate;
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        try {
            delegate.checkClientTrusted(chain, authType, engine);
        } catch (CertificateException e) {
            throw asTeleportWould(e);
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        try {
            delegate.checkClientTrusted(chain, authType, socket);
        } catch (CertificateException e) {
            throw asTeleportWould(e);
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        try {
            delegate.checkClientTrusted(chain, authType);
        } catch (CertificateException e) {
            throw asTeleportWould(e);
        }
    }

    /** Validity failures already map to their own alerts; any other failure means "not our user CA". */
    private static CertificateException asTeleportWould(CertificateException e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof CertPathValidatorException path
                    && (path.getReason() == CertPathValidatorException.BasicReason.EXPIRED
                            || path.getReason() == CertPathValidatorException.BasicReason.NOT_YET_VALID)) {
                return e;
            }
        }
        return new OpenSslCertificateException("client certificate not issued by the user CA", e, UNKNOWN_ISSUER);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        throw new CertificateException("the fake Teleport only checks clients");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        throw new CertificateException("the fake Teleport only checks clients");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("the fake Teleport only checks clients");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return delegate.getAcceptedIssuers();
    }
}
