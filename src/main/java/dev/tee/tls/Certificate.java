package dev.tee.tls;

import java.security.KeyPair;
import java.security.cert.X509Certificate;

/** A certificate together with its key pair, as issued by a {@link CertificateAuthority}. */
public record Certificate(X509Certificate x509, KeyPair keyPair) {
}
