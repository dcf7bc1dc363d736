package dev.tee.teleport;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The identity the client presents to Teleport and the cluster CAs it trusts. With a reload, it is
 * re-read every interval, as the Go handler's identity-file watcher does for files tbot renews in
 * place: a changed identity replaces the current one and is announced to a listener (the client
 * then connects anew), and a re-read that fails (a file caught mid-write, an expired or mismatched
 * certificate) keeps the current identity and logs one warning until a re-read succeeds again.
 * Credentials read elsewhere (on SIGHUP) can replace the current ones too, reloading or not.
 */
final class LiveCredentials implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LiveCredentials.class);

    private final AtomicReference<TeleportCredentials> current;
    private final Supplier<TeleportCredentials> reload;
    private final ScheduledExecutorService scheduler;
    private final AtomicInteger failedReloads = new AtomicInteger();
    private volatile Runnable onChange = () -> { };
    private boolean failing;

    private LiveCredentials(TeleportCredentials initial, Supplier<TeleportCredentials> reload, Duration interval) {
        this.current = new AtomicReference<>(initial);
        this.reload = reload;
        if (reload == null) {
            this.scheduler = null;
            return;
        }
        this.scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "teleport-identity-refresh");
            thread.setDaemon(true);
            return thread;
        });
        long millis = interval.toMillis();
        scheduler.scheduleWithFixedDelay(this::reloadNow, millis, millis, TimeUnit.MILLISECONDS);
    }

    static LiveCredentials fixed(TeleportCredentials credentials) {
        return new LiveCredentials(credentials, null, null);
    }

    /** Starts with {@code initial} and calls {@code reload} every {@code interval} for a newer identity. */
    static LiveCredentials reloading(TeleportCredentials initial, Supplier<TeleportCredentials> reload,
            Duration interval) {
        if (interval.isZero() || interval.isNegative()) {
            throw new IllegalArgumentException("the identity refresh interval must be positive, not " + interval);
        }
        return new LiveCredentials(initial, reload, interval);
    }

    boolean isReloading() {
        return reload != null;
    }

    /** Runs after an identity change is in place, on the refresh thread: {@link #current()} returns the new one. */
    void onChange(Runnable onChange) {
        this.onChange = onChange;
    }

    TeleportCredentials current() {
        return current.get();
    }

    /** How many re-reads have failed so far (only the first of each run of failures is logged). */
    int failedReloads() {
        return failedReloads.get();
    }

    /** One re-read, on the scheduler's thread. */
    private void reloadNow() {
        TeleportCredentials now = current.get();
        TeleportCredentials loaded;
        try {
            loaded = reload.get();
        } catch (RuntimeException e) {
            failedReloads.incrementAndGet();
            if (!failing) {
                failing = true;
                LOG.warn("Cannot re-read the Teleport identity: {}; still using the certificate valid until {}",
                        e.getMessage(), now.notAfter());
            }
            return;
        }
        if (failing) {
            failing = false;
            LOG.info("The Teleport identity in {} can be read again", loaded.source().certificateFile());
        }
        if (!swap(loaded)) {
            return;
        }
        LOG.info("Teleport identity renewed from {}: {} valid until {}; new connections use it",
                loaded.source().certificateFile(),
                loaded.certificateChain().get(0).getSubjectX500Principal().getName(), loaded.notAfter());
        announceChange();
    }

    /**
     * Uses {@code loaded} from now on, as a renewal found by a re-read would be (the caller logs it);
     * false when it is the identity in use already.
     */
    boolean replace(TeleportCredentials loaded) {
        if (!swap(loaded)) {
            return false;
        }
        announceChange();
        return true;
    }

    /** Sets {@code loaded} as the current identity unless it is that already: a re-read and a SIGHUP may race. */
    private synchronized boolean swap(TeleportCredentials loaded) {
        if (sameIdentity(loaded, current.get())) {
            return false;
        }
        current.set(loaded);
        return true;
    }

    private void announceChange() {
        try {
            onChange.run();
        } catch (RuntimeException e) {
            // a failing listener must not end the re-reads (the scheduler drops a task that throws)
            LOG.warn("Could not switch to the renewed Teleport identity: {}", e.toString());
        }
    }

    private static boolean sameIdentity(TeleportCredentials a, TeleportCredentials b) {
        return a.certificateChain().equals(b.certificateChain()) && a.privateKey().equals(b.privateKey())
                && a.trustedAuthorities().equals(b.trustedAuthorities());
    }

    @Override
    public void close() {
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
    }
}
