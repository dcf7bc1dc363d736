package dev.tee.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.tee.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StateLockTest {

    @TempDir
    Path storage;

    @Test
    void aSecondExporterOnTheSameStateIsRefusedWithTheHoldersPidAndHost() throws Exception {
        StateDirectory state = StateDirectory.open(storage, "teleport.example.com:3025");
        Process holder = holder(state);
        try {
            assertThatThrownBy(() -> StateLock.acquire(state)).isInstanceOf(ConfigException.class)
                    .hasMessageStartingWith("storage: " + state.path() + " is in use by another exporter (pid "
                            + holder.pid() + " on ")
                    .hasMessageEndingWith("); run one exporter per storage directory, or give this one a storage "
                            + "of its own")
                    .message().doesNotContain("\n");
        } finally {
            holder.destroyForcibly().waitFor();
        }
    }

    @Test
    void aLockLeftByAKilledExporterDoesNotBlockTheRestart() throws Exception {
        StateDirectory state = StateDirectory.open(storage, "teleport.example.com:3025");
        Process holder = holder(state);
        holder.destroyForcibly().waitFor(); // SIGKILL: nothing released on its way out, but the kernel's lock

        try (StateLock lock = StateLock.acquire(state)) {
            assertThat(Files.readString(state.file(StateLock.FILE)))
                    .startsWith("pid " + ProcessHandle.current().pid() + " on ");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(state.file(StateLock.FILE))))
                    .isEqualTo("rw-------");
        }
    }

    @Test
    void twoExportersInOneProcessAreRefusedTooAndTheLockIsFreeOnceClosed() {
        StateDirectory state = StateDirectory.open(storage, "localhost:3025");
        try (StateLock first = StateLock.acquire(state)) {
            assertThatThrownBy(() -> StateLock.acquire(state)).isInstanceOf(ConfigException.class)
                    .hasMessageContaining("is in use by another exporter (pid " + ProcessHandle.current().pid());
        }
        StateLock.acquire(state).close();
        // another cluster's state in the same storage is another lock
        try (StateLock one = StateLock.acquire(state);
                StateLock other = StateLock.acquire(StateDirectory.open(storage, "other:3025"))) {
            assertThat(other).isNotNull();
        }
    }

    /** A JVM that takes the lock, says so, and waits to be killed. */
    private static Process holder(StateDirectory state) throws Exception {
        Process process = new ProcessBuilder(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Holder.class.getName(),
                state.path().getParent().toString(), state.path().getFileName().toString().replace('_', ':')))
                .redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        assertThat(line).as("the holder's first line").isEqualTo("locked");
        assertThat(process.waitFor(0, TimeUnit.MILLISECONDS)).isFalse();
        return process;
    }

    /** The other exporter: holds the lock until killed. */
    public static final class Holder {
        public static void main(String[] args) throws InterruptedException {
            StateLock lock = StateLock.acquire(StateDirectory.open(Path.of(args[0]), args[1]));
            System.out.println("locked");
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
            lock.close();
        }
    }
}
