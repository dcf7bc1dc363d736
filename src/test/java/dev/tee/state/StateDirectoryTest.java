package dev.tee.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Optional;

import dev.tee.config.ConfigException;
import dev.tee.source.LegacyCursor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateDirectoryTest {

    @TempDir
    Path storage;

    @Test
    void fixesTheStartTimeOnFirstUse() {
        StateDirectory state = StateDirectory.open(storage, "auth.example.com:3025");
        assertThat(state.path()).isEqualTo(storage.resolve("auth.example.com_3025"));

        Instant start = state.startTime(Optional.of(Instant.parse("2026-01-02T03:04:05.678Z")), Instant.now());
        assertThat(start).isEqualTo(Instant.parse("2026-01-02T03:04:05Z"));

        StateDirectory again = StateDirectory.open(storage, "auth.example.com:3025");
        assertThat(again.startTime(Optional.empty(), Instant.now())).isEqualTo(start);
        assertThat(again.startTime(Optional.of(Instant.parse("2026-01-02T03:04:05Z")), Instant.now())).isEqualTo(start);
    }

    @Test
    void refusesToChangeTheStartTimeOfAnExportInProgress() {
        StateDirectory state = StateDirectory.open(storage, "auth:3025");
        state.startTime(Optional.of(Instant.parse("2026-01-02T00:00:00Z")), Instant.now());

        assertThatThrownBy(() -> state.startTime(Optional.of(Instant.parse("2025-01-01T00:00:00Z")), Instant.now()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("start-time: 2025-01-01T00:00:00Z differs from 2026-01-02T00:00:00Z")
                .hasMessageContaining("rm -rf " + storage.resolve("auth_3025"));
    }

    @Test
    void createsTheDirectoryForItsOwnerOnly() throws Exception {
        StateDirectory state = StateDirectory.open(storage.resolve("new"), "auth:3025");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(state.path()))).isEqualTo("rwx------");
    }

    @Test
    void savesCursorsAtomicallyAndReadsThemBack() {
        Path file = storage.resolve("legacy-cursor.json");
        StateFile<LegacyCursor> cursor = new StateFile<>(file, LegacyCursor.class);
        assertThat(cursor.load()).isEmpty();

        LegacyCursor value = new LegacyCursor(Instant.parse("2026-11-23T10:00:00Z"), "key-7", "uid-9");
        cursor.update(value);
        assertThat(Files.exists(file)).isFalse();
        cursor.flush();

        assertThat(new StateFile<>(file, LegacyCursor.class).load()).contains(value);
        assertThat(storage.resolve("legacy-cursor.json.tmp")).doesNotExist();
    }

    @Test
    void aCorruptStateFileIsAClearErrorNotAReset() throws Exception {
        Path file = storage.resolve("legacy-cursor.json");
        Files.writeString(file, "{\"windowStart\": \"2026-11-23T10:00:00Z\", \"pageKey\": ");
        assertThatThrownBy(() -> new StateFile<>(file, LegacyCursor.class).load())
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("storage: " + file + " is corrupt")
                .hasMessageContaining("remove it to export again from start-time");
    }
}
