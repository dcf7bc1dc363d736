package dev.tee.cli;

import java.util.List;
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
        description = "Run a fake Teleport, export its events to the chosen output and report what arrived.")
final class DemoCommand implements Callable<Integer> {

    @Spec
    private CommandSpec spec;

    @Option(names = "--events", paramLabel = "N", defaultValue = "1000",
            description = "Events the fake Teleport serves (default: ${DEFAULT-VALUE}).")
    private int events;

    @Option(names = "--output", paramLabel = "fluentd|s3|file", defaultValue = "fluentd",
            description = "Where the events go (default: ${DEFAULT-VALUE}).")
    private String output;

    @Option(names = {"-d", "--debug"}, description = "Log at DEBUG level.")
    private boolean debug;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    private boolean help;

    private final Consumer<Boolean> debugListener;

    DemoCommand(Consumer<Boolean> debugListener) {
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
        Logging.configure(debug);
        return Demo.run(events, output);
    }
}
