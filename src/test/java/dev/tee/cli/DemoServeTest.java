package dev.tee.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.tee.demo.DemoServers;
import dev.tee.teleport.proto.auditlog.EventUnstructured;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code demo --serve} as the README has a new user try it: configure, serve the fake Teleport and
 * the Fluentd stand-in with configure's files, then run the printed start command.
 */
class DemoServeTest {

    private static final int EVENTS = 300;

    @TempDir
    Path temp;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    @Test
    void thePrintedStartCommandExportsEveryServedEventOnceThroughConfiguresCertificates() throws Exception {
        Path dir = configure("--force");
        int port = freePort();
        useFluentdPort(dir, port);

        try (DemoServers servers = DemoServers.start(dir, EVENTS)) {
            ByteArrayOutputStream printed = new ByteArrayOutputStream();
            PrintStream console = new PrintStream(printed, true, StandardCharsets.UTF_8);
            servers.printInstructions(console, "target/teleport-event-exporter.jar");
            assertThat(servers.fluentd().port()).isEqualTo(port);
            assertThat(Files.getPosixFilePermissions(dir.resolve("identity")))
                    .isEqualTo(PosixFilePermissions.fromString("rw-------"));
            List<String> start = servers.startArguments();
            assertThat(start).startsWith("start", "--config", dir.resolve("application.properties").toString(),
                    "--teleport-addr", servers.teleport().address(),
                    "--teleport-identity", dir.resolve("identity").toString(), "--start-time");
            assertThat(printed.toString(StandardCharsets.UTF_8))
                    .contains("Fluentd stand-in : 127.0.0.1:" + port + " for https://localhost:" + port + "/events.log")
                    .contains("\n  java -jar target/teleport-event-exporter.jar " + String.join(" ", start) + "\n")
                    .doesNotContain("Warning");

            Thread reporter = new Thread(() -> servers.reportUntilInterrupted(console, Duration.ofMillis(50)));
            reporter.start();
            try {
                List<String> args = new ArrayList<>(start);
                args.addAll(List.of("--exit-on-last-event", "--management.port=0"));
                int status = Main.run(args.toArray(String[]::new), Map.of(), new PrintWriter(out, true),
                        new PrintWriter(err, true));

                assertThat(status).as(err.toString()).isZero();
                List<String> served = servers.teleport().events().stream().map(EventUnstructured::getId).toList();
                assertThat(served).hasSize(EVENTS);
                assertThat(servers.fluentd().eventIds("events.log")).containsExactlyInAnyOrderElementsOf(served);
                String last = servers.received();
                assertThat(last).startsWith("Fluentd stand-in: ").contains("(tags: events.log " + EVENTS);
                await().atMost(Duration.ofSeconds(5))
                        .until(() -> printed.toString(StandardCharsets.UTF_8).contains("\n" + last + "\n"));
            } finally {
                reporter.interrupt();
                reporter.join(5_000);
            }
        }
    }

    @Test
    void aDirectoryConfigureDidNotWriteIsRefusedNamingTheMissingFile() throws IOException {
        Path dir = configure("--force");
        Files.delete(dir.resolve("server.key"));

        assertRefused(dir, "demo --serve: " + dir + " has no server.key, so configure did not write it;"
                + " write it with: configure " + dir);
        assertRefused(temp.resolve("nothing-here"), "demo --serve: " + temp.resolve("nothing-here")
                + " is no directory; write it first with: configure " + temp.resolve("nothing-here"));
    }

    @Test
    void aBusyPortAndAWrongPassphraseAreOneLineErrors() throws IOException {
        Path dir = configure("--force");
        try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            useFluentdPort(dir, busy.getLocalPort());
            assertRefused(dir, "demo --serve: Fluentd stand-in cannot listen on 127.0.0.1:" + busy.getLocalPort() + ": ",
                    "(the port of forward.fluentd.url in " + dir.resolve("application.properties") + ")");
        }
        Path fluentConf = dir.resolve("fluent.conf");
        Files.writeString(fluentConf, Files.readString(fluentConf)
                .replaceAll("private_key_passphrase '[0-9a-f]+'", "private_key_passphrase 'not-the-passphrase'"));

        String line = assertRefused(dir, dir.resolve("server.key") + ": cannot decrypt the private key (wrong passphrase?)");
        assertThat(line).doesNotContain("not-the-passphrase");
    }

    @Test
    void certificatesForOtherNamesThanTheUrlsHostAreNamedInAWarning() throws Exception {
        Path dir = configure("--force", "--dns-names", "fluentd", "--ip", "10.0.0.7");
        useFluentdPort(dir, freePort());

        try (DemoServers servers = DemoServers.start(dir, 10)) {
            ByteArrayOutputStream printed = new ByteArrayOutputStream();
            servers.printInstructions(new PrintStream(printed, true, StandardCharsets.UTF_8), "exporter.jar");

            assertThat(printed.toString(StandardCharsets.UTF_8)).contains("Warning: " + dir.resolve("server.crt")
                    + " covers fluentd, 10.0.0.7, not localhost of forward.fluentd.url: the exporter will refuse it;"
                    + " run configure again with --dns-names localhost\n");
        }
    }

    /** Runs configure into a new directory with short keys, as a user would with {@code args} added. */
    private Path configure(String... args) {
        Path dir = temp.resolve("deploy-out");
        List<String> line = new ArrayList<>(List.of("configure", dir.toString(), "--length", "2048"));
        line.addAll(List.of(args));
        assertThat(Main.run(line.toArray(String[]::new), Map.of(), noTerminal(), new PrintWriter(out, true),
                new PrintWriter(err, true))).as(err.toString()).isZero();
        return dir;
    }

    /** What a user does when Fluentd's port 8888 is taken: another port in both URLs of the configuration. */
    private static void useFluentdPort(Path dir, int port) throws IOException {
        Path properties = dir.resolve("application.properties");
        String text = Files.readString(properties);
        assertThat(text).contains("https://localhost:8888/events.log", "https://localhost:8888/session");
        Files.writeString(properties, text.replace("https://localhost:8888/", "https://localhost:" + port + "/"));
    }

    /** Runs demo --serve on {@code dir}, expects exit status 2 and returns its one line on stderr. */
    private String assertRefused(Path dir, String... mentions) {
        StringWriter refusal = new StringWriter();
        int status = Main.run(new String[] {"demo", "--serve", dir.toString()}, Map.of(), noTerminal(),
                new PrintWriter(new StringWriter()), new PrintWriter(refusal, true));

        assertThat(status).isEqualTo(2);
        List<String> lines = refusal.toString().lines().toList();
        assertThat(lines).hasSize(1);
        assertThat(lines.get(0)).startsWith("teleport-event-exporter: ").contains(mentions)
                .doesNotContain("Exception", "\tat ");
        return lines.get(0);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return socket.getLocalPort();
        }
    }

    /** Standard input from a device and no console, so that configure makes its own passphrase. */
    private static Terminal noTerminal() {
        return new Terminal() {
            @Override
            public Optional<String> pipedInput() {
                return Optional.empty();
            }

            @Override
            public Optional<Boolean> confirm(String question) {
                return Optional.empty();
            }
        };
    }
}
