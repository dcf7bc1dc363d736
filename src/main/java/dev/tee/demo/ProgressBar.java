package dev.tee.demo;

import java.io.PrintStream;
import java.util.function.LongSupplier;

/**
 * The demo's "events delivered / total" while it runs: one line redrawn in place on a terminal, a
 * plain line whenever the count moved otherwise (a log file or CI output has no use for carriage
 * returns). Closing it draws the final count. It also notes when the first and the last event
 * arrived, for the delivery rate without start-up and shutdown.
 */
final class ProgressBar implements AutoCloseable {

    private static final int WIDTH = 30;
    private static final long SAMPLE_MILLIS = 20;
    private static final long TERMINAL_REDRAW_MILLIS = 100;
    private static final long PLAIN_LINE_MILLIS = 1000;

    private final PrintStream out;
    private final boolean terminal;
    private final long total;
    private final LongSupplier delivered;
    private final Thread drawer;
    private long drawn = -1;
    private long seen;
    private long firstNanos;
    private long lastNanos;

    ProgressBar(PrintStream out, boolean terminal, long total, LongSupplier delivered) {
        this.out = out;
        this.terminal = terminal;
        this.total = total;
        this.delivered = delivered;
        this.drawer = new Thread(this::drawUntilInterrupted, "demo-progress");
        drawer.setDaemon(true);
        drawer.start();
    }

    private void drawUntilInterrupted() {
        long redraw = terminal ? TERMINAL_REDRAW_MILLIS : PLAIN_LINE_MILLIS;
        try {
            for (long tick = 0; !Thread.currentThread().isInterrupted(); tick++) {
                sample();
                if (tick % (redraw / SAMPLE_MILLIS) == 0) {
                    draw(false);
                }
                Thread.sleep(SAMPLE_MILLIS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private synchronized void sample() {
        long count = delivered.getAsLong();
        if (count > seen) {
            long now = System.nanoTime();
            if (seen == 0) {
                firstNanos = now;
            }
            lastNanos = now;
            seen = count;
        }
    }

    /** Seconds from the first delivery seen to the last; zero before two samples told them apart. */
    synchronized double deliverySeconds() {
        return (lastNanos - firstNanos) / 1e9;
    }

    private synchronized void draw(boolean last) {
        long count = delivered.getAsLong();
        if (count == drawn && !last) {
            return;
        }
        drawn = count;
        int filled = total == 0 ? WIDTH : (int) Math.min(WIDTH, count * WIDTH / total);
        String line = String.format("Delivered [%s%s] %d / %d events", "#".repeat(filled), ".".repeat(WIDTH - filled),
                count, total);
        if (terminal) {
            out.print("\r" + line + (last ? System.lineSeparator() : ""));
        } else {
            out.println(line);
        }
        out.flush();
    }

    @Override
    public void close() {
        drawer.interrupt();
        try {
            drawer.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (terminal || drawn != delivered.getAsLong()) {
            draw(true);
        }
    }
}
