package dev.tee.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.tee.tls.Configure;
import dev.tee.tls.Pem;

/** {@code configure} as a user runs it: arguments, piped input, questions, exit status and printed steps. */
class ConfigureCommandTest {

    @TempDir
    Path temp;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();
    private final List<String> questions = new ArrayList<>();

    @Test
    void writesEveryFileAndPrintsNumberedNextSteps() throws IOException {
        Path dir = temp.resolve("deploy-out");

        int status = run(noTerminal(), "configure", dir.toString(), "auth.example.com:3025", "--length", "2048",
                "--dns-names", "localhost,fluentd");

        assertThat(status).isZero();
        assertThat(err.toString()).isEmpty();
        assertThat(Configure.existingFiles(dir)).hasSize(Configure.FILES.size());
        assertThat(out.toString()).containsSubsequence(
                "Wrote into " + dir + ":",
                " 1. Create the Teleport role and user:",
                "tctl create -f " + dir.resolve("teleport-event-exporter-role.yaml"),
                " 2. Sign an identity",
                "tctl auth sign --user=teleport-event-exporter --format=file --out=" + dir.resolve("identity"),
                " 3. In " + dir.resolve("fluent.conf") + ", replace REPLACE_BUCKET",
                " 4. Start Fluentd and the exporter",
                "docker compose --env-file " + dir.resolve("compose.env") + " up -d --build",
                "java -jar ", " start --config " + dir.resolve("application.properties"),
                "To try these files on this host first", " demo --serve " + dir);
        // Names the compose file needs are there, so no advice about them.
        assertThat(out.toString()).doesNotContain("--dns-names", "TELEPORT_ADDR");
        assertThat(Files.readString(dir.resolve("application.properties")))
                .contains("\nteleport.addr=auth.example.com:3025\n");
        assertNoPassphraseShown(dir);
    }

    @Test
    void withTheDefaultsItSaysWhatDockerComposeStillNeeds() throws IOException {
        Path dir = temp.resolve("defaults");

        int status = run(noTerminal(), "configure", dir.toString(), "--length", "2048");

        assertThat(status).isZero();
        assertThat(out.toString()).contains(
                "run configure again with --force --dns-names localhost,fluentd",
                "in a container, localhost:3025 is the container itself: give configure Teleport's address as"
                        + " TELEPORT_ADDR");
        assertThat(Files.readString(dir.resolve("application.properties"))).contains("\nteleport.addr=localhost:3025\n");
    }

    @Test
    void helpListsTheGoHandlersFlagsWithTheirDefaults() {
        int status = run(noTerminal(), "configure", "--help");

        assertThat(status).isZero();
        assertThat(out.toString()).startsWith("Usage: teleport-event-exporter configure")
                .contains("OUT_DIR", "[TELEPORT_ADDR]", "default: localhost:3025", "--ttl=DURATION", "default: 87600h",
                        "--dns-names=NAMES", "default: localhost", "--ip=ADDRESSES", "--length=BITS", "default: 4096",
                        "--lock", "--force");
    }

    @Test
    void withoutATerminalItRefusesToReplaceFilesUnlessForced() throws IOException {
        Path dir = temp.resolve("again");
        assertThat(run(noTerminal(), "configure", dir.toString(), "--length", "2048")).isZero();
        String caKey = Files.readString(dir.resolve("ca.key"));
        for (String name : Configure.FILES) {
            if (!name.equals("server.key")) {
                Files.delete(dir.resolve(name));
            }
        }
        out.getBuffer().setLength(0);

        int status = run(noTerminal(), "configure", dir.toString(), "--length", "2048");

        assertThat(status).isEqualTo(2);
        assertThat(out.toString()).isEmpty();
        assertThat(err.toString().lines()).containsExactly("teleport-event-exporter: " + dir.resolve("server.key")
                + " already exists; run again with --force to replace it");
        assertThat(Configure.existingFiles(dir)).containsExactly(dir.resolve("server.key"));

        assertThat(run(noTerminal(), "configure", dir.toString(), "--length", "2048", "--force")).isZero();
        assertThat(Files.readString(dir.resolve("ca.key"))).isNotEqualTo(caKey);
    }

    @Test
    void onATerminalItAsksOnceAndKeepsTheFilesWhenTheAnswerIsNo() throws IOException {
        Path dir = temp.resolve("ask");
        assertThat(run(noTerminal(), "configure", dir.toString(), "--length", "2048")).isZero();
        String serverKey = Files.readString(dir.resolve("server.key"));
        err.getBuffer().setLength(0);

        int status = run(answering(false), "configure", dir.toString(), "--length", "2048");

        assertThat(status).isEqualTo(2);
        assertThat(questions).containsExactly(dir.resolve("ca.crt")
                + " and 10 more files configure writes already exist. Replace them?");
        assertThat(err.toString().lines()).containsExactly("teleport-event-exporter: nothing written: "
                + dir.resolve("ca.crt") + " and 10 more files configure writes already exist");
        assertThat(Files.readString(dir.resolve("server.key"))).isEqualTo(serverKey);

        assertThat(run(answering(true), "configure", dir.toString(), "--length", "2048")).isZero();
        assertThat(Files.readString(dir.resolve("server.key"))).isNotEqualTo(serverKey);
    }

    @Test
    void forceReplacesWithoutAsking() throws IOException {
        Path dir = temp.resolve("force");
        assertThat(run(noTerminal(), "configure", dir.toString(), "--length", "2048")).isZero();

        assertThat(run(answering(false), "configure", dir.toString(), "--length", "2048", "--force")).isZero();
        assertThat(questions).isEmpty();
    }

    @Test
    void pipedInputIsThePassphraseAndIsNeverPrinted() throws Exception {
        Path dir = temp.resolve("piped");
        String passphrase = "correct horse battery staple";

        int status = run(piped(passphrase + "\n"), "configure", dir.toString(), "--length", "2048");

        assertThat(status).isZero();
        assertThat(Files.readString(dir.resolve("fluent.conf")))
                .contains("private_key_passphrase '" + passphrase + "'\n");
        assertThat(Pem.readPrivateKey(Files.readString(dir.resolve("server.key")), passphrase.toCharArray()))
                .isNotNull();
        assertThat(out.toString() + err).doesNotContain(passphrase);
    }

    @Test
    void emptyPipedInputMeansARandomPassphrase() throws IOException {
        Path dir = temp.resolve("empty-pipe");

        assertThat(run(piped(""), "configure", dir.toString(), "--length", "2048")).isZero();

        assertThat(Files.readString(dir.resolve("fluent.conf"))).containsPattern("private_key_passphrase '[0-9a-f]{64}'");
    }

    @Test
    void anUnusablePipedPassphraseIsRefusedWithoutEchoingIt() {
        Path dir = temp.resolve("bad-pipe");

        int status = run(piped("caf\u00e9-au-lait\n"), "configure", dir.toString(), "--length", "2048");

        assertThat(status).isEqualTo(2);
        assertThat(err.toString().lines()).containsExactly(
                "teleport-event-exporter: passphrase on standard input: the passphrase may hold printable ASCII"
                        + " characters only");
        assertThat(dir).doesNotExist();
    }

    @Test
    void unusableArgumentsAreExitStatusTwoWithOneLineSaying() {
        String dir = temp.resolve("never").toString();
        Map<List<String>, String> cases = Map.of(
                List.of("configure", dir, "--length", "3072"), "--length must be one of 1024, 2048 or 4096, not 3072",
                List.of("configure", dir, "--ttl", "ten years"), "--ttl: \"ten years\" is not a Go duration",
                List.of("configure", dir, "--ttl", "-1h"), "--ttl must be longer than zero",
                List.of("configure", dir, "--ip", "127.0.0.1,10.0.0"), "--ip: \"10.0.0\" is not an IPv4 or IPv6",
                List.of("configure"), "Missing required parameter: 'OUT_DIR'");
        cases.forEach((args, message) -> {
            err.getBuffer().setLength(0);
            int status = run(noTerminal(), args.toArray(String[]::new));
            assertThat(status).as(args.toString()).isEqualTo(2);
            assertThat(err.toString().lines().findFirst()).as(args.toString())
                    .hasValueSatisfying(line -> assertThat(line).startsWith("teleport-event-exporter: ")
                            .contains(message));
        });
        assertThat(Path.of(dir)).doesNotExist();
    }

    @Test
    void keysShorterThan2048BitsAreWrittenWithAWarning() {
        int status = run(noTerminal(), "configure", temp.resolve("weak").toString(), "--length", "1024");

        assertThat(status).isZero();
        assertThat(err.toString()).contains("Warning: OpenSSL at its default security level (Fluentd's included)"
                + " refuses keys shorter than 2048 bits");
    }

    private void assertNoPassphraseShown(Path dir) throws IOException {
        String conf = Files.readString(dir.resolve("fluent.conf"));
        String passphrase = conf.replaceAll("(?s).*private_key_passphrase '([^']+)'.*", "$1");
        assertThat(passphrase).hasSize(64);
        assertThat(out.toString() + err).doesNotContain(passphrase);
    }

    private int run(Terminal terminal, String... args) {
        return Main.run(args, Map.of(), terminal, new PrintWriter(out, true), new PrintWriter(err, true));
    }

    /** Standard input redirected from a device, and no console: a script or a service manager. */
    private Terminal noTerminal() {
        return fake(Optional.empty(), Optional.empty());
    }

    private Terminal piped(String input) {
        return fake(Optional.of(input), Optional.empty());
    }

    private Terminal answering(boolean yes) {
        return fake(Optional.empty(), Optional.of(yes));
    }

    private Terminal fake(Optional<String> input, Optional<Boolean> answer) {
        return new Terminal() {
            @Override
            public Optional<String> pipedInput() {
                return input;
            }

            @Override
            public Optional<Boolean> confirm(String question) {
                answer.ifPresent(a -> questions.add(question));
                return answer;
            }
        };
    }
}
