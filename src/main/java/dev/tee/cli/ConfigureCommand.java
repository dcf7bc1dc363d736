package dev.tee.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

import dev.tee.config.ConfigException;
import dev.tee.config.GoDuration;
import dev.tee.tls.Configure;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code configure}: mTLS certificates for Fluentd and the configuration of Fluentd, the exporter and Teleport. */
@Command(name = "configure",
        sortOptions = false,
        description = {
            "Write mTLS certificates for Fluentd and ready-to-use configuration into OUT_DIR.",
            "",
            "The files: ca.crt and ca.key, server.crt and server.key (for Fluentd), client.crt and client.key"
                    + " (for the exporter), fluent.conf, application.properties (and the same as"
                    + " teleport-event-handler.toml), teleport-event-exporter-role.yaml and compose.env (for"
                    + " docker-compose.yml). The server key is encrypted with a random passphrase, which is written"
                    + " into fluent.conf only; when standard input is not a terminal, the passphrase is read from it"
                    + " instead.",
            ""})
final class ConfigureCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Parameters(index = "0", paramLabel = "OUT_DIR", description = "Directory to write into; created when missing.")
    private Path outDir;

    @Parameters(index = "1", arity = "0..1", paramLabel = "TELEPORT_ADDR",
            defaultValue = Configure.DEFAULT_TELEPORT_ADDR,
            description = "host:port of the Teleport Auth Service or Proxy (default: ${DEFAULT-VALUE}).")
    private String teleportAddr;

    @Option(names = "--ttl", paramLabel = "DURATION", defaultValue = "87600h",
            description = "How long the certificates are valid, as a Go duration (default: ${DEFAULT-VALUE}).")
    private String ttl;

    @Option(names = "--dns-names", paramLabel = "NAMES", split = ",", defaultValue = "localhost",
            description = "Comma-separated DNS names of Fluentd for the certificates (default: ${DEFAULT-VALUE});"
                    + " docker-compose.yml needs " + Configure.COMPOSE_FLUENTD_HOST + " among them.")
    private List<String> dnsNames;

    @Option(names = "--ip", paramLabel = "ADDRESSES", split = ",",
            description = "Comma-separated IP addresses for the certificates (default: every address the DNS names"
                    + " resolve to).")
    private List<String> ipAddresses;

    @Option(names = "--length", paramLabel = "BITS", defaultValue = "4096",
            description = "RSA key length: 1024, 2048 or 4096 (default: ${DEFAULT-VALUE}).")
    private int length;

    @Option(names = "--lock",
            description = "Let the exporter lock Teleport users after failed logins: adds the rule to the role"
                    + " and lock-enabled=true to the configuration.")
    private boolean lock;

    @Option(names = "--force", description = "Replace files in OUT_DIR without asking.")
    private boolean force;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    private boolean help;

    private final Terminal terminal;

    ConfigureCommand(Terminal terminal) {
        this.terminal = terminal;
    }

    @Override
    public Integer call() throws IOException {
        Configure.Options options = options();
        Path dir = options.outDir();
        mayReplace(Configure.existingFiles(dir));
        String passphrase = passphrase();

        PrintWriter out = spec.commandLine().getOut();
        if (options.rsaBits() < 2048) {
            // Accepted as the Go handler accepts it, but Debian's and most distributions' OpenSSL refuse it.
            spec.commandLine().getErr().println("Warning: OpenSSL at its default security level (Fluentd's included)"
                    + " refuses keys shorter than 2048 bits");
        }
        out.printf("Generating three %d-bit RSA keys and certificates valid for %s...%n", options.rsaBits(),
                GoDuration.format(options.ttl()));
        out.flush();
        try {
            Configure.write(options, passphrase);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write into " + dir + ": " + e.getMessage(), e);
        }
        printSummary(out, options);
        return Main.OK;
    }

    private Configure.Options options() {
        Duration validity = GoDuration.parse(ttl).orElseThrow(() -> new ParameterException(spec.commandLine(),
                "--ttl: \"" + ttl + "\" is not a Go duration such as 87600h"));
        List<String> names = nonBlank(dnsNames);
        try {
            return new Configure.Options(outDir, teleportAddr, validity, names, nonBlank(ipAddresses), length, lock);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** Files configure would replace: only with --force or a "yes" on the terminal, never silently. */
    private void mayReplace(List<Path> existing) {
        if (existing.isEmpty() || force) {
            return;
        }
        boolean one = existing.size() == 1;
        String files = existing.get(0) + (one ? " already exists"
                : " and " + (existing.size() - 1) + " more file" + (existing.size() == 2 ? "" : "s")
                        + " configure writes already exist");
        Optional<Boolean> answer = terminal.confirm(files + ". Replace " + (one ? "it" : "them") + "?");
        if (answer.isEmpty()) {
            throw new ConfigException(files + "; run again with --force to replace " + (one ? "it" : "them"));
        }
        if (!answer.get()) {
            throw new ConfigException("nothing written: " + files);
        }
    }

    /** As the Go handler: piped standard input is the passphrase; otherwise 32 random bytes, hex encoded. */
    private String passphrase() throws IOException {
        Optional<String> piped = terminal.pipedInput().map(ConfigureCommand::withoutLineEnd);
        if (piped.isEmpty() || piped.get().isEmpty()) {
            return Configure.randomPassphrase();
        }
        try {
            Configure.checkPassphrase(piped.get());
        } catch (IllegalArgumentException e) {
            throw new ConfigException("passphrase on standard input: " + e.getMessage());
        }
        return piped.get();
    }

    /** "echo secret | configure" ends the input with a line break that is no part of the passphrase. */
    private static String withoutLineEnd(String text) {
        if (text.endsWith("\r\n")) {
            return text.substring(0, text.length() - 2);
        }
        return text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
    }

    private static List<String> nonBlank(List<String> values) {
        List<String> kept = new ArrayList<>();
        if (values != null) {
            values.stream().map(String::strip).filter(v -> !v.isEmpty()).forEach(kept::add);
        }
        return kept;
    }

    private void printSummary(PrintWriter out, Configure.Options options) {
        Path dir = options.outDir();
        out.println();
        out.println("Wrote into " + dir + ":");
        Map<String, String> files = new LinkedHashMap<>();
        files.put("ca.crt, ca.key", "CA of the Fluentd link; ca.key is needed only to issue more certificates");
        files.put("server.crt, server.key", "Fluentd's certificate; the key is encrypted, its passphrase is in "
                + Configure.FLUENT_CONF);
        files.put("client.crt, client.key", "the exporter's client certificate");
        files.put(Configure.FLUENT_CONF, "Fluentd: mTLS on port 8888, audit events to S3 for Panther,"
                + " session recordings to stdout");
        files.put(Configure.PROPERTIES, "the exporter's configuration");
        files.put(Configure.HANDLER_TOML, "the same in the Go handler's format, which the exporter reads too");
        files.put(Configure.ROLE, "the Teleport role and user " + Configure.TELEPORT_USER);
        files.put(Configure.COMPOSE_ENV, "where docker-compose.yml finds these files, and their owner");
        int width = files.keySet().stream().mapToInt(String::length).max().orElse(0);
        files.forEach((names, what) -> out.printf("  %-" + width + "s  %s%n", names, what));
        out.println();
        out.println("Next steps:");
        out.println(" 1. Create the Teleport role and user:");
        out.println("      tctl create -f " + dir.resolve(Configure.ROLE));
        out.println(" 2. Sign an identity for that user (valid 12h unless you add --ttl; tbot can renew it, and");
        out.println("    teleport.refresh.enabled makes the exporter read it again):");
        out.println("      tctl auth sign --user=" + Configure.TELEPORT_USER + " --format=file --out="
                + dir.resolve(Configure.IDENTITY));
        out.println(" 3. In " + dir.resolve(Configure.FLUENT_CONF) + ", replace REPLACE_BUCKET, REPLACE_REGION,");
        out.println("    REPLACE_AWS_KEY_ID and REPLACE_AWS_SECRET (or delete the two key lines to use an IAM role).");
        out.println(" 4. Start Fluentd and the exporter, either with Docker Compose, from the repository's top directory:");
        out.println("      docker compose --env-file " + dir.resolve(Configure.COMPOSE_ENV) + " up -d --build");
        if (!options.dnsNames().contains(Configure.COMPOSE_FLUENTD_HOST)) {
            out.println("    (the exporter reaches Fluentd there as " + Configure.COMPOSE_FLUENTD_HOST
                    + ", which the server certificate must name:");
            out.println("    run configure again with --force --dns-names "
                    + String.join(",", options.dnsNames()) + "," + Configure.COMPOSE_FLUENTD_HOST + ")");
        }
        if (isLoopback(options.teleportAddr())) {
            out.println("    (in a container, " + options.teleportAddr()
                    + " is the container itself: give configure Teleport's address as TELEPORT_ADDR)");
        }
        out.println("    or on this host, with Fluentd (and fluent-plugin-s3) run by the owner of these files:");
        out.println("      fluentd -c " + dir.resolve(Configure.FLUENT_CONF));
        out.println("      java -jar " + Main.jarPath() + " start --config " + dir.resolve(Configure.PROPERTIES));
        out.println();
        out.println("To try these files on this host first, with a fake Teleport and a Fluentd stand-in:");
        out.println("      java -jar " + Main.jarPath() + " demo --serve " + dir);
    }

    private static boolean isLoopback(String address) {
        String host = address.startsWith("[") ? address.substring(1, Math.max(1, address.indexOf(']')))
                : address.contains(":") ? address.substring(0, address.lastIndexOf(':')) : address;
        return host.equals("localhost") || host.startsWith("127.") || host.equals("::1");
    }
}
