package dev.tee.lock;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Timestamp;
import dev.tee.demo.FakeTeleport;
import dev.tee.event.AuditEvent;
import dev.tee.event.Batch;
import dev.tee.event.EventJson;
import dev.tee.state.StateFile;
import dev.tee.teleport.IdentityFile;
import dev.tee.teleport.TeleportClient;
import dev.tee.teleport.proto.types.LockSpecV2;
import dev.tee.teleport.proto.types.LockTarget;
import dev.tee.teleport.proto.types.LockV2;
import dev.tee.teleport.proto.types.Metadata;
import io.grpc.Status;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Auto-locking against a fake Teleport that records the UpsertLock calls it receives. */
class FailedLoginLocksTest {

    private static final Instant NOW = Instant.parse("2024-05-01T12:00:00Z");
    private static final Instant T0 = Instant.parse("2024-05-01T11:59:00Z");

    @TempDir
    Path dir;

    private FakeTeleport fake;
    private TeleportClient teleport;

    @BeforeEach
    void start() {
        fake = FakeTeleport.builder().start();
        Path identity = fake.writeIdentityFile(dir.resolve("identity"), "teleport-event-exporter", Duration.ofHours(1));
        teleport = new TeleportClient(fake.address(), IdentityFile.load(identity));
    }

    @AfterEach
    void stop() {
        teleport.close();
        fake.close();
    }

    @Test
    void locksTheLoginAtTheThirdFailureWithinAMinuteWithTheGoHandlersLock() throws Exception {
        FailedLoginLocks locks = locks(Duration.ofMinutes(15), false);

        locks.countFailedLogins(batch(failure("alice", "root", T0), failure("alice", "root", T0.plusSeconds(20))));
        assertThat(fake.locks()).as("two failures lock nobody").isEmpty();

        locks.countFailedLogins(batch(failure("alice", "root", T0.plusSeconds(40))));

        Instant expires = NOW.plus(Duration.ofMinutes(15));
        LockV2 expected = LockV2.newBuilder()
                .setMetadata(Metadata.newBuilder().setName("event-handler-auto-lock-alice-root"))
                .setSpec(LockSpecV2.newBuilder()
                        .setTarget(LockTarget.newBuilder().setUser("alice").setLogin("root"))
                        .setMessage("User is locked due to too many failed login attempts")
                        .setExpires(Timestamp.newBuilder().setSeconds(expires.getEpochSecond())))
                .build();
        assertThat(fake.locks()).containsExactly(expected);
        LockV2 lock = fake.locks().get(0);
        assertThat(lock.getKind()).isEmpty();
        assertThat(lock.getVersion()).isEmpty();
        assertThat(lock.getMetadata().hasExpires()).isFalse();
        assertThat(lock.getSpec().hasCreatedAt()).isFalse();
        assertThat(locks.locksPlaced()).isEqualTo(1);
    }

    @Test
    void aLockWithoutLockForNeverExpires() throws Exception {
        FailedLoginLocks locks = locks(Duration.ZERO, false);

        locks.countFailedLogins(batch(failure("bob", "", T0), failure("bob", "", T0.plusSeconds(1)),
                failure("bob", "", T0.plusSeconds(2))));

        assertThat(fake.locks()).singleElement().satisfies(lock -> {
            assertThat(lock.getMetadata().getName()).isEqualTo("event-handler-auto-lock-bob-");
            assertThat(lock.getSpec().getTarget()).isEqualTo(LockTarget.newBuilder().setUser("bob").build());
            assertThat(lock.getSpec().hasExpires()).isFalse();
        });
    }

    @Test
    void failuresSpreadOverMoreThanThePeriodLockNobody() throws Exception {
        FailedLoginLocks locks = locks(Duration.ZERO, false);

        locks.countFailedLogins(batch(failure("alice", "root", T0), failure("alice", "root", T0.plusSeconds(45)),
                failure("alice", "root", T0.plusSeconds(90)), failure("alice", "root", T0.plusSeconds(135))));

        assertThat(fake.locks()).isEmpty();
        assertThat(locks.failedLoginsCounted()).isEqualTo(4);
    }

    @Test
    void countsFailuresByTheirEventTimeWhateverTheOrderTheyArriveIn() throws Exception {
        FailedLoginLocks locks = locks(Duration.ZERO, false);

        locks.countFailedLogins(batch(failure("alice", "root", T0.plusSeconds(50))));
        locks.countFailedLogins(batch(failure("alice", "root", T0.plusSeconds(10))));
        assertThat(fake.locks()).isEmpty();
        locks.countFailedLogins(batch(failure("alice", "root", T0.plusSeconds(30))));

        assertThat(fake.locks()).hasSize(1);
    }

    @Test
    void onlyFailedUserLoginsCount() throws Exception {
        FailedLoginLocks locks = locks(Duration.ZERO, false);
        ObjectNode success = failure("alice", "root", T0);
        success.put("success", true);
        ObjectNode other = failure("alice", "root", T0);
        other.put("event", "user.create");
        ObjectNode noUser = failure("alice", "root", T0);
        noUser.remove("user");

        locks.countFailedLogins(batch(success, other, noUser, failure("alice", "root", T0),
                failure("alice", "root", T0.plusSeconds(1))));

        assertThat(fake.locks()).isEmpty();
        assertThat(locks.failedLoginsCounted()).isEqualTo(2);
    }

    @Test
    void countsPerLoginAsTheGoHandlerDoes() throws Exception {
        FailedLoginLocks locks = locks(Duration.ZERO, false);

        // the limiter's key is the login: three users failing as root within a minute lock the third
        locks.countFailedLogins(batch(failure("alice", "root", T0), failure("bob", "root", T0.plusSeconds(1)),
                failure("carol", "ubuntu", T0.plusSeconds(2)), failure("dave", "root", T0.plusSeconds(3))));

        assertThat(fake.locks()).extracting(lock -> lock.getMetadata().getName())
                .containsExactly("event-handler-auto-lock-dave-root");
    }

    @Test
    void theCountsSurviveARestart() throws Exception {
        locks(Duration.ZERO, false).countFailedLogins(batch(failure("alice", "root", T0),
                failure("alice", "root", T0.plusSeconds(5))));

        FailedLoginLocks restarted = locks(Duration.ZERO, false);
        restarted.countFailedLogins(batch(failure("alice", "root", T0.plusSeconds(10))));

        assertThat(fake.locks()).extracting(lock -> lock.getMetadata().getName())
                .containsExactly("event-handler-auto-lock-alice-root");
    }

    @Test
    void anEventReadAgainAfterACrashCountsOnce() throws Exception {
        ObjectNode first = failure("alice", "root", T0);
        ObjectNode second = failure("alice", "root", T0.plusSeconds(5));
        locks(Duration.ZERO, false).countFailedLogins(batch(first, second));

        FailedLoginLocks restarted = locks(Duration.ZERO, false);
        restarted.countFailedLogins(batch(second, first));
        restarted.countFailedLogins(batch(second));

        assertThat(fake.locks()).isEmpty();
        assertThat(restarted.failedLoginsCounted()).isZero();
    }

    @Test
    void aDryRunCountsButLocksNobody() throws Exception {
        FailedLoginLocks locks = locks(Duration.ZERO, true);

        locks.countFailedLogins(batch(failure("alice", "root", T0), failure("alice", "root", T0.plusSeconds(1)),
                failure("alice", "root", T0.plusSeconds(2))));

        assertThat(fake.locks()).isEmpty();
        assertThat(fake.calls("UpsertLock")).isZero();
        assertThat(locks.failedLoginsCounted()).isEqualTo(3);
    }

    @Test
    void lockingOffCountsNothing() throws Exception {
        FailedLoginLocks locks = new FailedLoginLocks(FailedLoginLocks.Settings.of(false, 3, Duration.ofMinutes(1),
                Duration.ZERO, false), stateFile(), teleport::upsertLock, clock());

        locks.countFailedLogins(batch(failure("alice", "root", T0), failure("alice", "root", T0),
                failure("alice", "root", T0)));

        assertThat(fake.calls("UpsertLock")).isZero();
        assertThat(stateFile().path()).doesNotExist();
    }

    @Test
    void waitsForAnUnreachableTeleportAndThenLocks() throws Exception {
        fake.failNext("UpsertLock", 2, Status.UNAVAILABLE.withDescription("auth restarting"));
        FailedLoginLocks locks = locks(Duration.ZERO, false);

        locks.countFailedLogins(batch(failure("alice", "root", T0), failure("alice", "root", T0.plusSeconds(1)),
                failure("alice", "root", T0.plusSeconds(2))));

        assertThat(fake.calls("UpsertLock")).isEqualTo(3);
        assertThat(fake.locks()).hasSize(1);
    }

    @Test
    void aRoleWithoutLockRightsIsReportedAndTheExportGoesOn() throws Exception {
        fake.failNext("UpsertLock", 1, Status.PERMISSION_DENIED.withDescription("access denied to perform action"
                + " \"create\" on \"lock\""));
        FailedLoginLocks locks = locks(Duration.ZERO, false);

        locks.countFailedLogins(batch(failure("alice", "root", T0), failure("alice", "root", T0.plusSeconds(1)),
                failure("alice", "root", T0.plusSeconds(2))));

        assertThat(fake.locks()).isEmpty();
        assertThat(stateFile().load().orElseThrow().pendingLocks()).isEmpty();
        locks.countFailedLogins(batch(failure("alice", "root", T0.plusSeconds(3))));
        assertThat(fake.locks()).as("the next failure tries again").hasSize(1);
    }

    @Test
    void aLockDecidedJustBeforeACrashIsPlacedAfterTheRestart() throws Exception {
        StateFile<FailedLoginState> file = stateFile();
        file.update(new FailedLoginState(java.util.Map.of(), List.of(new AutoLock("alice", "root"))));
        file.flush();

        locks(Duration.ZERO, false).countFailedLogins(batch());

        assertThat(fake.locks()).extracting(lock -> lock.getMetadata().getName())
                .containsExactly("event-handler-auto-lock-alice-root");
        assertThat(stateFile().load().orElseThrow().pendingLocks()).isEmpty();
    }

    private FailedLoginLocks locks(Duration lockFor, boolean dryRun) {
        return new FailedLoginLocks(new FailedLoginLocks.Settings(true, 3, Duration.ofMinutes(1), lockFor, dryRun,
                Duration.ofMillis(10), Duration.ofMillis(50)), stateFile(), teleport::upsertLock, clock());
    }

    private StateFile<FailedLoginState> stateFile() {
        return new StateFile<>(dir.resolve("failed-logins.json"), FailedLoginState.class);
    }

    private static Clock clock() {
        return Clock.fixed(NOW, ZoneOffset.UTC);
    }

    /** A failed user.login as Teleport writes it (T1000W). */
    static ObjectNode failure(String user, String login, Instant time) {
        ObjectNode event = JsonNodeFactory.instance.objectNode();
        event.put("code", "T1000W");
        event.put("error", "invalid username, password or second factor");
        event.put("event", "user.login");
        event.put("login", login);
        event.put("method", "local");
        event.put("success", false);
        event.put("time", time.toString());
        event.put("uid", UUID.randomUUID().toString());
        event.put("user", user);
        return event;
    }

    private static Batch batch(ObjectNode... events) {
        List<AuditEvent> list = new ArrayList<>();
        for (ObjectNode event : events) {
            list.add(new AuditEvent(event.get("uid").asText(), event.get("event").asText(),
                    Instant.parse(event.get("time").asText()), 0, EventJson.toStruct(event)));
        }
        return new Batch(list);
    }
}
