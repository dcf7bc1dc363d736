package dev.tee.tls;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.List;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMException;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaMiscPEMGenerator;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8DecryptorProviderBuilder;
import org.bouncycastle.openssl.jcajce.JceOpenSSLPKCS8EncryptorBuilder;
import org.bouncycastle.openssl.jcajce.JcePEMDecryptorProviderBuilder;
import org.bouncycastle.openssl.jcajce.JcePEMEncryptorBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.pkcs.PKCSException;
import org.bouncycastle.util.io.pem.PemObjectGenerator;

/** Reads and writes PEM certificates and private keys in every form Teleport and Fluentd use. */
public final class Pem {

    /**
     * OpenSSL's traditional key encryption derives its key with EVP_BytesToKey ("PBKDF-OpenSSL"),
     * which only Bouncy Castle's provider implements; it is used here without registering it globally.
     * Built on first use: the provider registers every algorithm it has (some 700 classes, about 0.3 s
     * of a cold start, bench/README.md), and only keys with a passphrase, and EC keys written in
     * OpenSSL's traditional form, need it; reading an identity without a passphrase does not.
     */
    private static final class Bc {
        static final Provider PROVIDER = new BouncyCastleProvider();
    }

    private Pem() {
    }

    public static String certificate(X509Certificate certificate) {
        return write(certificate);
    }

    /** A private key as PEM; with a non-null passphrase it is encrypted with AES-256-CBC. */
    public static String privateKey(PrivateKey key, PemFormat format, char[] passphrase) {
        try {
            PemObjectGenerator generator;
            if (format == PemFormat.PKCS8) {
                generator = new JcaPKCS8Generator(key, passphrase == null ? null
                        : new JceOpenSSLPKCS8EncryptorBuilder(JcaPKCS8Generator.AES_256_CBC)
                                .setProvider(Bc.PROVIDER).setPassword(passphrase).build());
            } else {
                PrivateKey traditional = traditionalForm(key);
                generator = passphrase == null ? new JcaMiscPEMGenerator(traditional)
                        : new JcaMiscPEMGenerator(traditional,
                                new JcePEMEncryptorBuilder("AES-256-CBC").setProvider(Bc.PROVIDER).build(passphrase));
            }
            return write(generator);
        } catch (OperatorCreationException | IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot encode private key", e);
        }
    }

    /**
     * The JDK encodes an EC key's curve only in the PKCS#8 wrapper, so its inner SEC1 structure (what
     * "EC PRIVATE KEY" holds) lacks the curve and OpenSSL cannot read it; Bouncy Castle's EC keys carry it.
     */
    private static PrivateKey traditionalForm(PrivateKey key) throws GeneralSecurityException {
        if (!key.getAlgorithm().equals("EC")) {
            return key;
        }
        return KeyFactory.getInstance("EC", Bc.PROVIDER).generatePrivate(new PKCS8EncodedKeySpec(key.getEncoded()));
    }

    /** Every certificate in {@code pem}, in order; other PEM blocks are skipped. */
    public static List<X509Certificate> readCertificates(String pem) throws PemException {
        List<X509Certificate> certificates = new ArrayList<>();
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            for (Object object = parser.readObject(); object != null; object = parser.readObject()) {
                if (object instanceof X509CertificateHolder holder) {
                    certificates.add(new JcaX509CertificateConverter().getCertificate(holder));
                }
            }
        } catch (IOException | CertificateException e) {
            throw new PemException("not a valid PEM certificate: " + e.getMessage());
        }
        return certificates;
    }

    /**
     * The first private key in {@code pem}: PKCS#1 RSA, SEC1 EC or PKCS#8, plain or encrypted (then
     * {@code passphrase} is required).
     */
    public static PrivateKey readPrivateKey(String pem, char[] passphrase) throws PemException {
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
            for (Object object = parser.readObject(); object != null; object = parser.readObject()) {
                if (object instanceof PEMKeyPair pair) {
                    return converter.getPrivateKey(pair.getPrivateKeyInfo());
                }
                if (object instanceof PrivateKeyInfo info) {
                    return converter.getPrivateKey(info);
                }
                if (object instanceof PEMEncryptedKeyPair encrypted) {
                    requirePassphrase(passphrase);
                    try {
                        return converter.getPrivateKey(encrypted
                                .decryptKeyPair(new JcePEMDecryptorProviderBuilder().setProvider(Bc.PROVIDER).build(passphrase))
                                .getPrivateKeyInfo());
                    } catch (IOException | RuntimeException e) {
                        // a wrong passphrase mostly fails the padding check, but now and then decrypts to garbage
                        throw new PemException("cannot decrypt the private key (wrong passphrase?)");
                    }
                }
                if (object instanceof PKCS8EncryptedPrivateKeyInfo encrypted) {
                    requirePassphrase(passphrase);
                    try {
                        return converter.getPrivateKey(encrypted.decryptPrivateKeyInfo(
                                new JceOpenSSLPKCS8DecryptorProviderBuilder().setProvider(Bc.PROVIDER).build(passphrase)));
                    } catch (IOException | RuntimeException e) {
                        throw new PemException("cannot decrypt the private key (wrong passphrase?)");
                    }
                }
            }
        } catch (PKCSException | OperatorCreationException e) {
            throw new PemException("cannot decrypt the private key (wrong passphrase?)");
        } catch (PEMException e) {
            throw new PemException(e.getMessage().contains("exception")
                    ? "cannot decrypt the private key (wrong passphrase?)" : "not a valid PEM private key: " + e.getMessage());
        } catch (IOException e) {
            throw new PemException("not a valid PEM private key: " + e.getMessage());
        }
        throw new PemException("no private key found");
    }

    private static void requirePassphrase(char[] passphrase) throws PemException {
        if (passphrase == null || passphrase.length == 0) {
            throw new PemException("the private key is encrypted and no passphrase was given");
        }
    }

    private static String write(Object object) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            if (object instanceof PemObjectGenerator generator) {
                writer.writeObject(generator);
            } else {
                writer.writeObject(object);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot write PEM", e);
        }
        return out.toString();
    }
}
