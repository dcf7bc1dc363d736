package dev.tee.tls;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;

/** The key algorithms we generate: RSA (what Teleport's `configure` and older clusters use) and EC P-256. */
public enum KeyKind {
    RSA("SHA256withRSA"),
    EC("SHA256withECDSA");

    private final String signatureAlgorithm;

    KeyKind(String signatureAlgorithm) {
        this.signatureAlgorithm = signatureAlgorithm;
    }

    String signatureAlgorithm() {
        return signatureAlgorithm;
    }

    /** A fresh key pair; {@code rsaBits} is ignored for EC. */
    public KeyPair generate(int rsaBits) {
        try {
            if (this == RSA) {
                KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
                generator.initialize(rsaBits);
                return generator.generateKeyPair();
            }
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot generate a " + this + " key", e);
        }
    }

    static KeyKind of(KeyPair keyPair) {
        return keyPair.getPrivate().getAlgorithm().equals("RSA") ? RSA : EC;
    }
}
