package dev.tee.tls;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;

import dev.tee.config.ConfigException;

/**
 * Loads the PEM certificates and private keys that configuration keys name, for Teleport and Fluentd
 * alike; every failure is one {@link ConfigException} line {@code <key>: <file>: <what is wrong>}.
 */
public final class PemFiles {

    private static final byte[] PROBE = "teleport-event-exporter key check".getBytes(StandardCharsets.US_ASCII);

    private PemFiles() {
    }

    /** The text of {@code file}, named by config key {@code key}: missing, a directory or unreadable is refused. */
    public static String read(String key, Path file) {
        if (Files.isDirectory(file)) {
            throw error(key, file, "is a directory, not a file");
        }
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw error(key, file, "file not found");
        } catch (AccessDeniedException e) {
            throw error(key, file, "permission denied");
        } catch (IOException e) {
            throw error(key, file, "cannot read: " + e.getMessage());
        }
    }

    /** Every certificate in the file, in order (a chain, or several CAs); at least one. */
    public static List<X509Certificate> certificates(String key, Path file) {
        try {
            List<X509Certificate> certificates = Pem.readCertificates(read(key, file));
            if (certificates.isEmpty()) {
                throw error(key, file, "no PEM certificate found");
            }
            return certificates;
        } catch (PemException e) {
            throw error(key, file, e.getMessage());
        }
    }

    /**
     * The file's private key, plain or encrypted with {@code passphrase} (may be null);
     * {@code passphraseKey}, when there is one, is named in the messages about the passphrase.
     */
    public static PrivateKey privateKey(String key, Path file, String passphraseKey, char[] passphrase) {
        return privateKey(key, file, read(key, file), passphraseKey, passphrase);
    }

    /** As {@link #privateKey(String, Path, String, char[])}, for PEM text already read from {@code file}. */
    public static PrivateKey privateKey(String key, Path file, String pem, String passphraseKey, char[] passphrase) {
        try {
            return Pem.readPrivateKey(pem, passphrase);
        } catch (PemException e) {
            String message = e.getMessage();
            if (passphraseKey != null && message.contains("no passphrase")) {
                message += " (set " + passphraseKey + ")";
            } else if (passphraseKey != null && message.contains("(wrong passphrase?)")) {
                message = message.replace("(wrong passphrase?)", "(wrong passphrase? check " + passphraseKey + ")");
            }
            throw error(key, file, message);
        }
    }

    /**
     * Refuses a key that is not the key of {@code certificate}: a mismatched pair would only fail later,
     * at every handshake, with a far vaguer error.
     */
    public static void requirePair(String key, Path keyFile, PrivateKey privateKey, String certificateKey,
            Path certificateFile, X509Certificate certificate) {
        if (!belongTogether(privateKey, certificate)) {
            throw error(key, keyFile, "is not the key of the certificate in " + certificateKey + " ("
                    + certificateFile + ")");
        }
    }

    /** Refuses a certificate that has expired or is not valid yet at {@code now}, as Teleport's client does. */
    public static void requireValid(String key, Path file, X509Certificate certificate, Instant now) {
        Instant notBefore = certificate.getNotBefore().toInstant();
        Instant notAfter = certificate.getNotAfter().toInstant();
        String where = key + ": the certificate in " + file;
        if (now.isAfter(notAfter)) {
            throw new ConfigException(where + " expired at " + notAfter);
        }
        if (now.isBefore(notBefore)) {
            throw new ConfigException(where + " is not valid before " + notBefore);
        }
    }

    /** {@code <key>: <file>: <problem>}, the one shape of every message here. */
    public static ConfigException error(String key, Path file, String problem) {
        return new ConfigException(key + ": " + file + ": " + problem);
    }

    /** Whether the certificate's public key verifies what {@code key} signs. */
    private static boolean belongTogether(PrivateKey key, X509Certificate certificate) {
        String algorithm = signatureAlgorithm(certificate.getPublicKey().getAlgorithm());
        if (algorithm == null) {
            return true; // a key type we do not probe: the handshake will tell
        }
        if (!algorithm.equals(signatureAlgorithm(key.getAlgorithm()))) {
            return false;
        }
        try {
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(PROBE);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(certificate.getPublicKey());
            verifier.update(PROBE);
            return verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static String signatureAlgorithm(String keyAlgorithm) {
        return switch (keyAlgorithm) {
            case "RSA" -> "SHA256withRSA";
            case "EC", "ECDSA" -> "SHA256withECDSA";
            case "EdDSA", "Ed25519", "Ed448" -> "EdDSA";
            default -> null;
        };
    }
}
