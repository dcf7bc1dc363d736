package dev.tee.state;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.tee.config.ConfigException;

/**
 * One JSON state file (a cursor) kept in memory and written atomically when it changed. Updates are
 * cheap; {@link #flush()} does the disk work, so callers decide how often to pay for an fsync.
 */
public final class StateFile<T> {

    /** How state is written and read back (also the sessions journal's lines, without the indentation). */
    public static final ObjectMapper JSON = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(SerializationFeature.INDENT_OUTPUT);

    private final Path file;
    private final Class<T> type;
    private T current;
    private boolean dirty;

    public StateFile(Path file, Class<T> type) {
        this.file = file;
        this.type = type;
    }

    public Path path() {
        return file;
    }

    /** The saved value, if any. A file that cannot be read back is a clear error, never a silent reset. */
    public synchronized Optional<T> load() {
        try {
            current = JSON.readValue(Files.readAllBytes(file), type);
            if (current == null) {
                throw new ConfigException("storage: " + file + " is empty or corrupt; restore it from a backup, "
                        + "or remove it to export again from start-time");
            }
            return Optional.of(current);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (JacksonException e) {
            throw new ConfigException("storage: " + file + " is corrupt (" + e.getOriginalMessage()
                    + "); restore it from a backup, or remove it to export again from start-time", e);
        } catch (IOException e) {
            throw new ConfigException("storage: cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    public synchronized void update(T value) {
        current = value;
        dirty = true;
    }

    public synchronized Optional<T> current() {
        return Optional.ofNullable(current);
    }

    /** Writes the latest value if it changed since the last flush. */
    public synchronized void flush() {
        if (!dirty) {
            return;
        }
        try {
            AtomicFiles.write(file, JSON.writeValueAsBytes(current));
            dirty = false;
        } catch (IOException e) {
            throw new StateUnwritableException(file, e);
        }
    }
}
