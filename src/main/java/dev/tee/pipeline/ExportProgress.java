package dev.tee.pipeline;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.tee.source.Page;
import dev.tee.state.DeliveryLedger;
import dev.tee.state.StateFile;
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
    private final DeliveryLedger<?> ledger;
    private final StateFile<?> cursor;
    private final Runnable stop;
    private final AtomicBoolean finished = new AtomicBoolean();

    public ExportProgress(boolean exitOnLastEvent, DeliveryLedger<?> ledger, StateFile<?> cursor, Runnable stop) {
        this.exitOnLastEvent = exitOnLastEvent;
        this.ledger = ledger;
        this.cursor = cursor;
        this.stop = stop;
    }

    /** Called by the poll route once the reader caught up (or a poll ended). */
    public void pollDone(Page page) throws InterruptedException {
        if (!exitOnLastEvent || page == null || !page.caughtUp()) {
            return;
        }
        // the last partial batch may still be on its way: give it a moment rather than a whole poll period
        long deadline = System.nanoTime() + DRAIN_WAIT.toNanos();
        while (!ledger.idle() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        if (ledger.idle() && finished.compareAndSet(false, true)) {
            cursor.flush();
            LOG.info("Caught up and every event is delivered; exiting (exit-on-last-event)");
            stop.run();
        }
    }

    public boolean finished() {
        return finished.get();
    }
}
