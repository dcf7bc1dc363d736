package dev.tee.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The files {@code configure} writes work with OpenSSL, which Fluentd's TLS is built on: the chain
 * verifies, the server key opens with the passphrase from fluent.conf, and an {@code openssl s_server}
 * set up as Fluentd's mTLS source accepts our client and refuses one from another CA.
 */
class ConfigureOpensslTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    @TempDir
    static Path dir;

    private static String passphrase;

    @BeforeAll
    static void configure() throws IOException {
        Configure.write(new Configure.Options(dir, "localhost:3025", Duration.ofHours(87600), List.of("localhost"),
                List.of(), 2048, false), Configure.randomPassphrase());
        passphrase = ConfigureTest.passphrase(dir);
    }

    @Test
    void opensslVerifiesBothCertificatesForTheirPurpose() throws Exception {
        assertThat(openssl(Map.of(), "verify", "-CAfile", "ca.crt", "-purpose", "sslserver", "server.crt").succeeded())
                .contains("server.crt: OK");
        assertThat(openssl(Map.of(), "verify", "-CAfile", "ca.crt", "-purpose", "sslclient", "client.crt").succeeded())
                .contains("client.crt: OK");
        assertThat(openssl(Map.of(), "verify", "-CAfile", "ca.crt", "-purpose", "sslserver", "client.crt").failed())
                .contains("unsuitable certificate purpose");
    }

    @Test
    void theServerKeyOpensWithThePassphraseFromFluentConfOnly() throws Exception {
        assertThat(openssl(Map.of("PW", passphrase), "rsa", "-in", "server.key", "-passin", "env:PW", "-check",
                "-noout").succeeded()).contains("RSA key ok");
        openssl(Map.of(), "rsa", "-in", "server.key", "-passin", "pass:", "-check", "-noout").failed();
        openssl(Map.of("PW", "not-" + passphrase), "rsa", "-in", "server.key", "-passin", "env:PW", "-check",
                "-noout").failed();
        // The other keys need no passphrase: OpenSSL reads them with an empty one.
        openssl(Map.of(), "rsa", "-in", "client.key", "-passin", "pass:", "-check", "-noout").succeeded();
        openssl(Map.of(), "rsa", "-in", "ca.key", "-passin", "pass:", "-check", "-noout").succeeded();
    }

    @Test
    void anMtlsServerLikeFluentdsAcceptsTheExportersClientCertificate() throws Exception {
        try (SServer server = SServer.start()) {
            String page = get(server.port(), "localhost", clientContext(dir));

            assertThat(page).startsWith("HTTP/1.0 200 ok").contains("Protocol  : TLSv1.2", "Client certificate",
                    "Subject: CN=Client", "Issuer: CN=CA");
        }
    }

    @Test
    void aClientCertificateFromAnotherCaIsRefused(@TempDir Path other) throws Exception {
        // 2048 bits: OpenSSL's default security level refuses 1024-bit keys for a reason of its own.
        Configure.write(new Configure.Options(other, "localhost:3025", Duration.ofHours(1), List.of("localhost"),
                List.of(), 2048, false), Configure.randomPassphrase());
        // Our CA, so that the server is trusted, with the client key pair of the other CA.
        SSLContext stranger = context(dir.resolve("ca.crt"), other.resolve("client.crt"), other.resolve("client.key"));

        try (SServer server = SServer.start()) {
            assertThatThrownBy(() -> get(server.port(), "localhost", stranger)).isInstanceOf(SSLException.class);
            server.awaitOutput("unable to get local issuer certificate");
        }
    }

    @Test
    void theClientRefusesAServerNameTheCertificateDoesNotHold() throws Exception {
        try (SServer server = SServer.start()) {
            assertThatThrownBy(() -> get(server.port(), "fluentd", clientContext(dir)))
                    .isInstanceOf(SSLException.class)
                    .hasMessageContaining("fluentd");
        }
    }

    private static SSLContext clientContext(Path config) throws Exception {
        return context(config.resolve("ca.crt"), config.resolve("client.crt"), config.resolve("client.key"));
    }

    private static SSLContext context(Path ca, Path cert, Path key) throws Exception {
        PrivateKey privateKey = Pem.readPrivateKey(Files.readString(key), null);
        return TlsMaterial.sslContext(
                TlsMaterial.keyManager(Pem.readCertificates(Files.readString(cert)), privateKey),
                TlsMaterial.trustManager(Pem.readCertificates(Files.readString(ca))));
    }

    /**
     * "GET / HTTP/1.0" over TLS to 127.0.0.1, verifying the server's certificate for {@code hostName}
     * as an HTTPS client does; the whole response.
     */
    private static String get(int port, String hostName, SSLContext context) throws IOException {
        try (Socket plain = new Socket()) {
            plain.connect(new InetSocketAddress("127.0.0.1", port), (int) TIMEOUT.toMillis());
            plain.setSoTimeout((int) TIMEOUT.toMillis());
            try (SSLSocket tls = (SSLSocket) context.getSocketFactory().createSocket(plain, hostName, port, true)) {
                SSLParameters parameters = tls.getSSLParameters();
                parameters.setEndpointIdentificationAlgorithm("HTTPS");
                tls.setSSLParameters(parameters);
                tls.startHandshake();
                tls.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                tls.getOutputStream().flush();
                return new String(tls.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            }
        }
    }

    /** {@code openssl s_server} as Fluentd's source is set up: TLS 1.2, client certificate required. */
    private record SServer(Process process, int port, StringBuffer output) implements AutoCloseable {

        static SServer start() throws IOException {
            int port;
            try (ServerSocket probe = new ServerSocket(0)) {
                port = probe.getLocalPort();
            }
            ProcessBuilder builder = new ProcessBuilder(opensslPath(), "s_server", "-accept", "127.0.0.1:" + port,
                    "-cert", "server.crt", "-key", "server.key", "-pass", "env:PW", "-CAfile", "ca.crt",
                    "-Verify", "1", "-verify_return_error", "-tls1_2", "-www")
                    .directory(dir.toFile())
                    .redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            builder.environment().put("PW", passphrase);
            Process process = builder.start();
            SServer server = new SServer(process, port, new StringBuffer());
            Thread pump = new Thread(server::collectOutput, "s_server output");
            pump.setDaemon(true);
            pump.start();
            try {
                server.awaitOutput("ACCEPT");
            } catch (RuntimeException | AssertionError e) {
                server.close();
                throw e;
            }
            return server;
        }

        private void collectOutput() {
            try (BufferedReader reader = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                    output.append(line).append('\n');
                }
            } catch (IOException e) {
                // the process was stopped; what it printed so far is in output
            }
        }

        void awaitOutput(String text) {
            try {
                await().atMost(TIMEOUT).until(() -> output.toString().contains(text));
            } catch (ConditionTimeoutException e) {
                fail("openssl s_server did not print \"" + text + "\"; it printed:\n" + output);
            }
        }

        @Override
        public void close() {
            process.destroy();
            try {
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The result of one openssl command run in the configure directory. */
    private record Run(int exitCode, String output) {

        /** The output, once the exit code said success. */
        String succeeded() {
            assertThat(exitCode).as("openssl exit code; output:\n" + output).isZero();
            return output;
        }

        /** The output, once the exit code said failure. */
        String failed() {
            assertThat(exitCode).as("openssl exit code; output:\n" + output).isNotZero();
            return output;
        }
    }

    private static Run openssl(Map<String, String> environment, String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(opensslPath());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        builder.environment().putAll(environment);
        Process process = builder.start();
        try {
            byte[] output = process.getInputStream().readAllBytes();
            if (!process.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                fail("openssl " + String.join(" ", args) + " did not finish");
            }
            return new Run(process.exitValue(), new String(output, StandardCharsets.UTF_8));
        } finally {
            process.destroyForcibly();
        }
    }

    /** The openssl CLI; its absence fails the test (CI installs Debian's openssl), it never skips it. */
    private static String opensslPath() {
        for (String candidate : List.of("/usr/bin/openssl", "/usr/local/bin/openssl")) {
            if (Files.isExecutable(Path.of(candidate))) {
                return candidate;
            }
        }
        return fail("the openssl command line tool is needed by this test and was not found in /usr/bin or"
                + " /usr/local/bin; install it (Debian: apt-get install openssl)");
    }
}
