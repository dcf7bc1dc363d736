package dev.tee.demo;

import java.io.PrintStream;
import java.util.function.LongSupplier;

/**
 * The demo's "events delivered / total" while it runs: one line redrawn in place on a terminal, a
 * plain line whenever the count moved otherwise (a log file or CI output has no use for carriage
 * returns). Closing it draws the final count.
 */
final class ProgressBar implements AutoCloseable {

    private static final int WIDTH = 30;
    private static final long TERMINAL_REDRAW_MILLIS = 100;
    private static final long PLAIN_LINE_MILLIS = 1000;

    private final PrintStream out;
    private final boolean terminal;
    private final long total;
    private final LongSupplier delivered;
    private final Thread drawer;
    private long drawn = -1;

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
        try {
            while (!Thread.currentThread().isInterrupted()) {
                draw(false);
                Thread.sleep(terminal ? TERMINAL_REDRAW_MILLIS : PLAIN_LINE_MILLIS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
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
