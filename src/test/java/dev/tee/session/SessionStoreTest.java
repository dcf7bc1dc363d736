package dev.tee.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;

import dev.tee.config.ConfigException;
import dev.tee.state.StateFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SessionStoreTest {

    private static final Instant UPLOADED = Instant.parse("2026-12-01T10:00:00Z");

    @TempDir
    Path dir;

    @Test
    void theLastSavedStateOfEachUnfinishedSessionIsReadBack() {
        SessionStore store = open();
        store.save(List.of(registered("a"), registered("b"), registered("c")));
        store.save(registered("a").at(40));
        store.save(registered("b").missing(UPLOADED.plusSeconds(60)));
        store.finish("c");
        // as a kill -9 leaves it: nothing closed, nothing rewritten
        assertThat(new SessionStore(sessions()).read(new ArrayList<>()).values()).containsExactly(
                registered("a").at(40), registered("b").missing(UPLOADED.plusSeconds(60)));
        assertThat(new SessionStore(sessions()).open()).hasSize(2);
    }

    @Test
    void anAppendACrashCutShortIsDroppedAndNeverGluedToTheNextOne() throws Exception {
        SessionStore store = open();
        store.save(registered("a"));
        store.close();
        Files.writeString(journal(), "{\"sessionId\":\"b\",\"nextIn", StandardCharsets.UTF_8, StandardOpenOption.APPEND);

        SessionStore reopened = new SessionStore(sessions());
        assertThat(reopened.open()).extracting(SessionState::sessionId).containsExactly("a");
        reopened.save(registered("c"));

        assertThat(Files.readAllLines(journal())).hasSize(2).allSatisfy(line -> assertThat(line).startsWith("{\"sessionId\":"));
        assertThat(new SessionStore(sessions()).read(new ArrayList<>())).containsOnlyKeys("a", "c");
    }

    @Test
    void aDamagedLineIsAClearErrorNamingTheFileAndLine() throws Exception {
        SessionStore store = open();
        store.save(List.of(registered("a"), registered("b")));
        store.close();
        List<String> lines = Files.readAllLines(journal());
        Files.writeString(journal(), lines.get(0) + "\n" + lines.get(1).substring(0, 20) + "}\n");

        assertThatThrownBy(() -> new SessionStore(sessions()).open()).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("storage: " + journal() + " (line 2) is corrupt");
        assertThat(Files.readAllLines(journal()).get(1)).as("left as it was").endsWith("}");
    }

    @Test
    void theFilesOfEarlierVersionsAreFoldedIntoTheJournal() throws Exception {
        Files.createDirectories(sessions());
        StateFile<SessionState> legacy = new StateFile<>(sessions().resolve("old.json"), SessionState.class);
        legacy.update(registered("old").at(7));
        legacy.flush();

        assertThat(new SessionStore(sessions()).open()).containsExactly(registered("old").at(7));
        assertThat(sessions().resolve("old.json")).doesNotExist();
        assertThat(new SessionStore(sessions()).read(new ArrayList<>()).values()).containsExactly(registered("old").at(7));
    }

    @Test
    void aSessionInFinishedIdsIsFinishedWhateverTheJournalSays() {
        SessionStore store = open();
        store.save(registered("a"));
        store.finish("a");
        store.save(registered("a")); // a crash between the two writes of finish, seen the other way round

        assertThat(new SessionStore(sessions()).open()).isEmpty();
    }

    @Test
    void theJournalIsRewrittenOnceItHoldsMostlyFinishedSessions() throws Exception {
        SessionStore store = open();
        // each batch appends 100 registrations and 100 finishes: exactly REWRITE_AFTER_LINES lines in all
        for (int batch = 0; batch < SessionStore.REWRITE_AFTER_LINES / 200; batch++) {
            List<SessionState> states = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                states.add(registered("s" + (batch * 100 + i)));
            }
            store.save(states);
            states.forEach(state -> store.finish(state.sessionId()));
        }
        long grown = Files.size(journal());
        store.save(registered("kept"));

        assertThat(Files.size(journal())).as("rewritten (was %d bytes)", grown).isLessThan(grown / 100);
        assertThat(Files.readAllLines(journal())).hasSize(1);
        store.save(registered("later"));
        assertThat(new SessionStore(sessions()).read(new ArrayList<>())).containsOnlyKeys("kept", "later");
    }

    @Test
    void aCleanCloseLeavesOnlyTheLiveSessionsOwnerOnly() throws Exception {
        SessionStore store = open();
        store.save(List.of(registered("a"), registered("b")));
        store.finish("a");
        store.close();

        assertThat(Files.readAllLines(journal())).hasSize(1).first().asString().contains("\"sessionId\":\"b\"");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(journal()))).isEqualTo("rw-------");
    }

    @Test
    void concurrentSavesAllReachTheJournal() throws Exception {
        SessionStore store = open();
        List<CompletableFuture<Void>> savers = IntStream.range(0, 4).mapToObj(thread -> CompletableFuture.runAsync(() -> {
            for (int i = 0; i < 200; i++) {
                store.save(List.of(registered(thread + "-" + i), registered(thread + "-" + i + "b")));
            }
        })).toList();
        savers.forEach(CompletableFuture::join);

        assertThat(new SessionStore(sessions()).read(new ArrayList<>())).hasSize(1600);
        assertThat(Files.readAllLines(journal())).hasSize(1600);
    }

    @Test
    void savesAreReadableAtOnceAndDurableAtTheNextSyncWhichCoversThemAll() {
        SessionStore store = open();
        store.save(List.of(registered("a"), registered("b")));
        store.save(registered("a").at(40));
        // in the journal for a process killed now (the operating system has them), not yet synced
        assertThat(new SessionStore(sessions()).read(new ArrayList<>())).containsOnlyKeys("a", "b");
        assertThat(store.unsynced()).isEqualTo(2);

        store.sync();
        assertThat(store.unsynced()).isZero();
        store.sync(); // nothing saved since: nothing to sync
        assertThat(store.unsynced()).isZero();
        store.save(registered("c"));
        assertThat(store.unsynced()).isEqualTo(1);
        store.close(); // the rewrite at a clean close is durable too
        assertThat(store.unsynced()).isZero();
    }

    @Test
    void syncsWhileOthersSaveLeaveNothingUnsyncedOnceTheLastOneReturns() throws Exception {
        SessionStore store = open();
        CompletableFuture<Void> syncer = CompletableFuture.runAsync(() -> {
            for (int i = 0; i < 200; i++) {
                store.sync();
            }
        });
        List<CompletableFuture<Void>> savers = IntStream.range(0, 3).mapToObj(thread -> CompletableFuture.runAsync(() -> {
            for (int i = 0; i < 200; i++) {
                store.save(registered(thread + "-" + i));
            }
        })).toList();
        savers.forEach(CompletableFuture::join);
        syncer.join();
        store.sync();

        assertThat(store.unsynced()).isZero();
        assertThat(new SessionStore(sessions()).read(new ArrayList<>())).hasSize(600);
    }

    private SessionStore open() {
        SessionStore store = new SessionStore(sessions());
        assertThat(store.open()).isEmpty();
        return store;
    }

    private static SessionState registered(String sessionId) {
        return SessionState.registered(sessionId, UPLOADED);
    }

    private Path sessions() {
        return dir.resolve("sessions");
    }

    private Path journal() {
        return sessions().resolve("journal.jsonl");
    }
}
