package dev.tee.lock;

import java.time.Duration;
import java.time.Instant;

import com.google.protobuf.Timestamp;
import dev.tee.teleport.proto.types.LockSpecV2;
import dev.tee.teleport.proto.types.LockTarget;
import dev.tee.teleport.proto.types.LockV2;
import dev.tee.teleport.proto.types.Metadata;

/**
 * A lock of one user's login after too many failed logins, exactly as the Go handler upserts it
 * (teleport-wire.md §1.2): name {@code event-handler-auto-lock-<user>-<login>}, target {user, login},
 * its fixed message, Spec.Expires only when `lock-for` is above zero, Kind and Version left for the
 * server to fill in.
 *
 * @param user the failed login's {@code user}
 * @param login the failed login's {@code login} (often empty for web logins)
 */
public record AutoLock(String user, String login) {

    public static final String MESSAGE = "User is locked due to too many failed login attempts";
    static final String NAME_PREFIX = "event-handler-auto-lock-";

    public String name() {
        return NAME_PREFIX + user + "-" + login;
    }

    /** The UpsertLock request: in force from now for {@code lockFor}, or until removed when it is zero. */
    public LockV2 toLockV2(Instant now, Duration lockFor) {
        LockSpecV2.Builder spec = LockSpecV2.newBuilder()
                .setTarget(LockTarget.newBuilder().setUser(user).setLogin(login))
                .setMessage(MESSAGE);
        if (lockFor.compareTo(Duration.ZERO) > 0) {
            Instant expires = now.plus(lockFor);
            spec.setExpires(Timestamp.newBuilder().setSeconds(expires.getEpochSecond()).setNanos(expires.getNano()));
        }
        return LockV2.newBuilder()
                .setMetadata(Metadata.newBuilder().setName(name()))
                .setSpec(spec)
                .build();
    }
}
