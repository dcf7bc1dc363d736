package dev.tee.testing;

import static org.awaitility.Awaitility.await;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

import org.awaitility.core.ConditionTimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Real Fluentd 1.18 with fluent-plugin-s3 1.8.5 (../shared/tools/fluentd) as a child process of a
 * test: started on a fluent.conf, killed as a crash would, restarted on the same buffer, or stopped.
 */
public final class RealFluentd implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RealFluentd.class);
    /** What Fluentd logs once its worker has started every plugin, in_http's listener included. */
    private static final String WORKER_RUNNING = "fluentd worker is now running";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(30);
    private static final int TAIL_LINES = 40;

    private final Path runFluentd;
    private final Path conf;
    private final Path log;
    private final Thread killAtExit = new Thread(this::killTree, "kill real Fluentd");
    private Process supervisor;

    private RealFluentd(Path runFluentd, Path conf, Path log) {
        this.runFluentd = runFluentd;
        this.conf = conf;
        this.log = log;
    }

    /** ../shared/tools/fluentd next to the checkout, or the directory the {@code fluentd.tools} property names. */
    public static Path toolsDir() {
        String configured = System.getProperty("fluentd.tools");
        return (configured != null ? Path.of(configured) : Path.of("../shared/tools/fluentd")).toAbsolutePath()
                .normalize();
    }

    /**
     * Starts Fluentd on {@code conf}, its output (supervisor and worker) appended to {@code log}, and
     * returns once the worker runs.
     *
     * @throws AssertionError when Ruby or the tools are missing, or Fluentd exits or is not running within 30 s
     */
    public static RealFluentd start(Path conf, Path log) {
        Path tools = toolsDir();
        Path runFluentd = tools.resolve("run-fluentd");
        String install = "run " + tools.resolve("install-deps") + " (as root) first";
        if (!Files.isExecutable(runFluentd)) {
            throw new AssertionError("real Fluentd is missing: no executable " + runFluentd
                    + " (../shared/tools/fluentd must sit next to the checkout); " + install);
        }
        if (!onPath("ruby")) {
            throw new AssertionError("real Fluentd needs Ruby, and there is no ruby on the PATH: " + install);
        }
        RealFluentd fluentd = new RealFluentd(runFluentd, conf.toAbsolutePath(), log.toAbsolutePath());
        Runtime.getRuntime().addShutdownHook(fluentd.killAtExit);
        fluentd.launch();
        return fluentd;
    }

    /** A crash: SIGKILL to the supervisor and every process under it, then waits until all are gone. */
    public synchronized void kill() {
        List<ProcessHandle> tree = tree();
        tree.forEach(ProcessHandle::destroyForcibly);
        awaitExit(tree, "SIGKILL");
        supervisor = null;
    }

    /** A graceful stop: SIGTERM to the supervisor, which stops its worker; waits until all are gone. */
    public synchronized void stop() {
        List<ProcessHandle> tree = tree();
        if (tree.isEmpty()) {
            return;
        }
        long began = System.nanoTime();
        tree.get(0).destroy();
        awaitExit(tree, "SIGTERM");
        supervisor = null;
        LOG.info("Fluentd stopped by SIGTERM in {} ms", (System.nanoTime() - began) / 1_000_000);
    }

    /** Starts Fluentd again on the same fluent.conf (so the same buffer directory), stopping it first if it runs. */
    public synchronized void restart() {
        stop();
        launch();
    }

    /** Everything Fluentd wrote so far, across restarts (its own log, and out_stdout's events). */
    public String log() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read Fluentd's log " + log, e);
        }
    }

    /** The last lines of {@link #log()}, for failure messages. */
    public String logTail() {
        List<String> lines = log().lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - TAIL_LINES), lines.size()));
    }

    /** Stops Fluentd gracefully (SIGKILL if it does not exit within 30 s, and fails then). */
    @Override
    public synchronized void close() {
        try {
            stop();
        } finally {
            kill();
            removeShutdownHook();
        }
    }

    private void removeShutdownHook() {
        try {
            Runtime.getRuntime().removeShutdownHook(killAtExit);
        } catch (IllegalStateException e) {
            // the JVM is exiting: the hook runs anyway and finds nothing left to kill
        }
    }

    private synchronized void launch() {
        long logged;
        try {
            Files.createDirectories(log.getParent());
            Files.writeString(log, "=== run-fluentd -c " + conf + "\n", StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            logged = Files.size(log);
            supervisor = new ProcessBuilder(runFluentd.toString(), "-c", conf.toString())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
        } catch (IOException e) {
            throw new AssertionError("cannot start " + runFluentd + ": " + e.getMessage(), e);
        }
        Process started = supervisor;
        long began = System.nanoTime();
        try {
            await("Fluentd's worker").atMost(START_TIMEOUT).pollInterval(Duration.ofMillis(50))
                    .until(() -> !started.isAlive() || logSince(logged).contains(WORKER_RUNNING));
        } catch (ConditionTimeoutException e) {
            kill();
            throw new AssertionError("Fluentd was not running after " + START_TIMEOUT.toSeconds() + " s; the end of "
                    + log + ":\n" + logTail(), e);
        }
        if (!started.isAlive()) {
            supervisor = null;
            throw new AssertionError("Fluentd exited with status " + started.exitValue() + " while starting (if Ruby "
                    + "cannot load a gem, run " + runFluentd.resolveSibling("install-deps") + "); the end of " + log
                    + ":\n" + logTail());
        }
        LOG.info("Fluentd (pid {}) running on {} after {} ms", started.pid(), conf,
                (System.nanoTime() - began) / 1_000_000);
    }

    private String logSince(long offset) throws IOException {
        byte[] bytes = Files.readAllBytes(log);
        int from = (int) Math.min(offset, bytes.length);
        return new String(bytes, from, bytes.length - from, StandardCharsets.UTF_8);
    }

    /** CPU time used so far by the supervisor and its workers (for benchmarks). */
    public Duration cpuTime() {
        return tree().stream().map(process -> process.info().totalCpuDuration().orElse(Duration.ZERO))
                .reduce(Duration.ZERO, Duration::plus);
    }

    /** The supervisor first, then its workers: read before any signal, as a dead parent has no descendants. */
    private synchronized List<ProcessHandle> tree() {
        if (supervisor == null) {
            return List.of();
        }
        return Stream.concat(Stream.of(supervisor.toHandle()), supervisor.descendants()).toList();
    }

    private void killTree() {
        tree().forEach(ProcessHandle::destroyForcibly);
    }

    private void awaitExit(List<ProcessHandle> processes, String signal) {
        CompletableFuture<?>[] exits = processes.stream().map(ProcessHandle::onExit).toArray(CompletableFuture[]::new);
        try {
            CompletableFuture.allOf(exits).get(EXIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            processes.forEach(ProcessHandle::destroyForcibly);
            throw new AssertionError("Fluentd did not exit within " + EXIT_TIMEOUT.toSeconds() + " s of " + signal
                    + "; the end of " + log + ":\n" + logTail(), e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            processes.forEach(ProcessHandle::destroyForcibly);
            throw new AssertionError("interrupted while waiting for Fluentd to exit", e);
        }
    }

    private static boolean onPath(String command) {
        String path = System.getenv().getOrDefault("PATH", "");
        return Stream.of(path.split(File.pathSeparator)).filter(dir -> !dir.isEmpty())
                .anyMatch(dir -> Files.isExecutable(Path.of(dir, command)));
    }
}
