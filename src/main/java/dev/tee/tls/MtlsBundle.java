package dev.tee.tls;

import java.time.Duration;
import java.util.List;

/** The CA, Fluentd server and exporter client certificates of one mTLS link, made as Teleport's `configure` makes them. */
public record MtlsBundle(Certificate ca, Certificate server, Certificate client) {

    /** Key sizes the Go handler's `configure --length` accepts. */
    public static final List<Integer> RSA_SIZES = List.of(1024, 2048, 4096);

    /**
     * Three fresh RSA key pairs and certificates valid for {@code ttl}: CN "CA", "Server"
     * (serverAuth) and "Client" (clientAuth). Both leaves carry {@code dnsNames} and, as
     * alternative names, {@code ipAddresses}, or when that is empty every address the names
     * resolve to (the Go handler does the same, for both leaves).
     */
    public static MtlsBundle generate(int rsaBits, Duration ttl, List<String> dnsNames, List<String> ipAddresses) {
        if (!RSA_SIZES.contains(rsaBits)) {
            throw new IllegalArgumentException("RSA key length must be one of " + RSA_SIZES + ", not " + rsaBits);
        }
        CertificateAuthority authority = CertificateAuthority.create("CA", KeyKind.RSA, rsaBits, ttl);
        Certificate server = leaf(authority, "Server", rsaBits, ttl, dnsNames, ipAddresses).forServer().issue();
        Certificate client = leaf(authority, "Client", rsaBits, ttl, dnsNames, ipAddresses).forClient().issue();
        return new MtlsBundle(authority.certificate(), server, client);
    }

    private static CertificateAuthority.Leaf leaf(CertificateAuthority authority, String commonName, int rsaBits,
                                                  Duration ttl, List<String> dnsNames, List<String> ipAddresses) {
        CertificateAuthority.Leaf leaf = authority.leaf(commonName)
                .key(KeyKind.RSA, rsaBits)
                .validFor(ttl)
                .dnsNames(dnsNames.toArray(String[]::new));
        if (ipAddresses.isEmpty()) {
            dnsNames.forEach(leaf::resolvedAddressesOf);
        } else {
            leaf.ipAddresses(ipAddresses.toArray(String[]::new));
        }
        return leaf;
    }
}
