package dev.tee.bench;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Random;

/**
 * How fast this machine computes right now, on one thread: SHA-256 over a fixed buffer (the cores),
 * and a random walk through 64 MiB (the caches and memory, where the exporter spends much of its
 * time), each the best of a few rounds. The benchmark machine is a virtual machine whose speed
 * changes with what its host runs (twice as fast one hour as the next, bench/README.md); measured
 * before and after a run, it tells whether the run's figures can be compared with another's.
 */
final class HostSpeed {

    private static final int BUFFER = 8 << 20;
    private static final int ROUNDS = 5;
    /** SHA-256 rounds: the first ones run before the JIT has compiled the digest (its intrinsic), so many. */
    private static final int HASH_ROUNDS = 30;

    private HostSpeed() {
    }

    /** MB of SHA-256 a second, the best of {@value #HASH_ROUNDS} rounds over an 8 MiB buffer. */
    static double sha256MegabytesPerSecond() {
        byte[] data = new byte[BUFFER];
        new Random(1).nextBytes(data);
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            double best = 0;
            for (int round = 0; round < HASH_ROUNDS; round++) {
                long start = System.nanoTime();
                digest.update(data);
                digest.digest();
                best = Math.max(best, BUFFER / 1e6 / ((System.nanoTime() - start) / 1e9));
            }
            return best;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Nanoseconds per step of a random walk through 64 MiB of ints (a dependent load each), the best of 5 rounds. */
    static double memoryNanosPerStep() {
        int size = 16 << 20;
        int[] next = new int[size];
        // one cycle through every slot in a random order (Sattolo), so no step can be guessed or skipped
        for (int i = 0; i < size; i++) {
            next[i] = i;
        }
        Random random = new Random(2);
        for (int i = size - 1; i > 0; i--) {
            int j = random.nextInt(i);
            int swap = next[i];
            next[i] = next[j];
            next[j] = swap;
        }
        int steps = 2_000_000;
        double best = Double.MAX_VALUE;
        int at = 0;
        for (int round = 0; round < ROUNDS; round++) {
            long start = System.nanoTime();
            for (int i = 0; i < steps; i++) {
                at = next[at];
            }
            best = Math.min(best, (System.nanoTime() - start) / (double) steps);
        }
        if (at < 0) {
            throw new AssertionError(); // keeps the walk from being optimised away
        }
        return best;
    }

    /** Both measures now. */
    record Speed(double hashing, double walkNanos) {
        static Speed now() {
            return new Speed(HostSpeed.sha256MegabytesPerSecond(), HostSpeed.memoryNanosPerStep());
        }
    }

    /** One line comparing the speed before and after, with a warning when either moved by more than a tenth. */
    static String compare(Speed before, Speed after) {
        double compute = after.hashing() / before.hashing() - 1;
        double memory = before.walkNanos() / after.walkNanos() - 1; // faster is positive
        return String.format("host speed (one thread): SHA-256 %.0f MB/s before the run, %.0f after (%+.0f%%); "
                + "random memory access %.1f ns before, %.1f after (%+.0f%% speed)%s",
                before.hashing(), after.hashing(), compute * 100,
                before.walkNanos(), after.walkNanos(), memory * 100,
                Math.abs(compute) > 0.10 || Math.abs(memory) > 0.10
                        ? "; the host's speed changed during the run: compare its figures with care" : "");
    }
}
