package dev.tee.teleport;

import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

import dev.tee.config.ConfigException;
import dev.tee.tls.PemFiles;
import dev.tee.tls.Pem;
import dev.tee.tls.PemException;

/**
 * Reads a Teleport identity file ({@code tctl auth sign --format=file}, tbot) into TLS credentials,
 * with the rules of Teleport's own reader (teleport-wire.md §2.2).
 *
 * <p>PEM blocks are assigned by position: the 1st is the private key, the 2nd the TLS client
 * certificate, every further one a trusted TLS CA. Every other line (the SSH certificate, the
 * {@code @cert-authority} lines) is skipped: we only speak TLS, so unlike Teleport's reader we do not
 * require the SSH certificate.
 */
public final class IdentityFile {

    /** The configuration key every message names. */
    static final String KEY = "teleport.identity";

    private static final String BEGIN = "-----BEGIN ";
    private static final String END = "-----END";

    private IdentityFile() {
    }

    public static TeleportCredentials load(Path file) {
        return load(file, true);
    }

    /**
     * The identity whatever its certificate's dates, for a file tbot renews
     * ({@code teleport.refresh.enabled}): an expired one at the start is waited out, not refused, since
     * Teleport's refusal of it says the same and a renewal cures it.
     */
    public static TeleportCredentials loadForRenewal(Path file) {
        return load(file, false);
    }

    private static TeleportCredentials load(Path file, boolean validNow) {
        List<Block> blocks = blocks(file, PemFiles.read(KEY, file));
        if (blocks.isEmpty()) {
            throw error(file, "no PEM blocks: not a Teleport identity file");
        }
        Block keyBlock = blocks.get(0);
        if (!keyBlock.type().endsWith("PRIVATE KEY")) {
            throw error(file, "the 1st PEM block is \"" + keyBlock.type() + "\", expected the private key");
        }
        if (blocks.size() < 2) {
            throw error(file, "no TLS certificate (expected the 2nd PEM block)");
        }
        Block certificateBlock = blocks.get(1);
        if (!certificateBlock.type().equals("CERTIFICATE")) {
            throw error(file, "the 2nd PEM block is \"" + certificateBlock.type()
                    + "\", expected the TLS certificate (\"CERTIFICATE\")");
        }
        if (blocks.size() < 3) {
            throw error(file, "no trusted TLS CA certificate (expected PEM blocks after the 2nd)");
        }
        PrivateKey key;
        try {
            key = Pem.readPrivateKey(keyBlock.text(), null);
        } catch (PemException e) {
            throw error(file, "the private key (1st PEM block): " + e.getMessage());
        }
        List<X509Certificate> chain = certificates(file, certificateBlock);
        List<X509Certificate> authorities = new ArrayList<>();
        for (Block block : blocks.subList(2, blocks.size())) {
            if (!block.type().equals("CERTIFICATE")) {
                throw error(file, "PEM block " + block.position() + " is \"" + block.type()
                        + "\", expected a TLS CA certificate (\"CERTIFICATE\")");
            }
            authorities.addAll(certificates(file, block));
        }
        return TeleportCredentials.checked(chain, key, authorities, TeleportCredentials.Source.identityFile(file),
                KEY, file, validNow);
    }

    /** One PEM block: its 1-based position among the blocks, its type ("CERTIFICATE") and its text. */
    private record Block(int position, String type, String text) {
    }

    /** The PEM blocks in order of appearance; lines outside them are skipped, as Teleport's reader does. */
    private static List<Block> blocks(Path file, String content) {
        List<Block> blocks = new ArrayList<>();
        StringBuilder text = null;
        String type = null;
        for (String rawLine : content.split("\r?\n", -1)) {
            String line = rawLine.strip();
            if (text == null) {
                if (line.startsWith(BEGIN)) {
                    type = line.substring(BEGIN.length()).replaceAll("-+$", "");
                    text = new StringBuilder().append(line).append('\n');
                }
                continue;
            }
            text.append(line).append('\n');
            if (line.startsWith(END)) {
                blocks.add(new Block(blocks.size() + 1, type, text.toString()));
                text = null;
            }
        }
        if (text != null) {
            throw error(file, "PEM block \"" + type + "\" is truncated");
        }
        return blocks;
    }

    private static List<X509Certificate> certificates(Path file, Block block) {
        try {
            List<X509Certificate> certificates = Pem.readCertificates(block.text());
            if (certificates.isEmpty()) {
                throw error(file, "PEM block " + block.position() + " is not a certificate");
            }
            return certificates;
        } catch (PemException e) {
            throw error(file, "PEM block " + block.position() + ": " + e.getMessage());
        }
    }

    private static ConfigException error(Path file, String problem) {
        return PemFiles.error(KEY, file, problem);
    }
}
