package dev.tee.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The exporter as a real child JVM (`teleport-event-exporter start`), so tests can kill it with
 * SIGKILL or stop it with SIGTERM exactly as an operator or a crash would.
 */
public final class ExporterProcess {

    /** The system property with the child JVM's options, space-separated. */
    public static final String JVM_OPTIONS = "tee.exporter.jvm";
    static final String DEFAULT_JVM_OPTIONS = "-Xmx512m";
    /** The system property naming a built jar to run ({@code -jar}) instead of this JVM's class path. */
    public static final String JAR = "tee.exporter.jar";

    private final Process process;
    private final Path log;

    private ExporterProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /**
     * Starts {@code start --config <config>} with this JVM's class path; output goes to {@code log}. The
     * JVM options are {@value #DEFAULT_JVM_OPTIONS} unless the system property {@value #JVM_OPTIONS}
     * names others (the benchmarks' {@code --jvm}); the system property {@value #JAR} runs that jar
     * instead of this JVM's class path (the benchmarks' {@code --jar}).
     */
    public static ExporterProcess start(Path config, Path log, String... extraArgs) {
        return start(List.of(System.getProperty(JVM_OPTIONS, DEFAULT_JVM_OPTIONS).strip().split("\\s+")), config, log,
                extraArgs);
    }

    /** As {@link #start(Path, Path, String...)}, with these JVM options whatever the system property says. */
    public static ExporterProcess start(List<String> jvmOptions, Path config, Path log, String... extraArgs) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        String jar = System.getProperty(JAR);
        int shown = command.size() + 2; // the class path is long: the log shows what follows it
        if (jar == null) {
            command.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.tee.cli.Main"));
        } else {
            command.addAll(List.of("-jar", jar));
        }
        command.addAll(List.of("start", "--config", config.toString()));
        command.addAll(List.of(extraArgs));
        try {
            Files.writeString(log, "=== " + String.join(" ", command.subList(1, shown - 2)) + " ... "
                    + String.join(" ", command.subList(shown, command.size())) + "\n",
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            Process process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
            return new ExporterProcess(process, log);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the exporter", e);
        }
    }

    /** SIGKILL: no shutdown hook runs, nothing is flushed; what is on disk is all that survives. */
    public void kill9() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM, then waits for the exit status. */
    public int terminate(Duration wait) throws InterruptedException {
        process.destroy();
        return waitFor(wait);
    }

    /** Sends a signal by name ("TERM", "INT") with kill(1), as an operator or a terminal would. */
    public void signal(String name) throws InterruptedException {
        try {
            Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
            if (kill.waitFor() != 0) {
                throw new AssertionError("kill -" + name + " " + process.pid() + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run kill", e);
        }
    }

    public int waitFor(Duration wait) throws InterruptedException {
        if (!process.waitFor(wait.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("the exporter did not exit within " + wait + "; its log:\n" + log());
        }
        return process.exitValue();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public long pid() {
        return process.pid();
    }

    public String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }
}
