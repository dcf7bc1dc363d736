package dev.tee.cli;

import java.io.PrintWriter;
import java.net.URISyntaxException;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.Map;
import java.util.concurrent.Callable;

import dev.tee.config.ConfigException;
import dev.tee.teleport.NettyMemory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

/** The jar's entry point (start, configure, demo, version); exits 0 done, 2 unusable input, 1 failure at run time. */
@Command(name = Main.PROGRAM,
        mixinStandardHelpOptions = true,
        versionProvider = Version.class,
        description = "Exports a Teleport cluster's audit log and session recordings to Fluentd or S3.")
public final class Main implements Callable<Integer> {

    static final String PROGRAM = "teleport-event-exporter";

    static final int OK = 0;
    static final int FAILED = 1;
    static final int UNUSABLE = 2;

    @Spec
    private CommandSpec spec;

    private final Map<String, String> environment;
    private final Terminal terminal;
    private boolean debug;

    private Main(Map<String, String> environment, Terminal terminal) {
        this.environment = environment;
        this.terminal = terminal;
    }

    public static void main(String[] args) {
        NettyMemory.oneDirectArena(System.getProperties());
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        System.exit(run(args, System.getenv(), out, err));
    }

    /**
     * Runs one command line with the given environment and streams, and returns the exit status;
     * what {@link #main} does, minus the exit, for tests.
     */
    public static int run(String[] args, Map<String, String> environment, PrintWriter out, PrintWriter err) {
        return run(args, environment, Terminal.system(), out, err);
    }

    /** {@link #run(String[], Map, PrintWriter, PrintWriter)} with a stand-in for standard input and the console. */
    static int run(String[] args, Map<String, String> environment, Terminal terminal, PrintWriter out,
                   PrintWriter err) {
        Main main = new Main(environment, terminal);
        CommandLine commandLine = main.commandLine(out, err);
        int status = commandLine.execute(args);
        out.flush();
        err.flush();
        return status;
    }

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "missing command: start, configure, version or demo");
    }

    private CommandLine commandLine(PrintWriter out, PrintWriter err) {
        CommandLine root = new CommandLine(this);
        StartCommand start = new StartCommand(environment, on -> debug = on);
        root.addSubcommand(StartCommand.NAME, new CommandLine(start.spec()));
        root.addSubcommand(new ConfigureCommand(terminal));
        root.addSubcommand(new VersionCommand());
        root.addSubcommand(new DemoCommand(environment, on -> debug = on));
        CommandLine startLine = root.getSubcommands().get(StartCommand.NAME);
        startLine.setUnmatchedOptionsArePositionalParams(true);
        startLine.setOverwrittenOptionsAllowed(true);
        // Values such as "@identity" are paths or strings, never files of more arguments.
        root.setExpandAtFiles(false);
        root.setOut(out);
        root.setErr(err);
        root.setParameterExceptionHandler(this::badArguments);
        root.setExecutionExceptionHandler(this::failed);
        return root;
    }

    private int badArguments(ParameterException e, String[] args) {
        PrintWriter err = e.getCommandLine().getErr();
        err.println(PROGRAM + ": " + oneLine(e.getMessage()));
        err.println("Try '" + e.getCommandLine().getCommandSpec().qualifiedName() + " --help' for more information.");
        return UNUSABLE;
    }

    private int failed(Exception e, CommandLine commandLine, ParseResult parsed) {
        PrintWriter err = commandLine.getErr();
        if (e instanceof ConfigException) {
            err.println(PROGRAM + ": " + oneLine(e.getMessage()));
            return UNUSABLE;
        }
        String message = e.getMessage() == null ? e.getClass().getName() : e.getMessage();
        err.println(PROGRAM + ": " + oneLine(message));
        if (debug) {
            e.printStackTrace(err);
        }
        return FAILED;
    }

    private static String oneLine(String message) {
        return message == null ? "" : message.strip().replaceAll("\\s*\\R\\s*", " ");
    }

    /** The jar this program runs from, so that printed commands work as they are; a plain name otherwise. */
    static String jarPath() {
        CodeSource source = Main.class.getProtectionDomain().getCodeSource();
        try {
            Path location = source == null ? null : Path.of(source.getLocation().toURI());
            if (location != null && location.toString().endsWith(".jar")) {
                return location.toString();
            }
        } catch (URISyntaxException | IllegalArgumentException | FileSystemNotFoundException e) {
            // a location that is no local file: show the jar's name
        }
        return "teleport-event-exporter.jar";
    }
}
