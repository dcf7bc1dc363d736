package dev.tee.pipeline;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.tee.source.AuditSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides, after each poll, whether the export is finished: with `exit-on-last-event`, once the
 * reader has caught up and every event read has been acknowledged, it saves the cursor and stops the
 * exporter.
 */
public final class ExportProgress {

    private static final Logger LOG = LoggerFactory.getLogger(ExportProgress.class);
    private static final Duration DRAIN_WAIT = Duration.ofSeconds(5);

    private final boolean exitOnLastEvent;
    private final AuditSource source;
    private final Runnable saveState;
    private final Runnable stop;
    private final AtomicBoolean finished = new AtomicBoolean();

    public ExportProgress(boolean exitOnLastEvent, AuditSource source, Runnable saveState, Runnable stop) {
        this.exitOnLastEvent = exitOnLastEvent;
        this.source = source;
        this.saveState = saveState;
        this.stop = stop;
    }

    /** Called by the read route after each poll. */
    public void check() throws InterruptedException {
        if (!exitOnLastEvent || !source.caughtUp()) {
            return;
        }
        // the last partial batch may still be on its way: give it a moment rather than a whole poll period
        long deadline = System.nanoTime() + DRAIN_WAIT.toNanos();
        while (!source.idle() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        if (source.caughtUp() && source.idle() && finished.compareAndSet(false, true)) {
            saveState.run();
            LOG.info("Caught up and every event is delivered; exiting (exit-on-last-event)");
            stop.run();
        }
    }
}
