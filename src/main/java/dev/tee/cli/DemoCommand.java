package dev.tee.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;

import dev.tee.config.ConfigKey;
import dev.tee.demo.Demo;
import dev.tee.demo.DemoServers;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code demo}: the whole pipeline on this machine, against a fake Teleport, with no cluster. */
@Command(name = "demo",
        description = {
            "Run a fake Teleport, export its events to the chosen output and report what arrived.",
            "",
            "With --serve OUT_DIR, only serve: a fake Teleport, and a Fluentd stand-in with the certificates"
                    + " configure wrote into OUT_DIR, on the port its application.properties names. The exporter's"
                    + " identity file is written into OUT_DIR and the start command to run in another terminal is"
                    + " printed; serves until Ctrl-C.",
            ""},
        footerHeading = "%nOutputs:%n",
        footer = {
            "  fluentd  a Fluentd stand-in in this process, HTTPS with mutual TLS.",
            "  file     Panther's S3 layout in ./" + Demo.FILE_OUTPUT_DIR + "/<run>/ (gzip JSON lines",
            "           per minute of event time).",
            "  s3       the same objects in an S3 bucket you name, under",
            "           " + Demo.S3_PREFIX + "<run>/; the jar has no S3 server of",
            "           its own. Set " + Demo.S3_ENV_PREFIX + "BUCKET and, as for start,",
            "           ..._REGION, ..._ENDPOINT and ..._PATH_STYLE=true (MinIO,",
            "           S3Proxy), ..._ACCESS_KEY_ID and ..._SECRET_ACCESS_KEY",
            "           (default: the AWS default credentials chain)."})
final class DemoCommand implements Callable<Integer> {

    /** How often --serve looks whether the stand-in received more. */
    private static final Duration REPORT_INTERVAL = Duration.ofSeconds(1);

    @Spec
    private CommandSpec spec;

    @Option(names = "--events", paramLabel = "N", defaultValue = "1000",
            description = "Events the fake Teleport serves (default: ${DEFAULT-VALUE}).")
    private int events;

    @Option(names = "--serve", paramLabel = "OUT_DIR",
            description = "Only serve, for the printed start command, with the files configure wrote into"
                    + " OUT_DIR; see above.")
    private Path serve;

    @Option(names = "--output", paramLabel = "fluentd|s3|file", defaultValue = "fluentd",
            description = "Where the events go (default: ${DEFAULT-VALUE}); see below.")
    private String output;

    @Option(names = {"-d", "--debug"}, description = "Log at DEBUG level.")
    private boolean debug;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    private boolean help;

    private final Map<String, String> environment;
    private final Consumer<Boolean> debugListener;

    DemoCommand(Map<String, String> environment, Consumer<Boolean> debugListener) {
        this.environment = environment;
        this.debugListener = debugListener;
    }

    @Override
    public Integer call() {
        if (events < 1) {
            throw new ParameterException(spec.commandLine(), "--events must be at least 1, not " + events);
        }
        if (serve != null && spec.commandLine().getParseResult().hasMatchedOption("--output")) {
            throw new ParameterException(spec.commandLine(),
                    "--serve and --output do not go together: with --serve, the start command sends to the stand-in");
        }
        List<String> outputs = ConfigKey.OUTPUT.type().allowed();
        if (!outputs.contains(output)) {
            throw new ParameterException(spec.commandLine(),
                    "--output must be one of " + String.join(", ", outputs) + ", not \"" + output + "\"");
        }
        debugListener.accept(debug);
        Logging.configureDemo(debug);
        if (serve != null) {
            try (DemoServers servers = DemoServers.start(serve, events)) {
                servers.printInstructions(System.out, Main.jarPath());
                servers.reportUntilInterrupted(System.out, REPORT_INTERVAL);
            }
            return Main.OK;
        }
        return Demo.run(events, output, environment, Path.of(""), System.out, System.console() != null);
    }
}
