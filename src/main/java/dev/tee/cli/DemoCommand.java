package dev.tee.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;

import dev.tee.config.ConfigKey;
import dev.tee.demo.Demo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code demo}: the whole pipeline on this machine, against a fake Teleport, with no cluster. */
@Command(name = "demo",
        description = "Run a fake Teleport, export its events to the chosen output and report what arrived.",
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

    @Spec
    private CommandSpec spec;

    @Option(names = "--events", paramLabel = "N", defaultValue = "1000",
            description = "Events the fake Teleport serves (default: ${DEFAULT-VALUE}).")
    private int events;

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
        List<String> outputs = ConfigKey.OUTPUT.type().allowed();
        if (!outputs.contains(output)) {
            throw new ParameterException(spec.commandLine(),
                    "--output must be one of " + String.join(", ", outputs) + ", not \"" + output + "\"");
        }
        debugListener.accept(debug);
        Logging.configureDemo(debug);
        return Demo.run(events, output, environment, Path.of(""), System.out, System.console() != null);
    }
}
