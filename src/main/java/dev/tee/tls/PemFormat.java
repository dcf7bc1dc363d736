package dev.tee.tls;

/** How a private key is written: the traditional OpenSSL forms or PKCS#8. */
public enum PemFormat {
    /** "RSA PRIVATE KEY" or "EC PRIVATE KEY", as Teleport identity files and `configure` write them. */
    TRADITIONAL,
    /** "PRIVATE KEY" (or "ENCRYPTED PRIVATE KEY" with a passphrase). */
    PKCS8
}
