package dev.tee.teleport;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;

import dev.tee.config.ConfigException;
import dev.tee.tls.Pem;
import dev.tee.tls.PemException;

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
        List<X509Certificate> chain = certificates("teleport.cert", cert);
        List<X509Certificate> authorities = certificates("teleport.ca", ca);
        PrivateKey privateKey;
        try {
            privateKey = Pem.readPrivateKey(read("teleport.key", key), null);
        } catch (PemException e) {
            throw new ConfigException("teleport.key: " + key + ": " + e.getMessage());
        }
        return checked(chain, privateKey, authorities, new Source("teleport.cert", cert, "teleport.ca", ca),
                "teleport.key: " + key);
    }

    /**
     * Builds credentials after the checks Teleport's client makes before dialing: the key belongs to
     * the certificate and the certificate is valid now. {@code keyOrigin} names the key in messages.
     */
    static TeleportCredentials checked(List<X509Certificate> chain, PrivateKey key, List<X509Certificate> authorities,
            Source source, String keyOrigin) {
        X509Certificate leaf = chain.get(0);
        if (!belongsTo(key, leaf)) {
            throw new ConfigException(keyOrigin + ": the private key does not belong to the client certificate in "
                    + source.certificateFile());
        }
        Instant now = Instant.now();
        Instant notBefore = leaf.getNotBefore().toInstant();
        Instant notAfter = leaf.getNotAfter().toInstant();
        String where = source.certificateKey() + ": the certificate in " + source.certificateFile();
        if (now.isAfter(notAfter)) {
            throw new ConfigException(where + " expired at " + notAfter);
        }
        if (now.isBefore(notBefore)) {
            throw new ConfigException(where + " is not valid before " + notBefore);
        }
        return new TeleportCredentials(chain, key, authorities, notAfter, source);
    }

    /** The file's text; a missing or unreadable file is a ConfigException naming {@code key} and the file. */
    static String read(String key, Path file) {
        try {
            if (Files.isDirectory(file)) {
                throw new ConfigException(key + ": " + file + ": is a directory, not a file");
            }
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ConfigException(key + ": " + file + ": file not found");
        } catch (AccessDeniedException e) {
            throw new ConfigException(key + ": " + file + ": permission denied");
        } catch (IOException e) {
            throw new ConfigException(key + ": " + file + ": cannot read: " + e.getMessage());
        }
    }

    private static List<X509Certificate> certificates(String key, Path file) {
        try {
            List<X509Certificate> certificates = Pem.readCertificates(read(key, file));
            if (certificates.isEmpty()) {
                throw new ConfigException(key + ": " + file + ": no PEM certificate found");
            }
            return certificates;
        } catch (PemException e) {
            throw new ConfigException(key + ": " + file + ": " + e.getMessage());
        }
    }

    /**
     * Whether the certificate's public key verifies what {@code key} signs: a mismatched pair would
     * only fail later, at every handshake, with a far vaguer error.
     */
    private static boolean belongsTo(PrivateKey key, X509Certificate certificate) {
        String algorithm = switch (certificate.getPublicKey().getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "EdDSA", "Ed25519", "Ed448" -> "EdDSA";
            default -> null;
        };
        if (algorithm == null) {
            return true; // an algorithm we cannot probe: the handshake will tell
        }
        try {
            byte[] probe = new byte[32];
            new SecureRandom().nextBytes(probe);
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

    /** Never prints the key. */
    @Override
    public String toString() {
        return "TeleportCredentials[" + certificateChain.get(0).getSubjectX500Principal().getName() + ", valid until "
                + notAfter + ", from " + source.certificateFile() + "]";
    }
}
