package dev.tee.testing;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

import dev.tee.app.ExporterApp;
import dev.tee.config.ExporterConfig;
import dev.tee.observe.ExporterMetrics;

/** The exporter running in this JVM on a thread of its own, with its live metrics, until it exits or is stopped. */
public final class InProcessExporter implements AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final CompletableFuture<Integer> run;
    private final ExporterApp.Running running;

    private InProcessExporter(CompletableFuture<Integer> run, ExporterApp.Running running) {
        this.run = run;
        this.running = running;
    }

    /** Starts {@code start} with {@code config} and returns once its pipeline is built. */
    public static InProcessExporter start(ExporterConfig config) {
        AtomicReference<ExporterApp.Running> running = new AtomicReference<>();
        CompletableFuture<Integer> run = CompletableFuture.supplyAsync(() -> ExporterApp.run(config, running::set));
        await("the exporter's pipeline").atMost(START_TIMEOUT).pollInterval(Duration.ofMillis(20))
                .until(() -> running.get() != null || run.isDone());
        if (running.get() == null) {
            throw new AssertionError("the exporter exited while starting: " + outcome(run));
        }
        return new InProcessExporter(run, running.get());
    }

    /**
     * Runs an exporter that stops by itself (exit-on-last-event) and returns its exit status; stops it
     * and fails if it still runs after {@code patience}.
     */
    public static int runToEnd(ExporterConfig config, Duration patience) {
        try (InProcessExporter exporter = start(config)) {
            return exporter.awaitExit(patience);
        }
    }

    public ExporterMetrics metrics() {
        return running.metrics();
    }

    public boolean isRunning() {
        return !run.isDone();
    }

    /** Waits for the exporter to exit on its own (exit-on-last-event) and returns its exit status. */
    public int awaitExit(Duration patience) {
        try {
            return run.get(patience.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("the exporter still runs after " + patience + ": " + metrics().snapshot(), e);
        } catch (ExecutionException e) {
            throw new AssertionError("the exporter failed", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** Stops it as SIGTERM would (the batch in flight finishes, the cursor is saved) and waits for it. */
    @Override
    public void close() {
        if (isRunning()) {
            running.stop().run();
        }
        awaitExit(Duration.ofSeconds(30));
    }

    private static String outcome(CompletableFuture<Integer> run) {
        try {
            return "exit status " + run.getNow(null);
        } catch (RuntimeException e) {
            return e.getCause() == null ? e.toString() : e.getCause().toString();
        }
    }
}
