package dev.tee.demo;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

import dev.tee.tls.Pem;
import dev.tee.tls.TlsMaterial;

/**
 * A TLS client that can resume a session by its id only, as clients without session tickets do:
 * run in a JVM of its own with {@code -Djdk.tls.client.enableSessionTicketExtension=false} (read once
 * per JVM). Arguments: the port on 127.0.0.1 and a {@link TestPki} directory. Connects twice with one
 * SSLContext and prints each connection's session id in hex, one per line.
 */
public final class SessionIdClient {

    private SessionIdClient() {
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        Path pki = Path.of(args[1]);
        SSLContext context = TlsMaterial.sslContext(
                TlsMaterial.keyManager(Pem.readCertificates(read(pki.resolve("client.crt"))),
                        Pem.readPrivateKey(read(pki.resolve("client.key")), null)),
                TlsMaterial.trustManager(Pem.readCertificates(read(pki.resolve("ca.crt")))));
        for (int connection = 0; connection < 2; connection++) {
            try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port)) {
                socket.setSoTimeout(5_000);
                socket.startHandshake();
                System.out.println(HexFormat.of().formatHex(socket.getSession().getId()));
            }
        }
    }

    private static String read(Path file) throws Exception {
        return Files.readString(file, StandardCharsets.UTF_8);
    }

    /** The arguments of a {@code java} command running this client against {@code port}. */
    static List<String> command(int port, Path pki) {
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djdk.tls.client.enableSessionTicketExtension=false",
                "-cp", System.getProperty("java.class.path"),
                SessionIdClient.class.getName(), Integer.toString(port), pki.toString());
    }
}
