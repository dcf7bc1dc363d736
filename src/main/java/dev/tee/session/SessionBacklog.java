package dev.tee.session;

import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import dev.tee.observe.LogThrottle;
import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The routes' {@code sessionBacklog} bean, the queue of {@code seda:session-recordings}: registered
 * session recordings waiting for a worker, at most 16 × `concurrency`, as in the Go handler (#47369).
 * A registration that finds it full waits (the routes send with {@code blockWhenFull}), which holds
 * back the audit stream rather than piling up work, with a warning at most once a minute; once the
 * exporter stops it waits no longer (the session is saved and exported after the restart).
 */
public final class SessionBacklog extends LinkedBlockingQueue<Exchange> {

    /** Registered sessions waiting for a worker, per unit of concurrency, before registration blocks. */
    public static final int PER_WORKER = 16;

    private static final Logger LOG = LoggerFactory.getLogger(SessionBacklog.class);
    private static final long RECHECK_MILLIS = 200;

    private final int workers;
    private final AtomicInteger blocked = new AtomicInteger();
    private volatile boolean closed;
    private final LogThrottle warnings = new LogThrottle(Duration.ofMinutes(1));

    /** @param workers the number of session workers (`concurrency`) */
    public SessionBacklog(int workers) {
        super(PER_WORKER * workers);
        this.workers = workers;
    }

    /** Waits for room (what seda's blockWhenFull asks for), unless the exporter is stopping. */
    @Override
    public void put(Exchange exchange) throws InterruptedException {
        if (offer(exchange)) {
            return;
        }
        blocked.incrementAndGet();
        try {
            while (!closed) {
                warn();
                if (offer(exchange, RECHECK_MILLIS, TimeUnit.MILLISECONDS)) {
                    return;
                }
            }
        } finally {
            blocked.decrementAndGet();
        }
    }

    /** Registrations waiting for room now (backpressure on the audit stream). */
    public int blocked() {
        return blocked.get();
    }

    /** The exporter stops: registrations no longer wait. */
    void close() {
        closed = true;
    }

    private void warn() {
        if (warnings.pass()) {
            LOG.warn("Backpressure in session processing: {} sessions wait for {} workers, so the audit export waits"
                    + " too; consider increasing concurrency if this persists", size(), workers);
        }
    }
}
