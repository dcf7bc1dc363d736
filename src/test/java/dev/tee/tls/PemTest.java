package dev.tee.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.StringReader;
import java.math.BigInteger;
import java.security.PrivateKey;

import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PemTest {

    @ParameterizedTest
    @CsvSource({"RSA, TRADITIONAL", "RSA, PKCS8", "EC, TRADITIONAL", "EC, PKCS8"})
    void readsBackEveryKeyFormPlainAndEncrypted(KeyKind kind, PemFormat format) throws Exception {
        PrivateKey key = kind.generate(2048).getPrivate();
        assertThat(secret(Pem.readPrivateKey(Pem.privateKey(key, format, null), null))).isEqualTo(secret(key));

        String encrypted = Pem.privateKey(key, format, "s3cret".toCharArray());
        assertThat(encrypted).contains(format == PemFormat.PKCS8 ? "ENCRYPTED PRIVATE KEY" : "Proc-Type: 4,ENCRYPTED");
        assertThat(secret(Pem.readPrivateKey(encrypted, "s3cret".toCharArray()))).isEqualTo(secret(key));
        assertThatThrownBy(() -> Pem.readPrivateKey(encrypted, null))
                .hasMessage("the private key is encrypted and no passphrase was given");
        for (int i = 0; i < 20; i++) {
            String wrong = "wrong-" + i;
            assertThatThrownBy(() -> Pem.readPrivateKey(encrypted, wrong.toCharArray()))
                    .hasMessage("cannot decrypt the private key (wrong passphrase?)");
        }
    }

    @Test
    void writesTheCurveIntoTraditionalEcKeysAsOpenSslNeedsIt() throws Exception {
        String pem = Pem.privateKey(KeyKind.EC.generate(0).getPrivate(), PemFormat.TRADITIONAL, null);
        assertThat(pem).startsWith("-----BEGIN EC PRIVATE KEY-----");
        try (PEMParser parser = new PEMParser(new StringReader(pem))) {
            PEMKeyPair pair = (PEMKeyPair) parser.readObject();
            ECPrivateKey sec1 = ECPrivateKey.getInstance(pair.getPrivateKeyInfo().parsePrivateKey());
            assertThat(sec1.getParametersObject()).isEqualTo(X9ObjectIdentifiers.prime256v1);
        }
    }

    /** The key's secret value (an EC key's encoding may or may not repeat its curve inside). */
    private static Object secret(PrivateKey key) {
        return key instanceof java.security.interfaces.ECPrivateKey ec ? ec.getS() : new BigInteger(1, key.getEncoded());
    }
}
