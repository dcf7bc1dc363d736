package dev.tee.session;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import dev.tee.config.ConfigException;
import dev.tee.state.AtomicFiles;
import dev.tee.state.DeliveredEvents;
import dev.tee.state.StateFile;

/**
 * The sessions directory of the state directory: one {@code <sid>.json} per registered session not
 * yet exported (written atomically, like every state file), and {@code finished-ids}, the ids of
 * sessions exported or given up, so that a replayed session.upload registers nothing again.
 * Finishing appends the id before deleting the file: a crash between the two leaves a file that the
 * next start recognises as finished.
 */
public final class SessionStore {

    /** Finished session ids kept per segment: far more than the session.upload events a replay can repeat. */
    private static final int FINISHED_IDS_PER_SEGMENT = 10_000;
    private static final String SUFFIX = ".json";

    private final Path dir;
    private final DeliveredEvents finished;

    /** @param dir the directory for session state, {@code <state directory>/sessions} */
    public SessionStore(Path dir) {
        this.dir = dir;
        this.finished = new DeliveredEvents(dir.resolve("finished-ids"), FINISHED_IDS_PER_SEGMENT);
    }

    public Path dir() {
        return dir;
    }

    /** Creates the directory and reads the finished ids. */
    void open() {
        try {
            AtomicFiles.createDirectory(dir);
            finished.start();
        } catch (IOException e) {
            throw new ConfigException("storage: cannot create " + dir + ": " + e.getMessage(), e);
        } catch (ConfigException e) {
            throw e; // already names the file
        } catch (RuntimeException e) {
            throw new ConfigException("storage: cannot read " + dir.resolve("finished-ids") + ": " + e.getMessage(), e);
        }
    }

    void close() {
        finished.stop();
    }

    /**
     * Every session saved and not finished. A file that cannot be read is a clear error, never
     * skipped: skipping would lose that recording.
     */
    List<SessionState> load() {
        List<SessionState> sessions = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path file : files) {
                SessionState state = new StateFile<>(file, SessionState.class).load()
                        .orElseThrow(() -> new ConfigException("storage: " + file + " vanished while being read"));
                if (finished.contains(state.sessionId())) {
                    Files.deleteIfExists(file); // finished just before a crash
                } else {
                    sessions.add(state);
                }
            }
        } catch (IOException e) {
            throw new ConfigException("storage: cannot read " + dir + ": " + e.getMessage(), e);
        }
        return sessions;
    }

    /** Writes the session's state atomically (temporary file, fsync, rename). */
    void save(SessionState state) {
        StateFile<SessionState> file = new StateFile<>(file(state.sessionId()), SessionState.class);
        file.update(state);
        file.flush();
    }

    /** Records the session as finished for good and removes its state. */
    void finish(String sessionId) {
        finished.add(sessionId);
        try {
            Files.deleteIfExists(file(sessionId));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + file(sessionId), e);
        }
    }

    boolean isFinished(String sessionId) {
        return finished.contains(sessionId);
    }

    Path file(String sessionId) {
        return dir.resolve(sessionId + SUFFIX);
    }
}
