package dev.tee.lock;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What storage keeps for auto-locking: the recent failed logins of each login (with their event ids,
 * so an event read twice after a crash counts once) and the locks decided but not yet confirmed by
 * Teleport (tried again after a restart).
 *
 * @param failures recent failed logins by the event's {@code login} field
 * @param pendingLocks locks decided and not yet upserted
 */
public record FailedLoginState(Map<String, List<Failure>> failures, List<AutoLock> pendingLocks) {

    /** One failed login: its event id and time. */
    public record Failure(String eventId, Instant time) {
    }

    public FailedLoginState {
        failures = failures == null ? Map.of() : Map.copyOf(failures);
        pendingLocks = pendingLocks == null ? List.of() : List.copyOf(pendingLocks);
    }

    static FailedLoginState empty() {
        return new FailedLoginState(Map.of(), List.of());
    }
}
