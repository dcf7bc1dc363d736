package dev.tee.state;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Optional;

import dev.tee.config.ConfigException;

/**
 * The exporter's state directory for one Teleport cluster, {@code <storage>/<host>_<port>/} as the Go
 * handler lays it out, and the start time that is fixed once state exists there.
 */
public final class StateDirectory {

    private static final String START_TIME = "start_time";

    private final Path dir;

    private StateDirectory(Path dir) {
        this.dir = dir;
    }

    /** Opens (creating with mode 0700) the directory for {@code teleportAddr} under {@code storage}. */
    public static StateDirectory open(Path storage, String teleportAddr) {
        Path dir = storage.resolve(teleportAddr.replace(':', '_').replace('/', '_'));
        try {
            AtomicFiles.createDirectory(dir);
        } catch (IOException e) {
            throw new ConfigException("storage: cannot create " + dir + ": " + e.getMessage(), e);
        }
        if (!Files.isWritable(dir)) {
            throw new ConfigException("storage: " + dir + " is not writable");
        }
        return new StateDirectory(dir);
    }

    public Path path() {
        return dir;
    }

    public Path file(String name) {
        return dir.resolve(name);
    }

    /**
     * The start time of this export: the saved one when state exists (a different configured one is
     * an error, as in the Go handler), else the configured one or now, truncated to the second and
     * saved.
     */
    public Instant startTime(Optional<Instant> configured, Instant now) {
        Path file = dir.resolve(START_TIME);
        Optional<Instant> saved = readStartTime(file);
        if (saved.isPresent()) {
            if (configured.isPresent() && !configured.get().truncatedTo(ChronoUnit.SECONDS).equals(saved.get())) {
                throw new ConfigException("start-time: " + configured.get() + " differs from " + saved.get()
                        + ", the start time of the export saved in " + dir + ". You can not change start time in "
                        + "the middle of ingestion; to restart the ingestion, rm -rf " + dir);
            }
            return saved.get();
        }
        Instant start = configured.orElse(now).truncatedTo(ChronoUnit.SECONDS);
        try {
            AtomicFiles.write(file, start.toString().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new ConfigException("storage: cannot write " + file + ": " + e.getMessage(), e);
        }
        return start;
    }

    private static Optional<Instant> readStartTime(Path file) {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        String text = "";
        try {
            text = Files.readString(file, StandardCharsets.UTF_8).trim();
            return Optional.of(Instant.parse(text));
        } catch (DateTimeParseException e) {
            throw new ConfigException("storage: " + file + " is corrupt (\"" + text + "\" is not an RFC 3339 time)");
        } catch (IOException e) {
            throw new ConfigException("storage: cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
