package dev.tee.tls;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;

import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A certificate authority that issues the CA, server and client certificates the exporter's mTLS
 * links need: the `configure` command, the demo and the tests all use it.
 */
public final class CertificateAuthority {

    /** Teleport's subject attribute carrying the cluster name (OID arc 1.3.9999.1.7). */
    public static final ASN1ObjectIdentifier TELEPORT_CLUSTER_NAME = new ASN1ObjectIdentifier("1.3.9999.1.7");

    private static final SecureRandom RANDOM = new SecureRandom();

    private final Certificate ca;

    private CertificateAuthority(Certificate ca) {
        this.ca = ca;
    }

    /** A new self-signed CA valid from a minute ago for {@code validity}. */
    public static CertificateAuthority create(String commonName, KeyKind kind, int rsaBits, Duration validity) {
        KeyPair keyPair = kind.generate(rsaBits);
        X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, commonName).build();
        Instant now = Instant.now();
        try {
            JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, serial(),
                    Date.from(now.minusSeconds(60)), Date.from(now.plus(validity)), subject, keyPair.getPublic())
                    .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                    .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                    .addExtension(Extension.subjectKeyIdentifier, false,
                            utils.createSubjectKeyIdentifier(keyPair.getPublic()));
            return new CertificateAuthority(new Certificate(sign(builder, keyPair, kind), keyPair));
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot create CA certificate", e);
        }
    }

    /** Rebuilds an authority from an existing CA certificate and key (to issue more certificates). */
    public static CertificateAuthority of(Certificate ca) {
        return new CertificateAuthority(ca);
    }

    public Certificate certificate() {
        return ca;
    }

    /** Starts a leaf certificate signed by this CA. */
    public Leaf leaf(String commonName) {
        return new Leaf(commonName);
    }

    /** Builder for a leaf certificate: what it is for, its names and its lifetime. */
    public final class Leaf {
        private final X500NameBuilder subject = new X500NameBuilder(BCStyle.INSTANCE);
        private final List<GeneralName> alternativeNames = new ArrayList<>();
        private KeyKind kind = KeyKind.EC;
        private int rsaBits = 2048;
        private Instant notBefore = Instant.now().minusSeconds(60);
        private Instant notAfter = Instant.now().plus(Duration.ofDays(1));
        private boolean server;
        private boolean client;

        private Leaf(String commonName) {
            subject.addRDN(BCStyle.CN, commonName);
        }

        public Leaf key(KeyKind kind, int rsaBits) {
            this.kind = kind;
            this.rsaBits = rsaBits;
            return this;
        }

        public Leaf organization(String organization) {
            subject.addRDN(BCStyle.O, organization);
            return this;
        }

        /** Adds Teleport's cluster-name subject attribute, as real Teleport host certificates carry it. */
        public Leaf teleportCluster(String clusterName) {
            subject.addRDN(TELEPORT_CLUSTER_NAME, new DERUTF8String(clusterName));
            return this;
        }

        public Leaf dnsNames(String... names) {
            for (String name : names) {
                alternativeNames.add(new GeneralName(GeneralName.dNSName, name));
            }
            return this;
        }

        public Leaf ipAddresses(String... addresses) {
            for (String address : addresses) {
                alternativeNames.add(new GeneralName(GeneralName.iPAddress, address));
            }
            return this;
        }

        /** Adds every address {@code name} resolves to, as Teleport's `configure` does when no IP is given. */
        public Leaf resolvedAddressesOf(String name) {
            try {
                for (InetAddress address : InetAddress.getAllByName(name)) {
                    alternativeNames.add(new GeneralName(GeneralName.iPAddress, address.getHostAddress()));
                }
            } catch (UnknownHostException e) {
                // a name that does not resolve simply contributes no address
            }
            return this;
        }

        public Leaf validity(Instant notBefore, Instant notAfter) {
            this.notBefore = notBefore;
            this.notAfter = notAfter;
            return this;
        }

        public Leaf validFor(Duration validity) {
            return validity(Instant.now().minusSeconds(60), Instant.now().plus(validity));
        }

        public Leaf forServer() {
            server = true;
            return this;
        }

        public Leaf forClient() {
            client = true;
            return this;
        }

        public Certificate issue() {
            KeyPair keyPair = kind.generate(rsaBits);
            try {
                JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
                X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(ca.x509(), serial(),
                        Date.from(notBefore), Date.from(notAfter), subject.build(), keyPair.getPublic())
                        .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                        .addExtension(Extension.keyUsage, true,
                                new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment))
                        .addExtension(Extension.subjectKeyIdentifier, false,
                                utils.createSubjectKeyIdentifier(keyPair.getPublic()))
                        .addExtension(Extension.authorityKeyIdentifier, false,
                                utils.createAuthorityKeyIdentifier(ca.x509()));
                List<KeyPurposeId> purposes = new ArrayList<>();
                if (server) {
                    purposes.add(KeyPurposeId.id_kp_serverAuth);
                }
                if (client) {
                    purposes.add(KeyPurposeId.id_kp_clientAuth);
                }
                if (!purposes.isEmpty()) {
                    builder.addExtension(Extension.extendedKeyUsage, false,
                            new ExtendedKeyUsage(purposes.toArray(KeyPurposeId[]::new)));
                }
                if (!alternativeNames.isEmpty()) {
                    builder.addExtension(Extension.subjectAlternativeName, false,
                            new GeneralNames(alternativeNames.toArray(GeneralName[]::new)));
                }
                return new Certificate(sign(builder, ca.keyPair(), KeyKind.of(ca.keyPair())), keyPair);
            } catch (GeneralSecurityException | CertIOException e) {
                throw new IllegalStateException("cannot issue certificate", e);
            }
        }
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, KeyPair signer, KeyKind kind)
            throws GeneralSecurityException {
        try {
            var contentSigner = new JcaContentSignerBuilder(kind.signatureAlgorithm()).build(signer.getPrivate());
            return new JcaX509CertificateConverter().getCertificate(builder.build(contentSigner));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }

    /** A random positive 128-bit serial, as Teleport's `configure` uses. */
    private static BigInteger serial() {
        return new BigInteger(128, RANDOM);
    }
}
