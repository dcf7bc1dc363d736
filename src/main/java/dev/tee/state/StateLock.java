package dev.tee.state;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Set;

import dev.tee.config.ConfigException;

/**
 * One exporter per state directory: two on the same cursors would send everything twice and
 * overwrite each other's state. An OS lock on {@code exporter.lock}, which the kernel releases when
 * the process dies however it dies (kill -9 included), so a stale file never blocks a restart; the
 * file says who holds it, for the message the second exporter gives.
 */
public final class StateLock implements AutoCloseable {

    static final String FILE = "exporter.lock";

    private final FileChannel channel;
    private final FileLock lock;

    private StateLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Takes the lock of {@code state}.
     *
     * @throws ConfigException when another exporter holds it, naming its pid and host
     */
    public static StateLock acquire(StateDirectory state) {
        Path file = state.file(FILE);
        FileChannel channel = null;
        try {
            channel = FileChannel.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ,
                    StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(
                            PosixFilePermissions.fromString("rw-------")));
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null; // held by this very process: another exporter in the same JVM
            }
            if (lock == null) {
                String holder = Files.readString(file, StandardCharsets.UTF_8).strip();
                channel.close();
                throw new ConfigException("storage: " + state.path() + " is in use by another exporter ("
                        + (holder.isEmpty() ? "holder unknown" : holder) + "); run one exporter per storage "
                        + "directory, or give this one a storage of its own");
            }
            String holder = "pid " + ProcessHandle.current().pid() + " on " + hostName() + " since "
                    + Instant.now().truncatedTo(ChronoUnit.SECONDS);
            channel.truncate(0);
            channel.write(ByteBuffer.wrap((holder + "\n").getBytes(StandardCharsets.UTF_8)), 0);
            channel.force(true);
            return new StateLock(channel, lock);
        } catch (IOException e) {
            closeQuietly(channel);
            throw new ConfigException("storage: cannot lock " + file + ": " + e.getMessage(), e);
        }
    }

    /** Releases the lock; the file stays, and says who held it last. */
    @Override
    public void close() {
        try {
            lock.release();
        } catch (IOException e) {
            // the channel's close below releases it too
        }
        closeQuietly(channel);
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "an unknown host";
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // nothing more to release
            }
        }
    }
}
