package dev.tee.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CursorSaveTest {

    @TempDir
    Path dir;

    @Test
    void whatMustBeDurableFirstIsSyncedBeforeTheCursorIsWritten() {
        List<String> order = new ArrayList<>();
        StateFile<String> cursor = new StateFile<>(dir.resolve("cursor.json"), String.class);
        cursor.update("page-2");
        CursorSave save = new CursorSave(() -> {
            assertThat(dir.resolve("cursor.json")).as("not yet written").doesNotExist();
            order.add("journal");
        }, () -> {
            cursor.flush();
            order.add("cursor");
        });

        save.flush();

        assertThat(order).containsExactly("journal", "cursor");
        assertThat(new StateFile<>(dir.resolve("cursor.json"), String.class).load()).contains("page-2");
    }

    @Test
    void aJournalThatCannotBeSyncedKeepsTheCursorWhereItWas() {
        StateFile<String> cursor = new StateFile<>(dir.resolve("cursor.json"), String.class);
        cursor.update("page-1");
        cursor.flush();
        cursor.update("page-2");
        CursorSave save = new CursorSave(() -> {
            throw new StateUnwritableException(dir.resolve("journal.jsonl"), new IOException("No space left on device"));
        }, cursor::flush);

        assertThatThrownBy(save::flush).isInstanceOf(StateUnwritableException.class);
        assertThat(new StateFile<>(dir.resolve("cursor.json"), String.class).load()).contains("page-1");
    }
}
