package dev.tee.lock;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import dev.tee.config.GoDuration;
import dev.tee.event.AuditEvent;
import dev.tee.event.Batch;
import dev.tee.state.StateFile;
import dev.tee.teleport.TeleportException;
import dev.tee.teleport.proto.types.LockV2;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The routes' `locks` bean: user auto-locking (`lock-enabled`, event-handler.md §2.11). Failed
 * {@code user.login} events are counted per {@code login}; when one login has
 * `lock-failed-attempts-count` of them within `lock-period`, the user's login is locked in Teleport
 * with UpsertLock for `lock-for`.
 *
 * <p>Unlike the Go handler's in-memory limiter, the counts are kept in storage with the ids of the
 * events counted: a restart forgets nothing, and an event read again after a crash is not counted
 * twice. The routes call this before the batch is acknowledged and the state is saved before
 * Teleport is asked, so a lock decided is placed even if the exporter dies right then (it is
 * upserted again after the restart; upserting is idempotent).
 */
public final class FailedLoginLocks {

    static final String LOGIN_EVENT = "user.login";

    private static final Logger LOG = LoggerFactory.getLogger(FailedLoginLocks.class);

    /**
     * @param enabled `lock-enabled`
     * @param attempts `lock-failed-attempts-count`
     * @param period `lock-period`
     * @param lockFor `lock-for` (zero: the lock does not expire)
     * @param dryRun `dry-run`: count and say what would be locked, lock nothing
     * @param retryFirst first pause before asking Teleport again while it is unreachable
     * @param retryMax longest such pause
     */
    public record Settings(boolean enabled, int attempts, Duration period, Duration lockFor, boolean dryRun,
            Duration retryFirst, Duration retryMax) {

        /** Retries of UpsertLock from 1 s, doubling up to 30 s, as long as Teleport is unreachable. */
        public static Settings of(boolean enabled, int attempts, Duration period, Duration lockFor, boolean dryRun) {
            return new Settings(enabled, attempts, period, lockFor, dryRun, Duration.ofSeconds(1),
                    Duration.ofSeconds(30));
        }
    }

    private final Settings settings;
    private final StateFile<FailedLoginState> file;
    private final Consumer<LockV2> upsertLock;
    private final Clock clock;
    private final FailedLoginWindow window;
    private final List<AutoLock> pending;
    private final CountDownLatch stopping = new CountDownLatch(1);
    private final AtomicLong failedLogins = new AtomicLong();
    private final AtomicLong locksPlaced = new AtomicLong();

    /**
     * @param file the state file (read now: a corrupt one stops the exporter with a message)
     * @param upsertLock Teleport's UpsertLock
     */
    public FailedLoginLocks(Settings settings, StateFile<FailedLoginState> file, Consumer<LockV2> upsertLock,
            Clock clock) {
        this.settings = settings;
        this.file = file;
        this.upsertLock = upsertLock;
        this.clock = clock;
        FailedLoginState saved = settings.enabled() ? file.load().orElse(FailedLoginState.empty())
                : FailedLoginState.empty();
        this.window = new FailedLoginWindow(settings.attempts(), settings.period(), saved);
        this.pending = new ArrayList<>(saved.pendingLocks());
    }

    /**
     * Counts the failed logins of {@code batch} and places the locks they call for (and any left over
     * from before a restart). Returns once the counts are saved and each lock is placed or refused;
     * while Teleport is unreachable it waits and asks again, until the exporter stops (the locks
     * still to place are in storage then, and placed after the restart).
     */
    public synchronized void countFailedLogins(Batch batch) throws InterruptedException {
        if (!settings.enabled()) {
            return;
        }
        boolean changed = false;
        for (AuditEvent event : batch.events()) {
            if (!LOGIN_EVENT.equals(event.type()) || !Boolean.FALSE.equals(event.boolField("success"))) {
                continue;
            }
            String user = event.stringField("user");
            String login = event.stringField("login") == null ? "" : event.stringField("login");
            if (user == null || user.isEmpty()) {
                // a lock without a user would lock every user of that login, or be refused as empty
                LOG.debug("Failed login {} names no user; not counted for locking", event.id());
                continue;
            }
            FailedLoginWindow.Verdict verdict = window.count(login, event.id(), event.time());
            if (verdict == FailedLoginWindow.Verdict.SEEN_BEFORE) {
                continue;
            }
            changed = true;
            failedLogins.incrementAndGet();
            AutoLock lock = new AutoLock(user, login);
            if (verdict == FailedLoginWindow.Verdict.LIMIT_REACHED && !pending.contains(lock)) {
                pending.add(lock);
            }
        }
        if (changed) {
            save();
        }
        placePending();
    }

    /** Stops waiting for an unreachable Teleport; the locks still to place stay in storage. */
    public void stop() {
        stopping.countDown();
    }

    /** Failed logins counted (each event once). */
    long failedLoginsCounted() {
        return failedLogins.get();
    }

    /** Locks Teleport accepted. */
    long locksPlaced() {
        return locksPlaced.get();
    }

    private void placePending() throws InterruptedException {
        while (!pending.isEmpty()) {
            AutoLock lock = pending.get(0);
            if (settings.dryRun()) {
                LOG.info("Dry run: would lock user {} login \"{}\" ({} failed logins within {})", lock.user(),
                        lock.login(), settings.attempts(), GoDuration.format(settings.period()));
            } else if (!place(lock)) {
                return; // stopping: the lock stays in storage and is placed after the restart
            }
            pending.remove(0);
            save();
        }
    }

    /** False when the exporter stops while Teleport is unreachable; true once placed or refused for good. */
    private boolean place(AutoLock lock) throws InterruptedException {
        long delay = settings.retryFirst().toMillis();
        boolean warned = false;
        while (true) {
            LockV2 request = lock.toLockV2(clock.instant(), settings.lockFor());
            try {
                upsertLock.accept(request);
                locksPlaced.incrementAndGet();
                LOG.info("User login is locked: user {} login \"{}\" (lock {}, {})", lock.user(), lock.login(),
                        lock.name(), request.getSpec().hasExpires() ? "for " + GoDuration.format(settings.lockFor())
                                : "until removed");
                return true;
            } catch (TeleportException e) {
                if (!e.isRetryable()) {
                    LOG.error("Cannot lock user {} login \"{}\" after {} failed logins: {}", lock.user(), lock.login(),
                            settings.attempts(), e.getMessage());
                    return true;
                }
                if (!warned) {
                    LOG.warn("Cannot lock user {} login \"{}\" yet: {}; trying again until Teleport answers",
                            lock.user(), lock.login(), e.getMessage());
                    warned = true;
                }
            } catch (RuntimeException e) {
                LOG.error("Cannot lock user {} login \"{}\" after {} failed logins: {}", lock.user(), lock.login(),
                        settings.attempts(), e.getMessage());
                return true;
            }
            long pause = delay / 2 + ThreadLocalRandom.current().nextLong(delay / 2 + 1);
            if (stopping.await(pause, TimeUnit.MILLISECONDS)) {
                LOG.warn("Stopping before Teleport answered; the lock of user {} login \"{}\" is placed after the"
                        + " restart", lock.user(), lock.login());
                return false;
            }
            delay = Math.min(delay * 2, settings.retryMax().toMillis());
        }
    }

    private void save() {
        file.update(new FailedLoginState(window.snapshot(), pending));
        file.flush();
    }
}
