package dev.tee.teleport;

import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;

import dev.tee.tls.PemFiles;

/**
 * The mutual-TLS material the exporter presents to Teleport: the client certificate chain and its
 * private key, the cluster CAs it trusts, and where they came from (for error messages).
 */
public record TeleportCredentials(List<X509Certificate> certificateChain, PrivateKey privateKey,
        List<X509Certificate> trustedAuthorities, Instant notAfter, Source source) {

    /**
     * The configuration keys and files the certificate and the CAs were read from, so that an error
     * found later (at the handshake) can still name them.
     */
    public record Source(String certificateKey, Path certificateFile, String authoritiesKey, Path authoritiesFile) {

        static Source identityFile(Path file) {
            return new Source(IdentityFile.KEY, file, IdentityFile.KEY, file);
        }
    }

    public TeleportCredentials {
        certificateChain = List.copyOf(certificateChain);
        trustedAuthorities = List.copyOf(trustedAuthorities);
        if (certificateChain.isEmpty()) {
            throw new IllegalArgumentException("a client certificate is required");
        }
    }

    /**
     * Credentials from the {@code teleport.ca}, {@code teleport.cert} and {@code teleport.key} files,
     * as {@code tctl auth sign --format=tls} writes them (.cas, .crt, .key).
     */
    public static TeleportCredentials fromFiles(Path ca, Path cert, Path key) {
        List<X509Certificate> chain = PemFiles.certificates("teleport.cert", cert);
        List<X509Certificate> authorities = PemFiles.certificates("teleport.ca", ca);
        PrivateKey privateKey = PemFiles.privateKey("teleport.key", key, null, null);
        return checked(chain, privateKey, authorities, new Source("teleport.cert", cert, "teleport.ca", ca),
                "teleport.key", key, true);
    }

    /**
     * Builds credentials after the checks Teleport's client makes before dialing: the key belongs to
     * the certificate and the certificate is valid now. {@code keyKey} and {@code keyFile} name the key
     * in messages; {@code validNow} false leaves the dates to the server.
     */
    static TeleportCredentials checked(List<X509Certificate> chain, PrivateKey key, List<X509Certificate> authorities,
            Source source, String keyKey, Path keyFile, boolean validNow) {
        X509Certificate leaf = chain.get(0);
        PemFiles.requirePair(keyKey, keyFile, key, source.certificateKey(), source.certificateFile(), leaf);
        if (validNow) {
            PemFiles.requireValid(source.certificateKey(), source.certificateFile(), leaf, Instant.now());
        }
        return new TeleportCredentials(chain, key, authorities, leaf.getNotAfter().toInstant(), source);
    }

    /** Never prints the key. */
    @Override
    public String toString() {
        return "TeleportCredentials[" + certificateChain.get(0).getSubjectX500Principal().getName() + ", valid until "
                + notAfter + ", from " + source.certificateFile() + "]";
    }
}
