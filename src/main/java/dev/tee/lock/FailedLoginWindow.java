package dev.tee.lock;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Counts failed logins per {@code login} (the key the Go handler's limiter uses) and says when one
 * login had `lock-failed-attempts-count` of them within `lock-period` of event time.
 *
 * <p>The window slides over the events' own times, not the time they happen to be read: a backfill
 * of last month reads a month of failures in seconds, and bulk export hands them over out of order,
 * so wall-clock counting (as the Go handler does) would lock for failures spread over weeks. Only
 * failures within a period of the newest one seen can still matter, so older ones are dropped.
 */
final class FailedLoginWindow {

    /** What counting one failed login led to. */
    enum Verdict {
        /** The event was counted before (read again after a crash): nothing changes. */
        SEEN_BEFORE,
        /** Counted; the login is still below the limit. */
        COUNTED,
        /** Counted, and the login reached the limit: lock it. */
        LIMIT_REACHED
    }

    private static final Comparator<FailedLoginState.Failure> BY_TIME =
            Comparator.comparing(FailedLoginState.Failure::time);

    private final int attempts;
    private final Duration period;
    /** Most failures remembered per login; beyond the limit only the newest matter. */
    private final int keep;
    private final Map<String, List<FailedLoginState.Failure>> byLogin = new HashMap<>();
    private Instant newest = Instant.MIN;

    FailedLoginWindow(int attempts, Duration period, FailedLoginState saved) {
        this.attempts = attempts;
        this.period = period;
        this.keep = Math.max(2 * attempts, 100);
        saved.failures().forEach((login, failures) -> {
            List<FailedLoginState.Failure> list = new ArrayList<>(failures);
            list.sort(BY_TIME);
            byLogin.put(login, list);
            list.forEach(failure -> newest = max(newest, failure.time()));
        });
    }

    Verdict count(String login, String eventId, Instant time) {
        List<FailedLoginState.Failure> failures = byLogin.computeIfAbsent(login, key -> new ArrayList<>());
        for (FailedLoginState.Failure failure : failures) {
            if (failure.eventId().equals(eventId)) {
                return Verdict.SEEN_BEFORE;
            }
        }
        FailedLoginState.Failure failure = new FailedLoginState.Failure(eventId, time);
        int at = 0;
        while (at < failures.size() && !failures.get(at).time().isAfter(time)) {
            at++;
        }
        failures.add(at, failure);
        newest = max(newest, time);
        boolean reached = reached(failures, time);
        forgetOld();
        return reached ? Verdict.LIMIT_REACHED : Verdict.COUNTED;
    }

    /** Whether some window of one period holding {@code time} holds `attempts` failures. */
    private boolean reached(List<FailedLoginState.Failure> failures, Instant time) {
        for (int start = 0; start < failures.size(); start++) {
            Instant from = failures.get(start).time();
            Instant until = from.plus(period);
            if (from.isAfter(time)) {
                break;
            }
            if (!time.isBefore(until)) {
                continue;
            }
            int inWindow = 0;
            for (int i = start; i < failures.size() && failures.get(i).time().isBefore(until); i++) {
                inWindow++;
            }
            if (inWindow >= attempts) {
                return true;
            }
        }
        return false;
    }

    private void forgetOld() {
        Instant horizon = newest.minus(period);
        for (Iterator<List<FailedLoginState.Failure>> it = byLogin.values().iterator(); it.hasNext(); ) {
            List<FailedLoginState.Failure> failures = it.next();
            failures.removeIf(failure -> failure.time().isBefore(horizon));
            if (failures.size() > keep) {
                failures.subList(0, failures.size() - keep).clear();
            }
            if (failures.isEmpty()) {
                it.remove();
            }
        }
    }

    /** The failures remembered now, for storage. */
    Map<String, List<FailedLoginState.Failure>> snapshot() {
        Map<String, List<FailedLoginState.Failure>> copy = new HashMap<>();
        byLogin.forEach((login, failures) -> copy.put(login, List.copyOf(failures)));
        return copy;
    }

    private static Instant max(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }
}
