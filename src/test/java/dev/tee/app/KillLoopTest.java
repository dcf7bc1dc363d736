package dev.tee.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;

import dev.tee.testing.KillLoop;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * The delivery contract under repeated crashes, for each output: an export of generated events is
 * killed with SIGKILL at seeded random points and restarted each time, then runs to the end. Nothing
 * is lost; objects (S3, files) repeat nothing; Fluentd gets at most the batch in flight again per
 * kill. bench/faults.sh runs the same loop with 100,000 events and 20 kills
 * (-Dfaults.events, -Dfaults.kills and -Dfaults.seed set size and seed here).
 */
class KillLoopTest {

    private static final int EVENTS = Integer.getInteger("faults.events", 6_000);
    private static final int KILLS = Integer.getInteger("faults.kills", 3);
    private static final int BATCH = 100;
    private static final Duration PATIENCE = Duration.ofMinutes(2);

    // kept when a test fails: its message names the exporter's log in it
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path dir;

    @Test
    void intoFluentdLosesNothingAndRepeatsAtMostTheBatchesInFlightPerKill() throws Exception {
        KillLoop.Result result = KillLoop.export(dir, "fluentd", EVENTS, KILLS, BATCH, KillLoop.seed(), PATIENCE);

        assertThat(result.lost()).as("events lost; %s", result.context()).isEmpty();
        assertThat(result.repeated()).as("events repeated, at most the batches in flight per kill; %s", result.context())
                .isLessThanOrEqualTo(KILLS * KillLoop.IN_FLIGHT * BATCH);
    }

    @Test
    void intoS3LosesNothingAndRepeatsNothing() throws Exception {
        KillLoop.Result result = KillLoop.export(dir, "s3", EVENTS, KILLS, BATCH, KillLoop.seed(), PATIENCE);

        assertThat(result.lost()).as("events lost; %s", result.context()).isEmpty();
        assertThat(result.repeated()).as("events in two objects; %s", result.context()).isZero();
    }

    @Test
    void intoFilesLosesNothingAndRepeatsNothing() throws Exception {
        KillLoop.Result result = KillLoop.export(dir, "file", EVENTS, KILLS, BATCH, KillLoop.seed(), PATIENCE);

        assertThat(result.lost()).as("events lost; %s", result.context()).isEmpty();
        assertThat(result.repeated()).as("events in two files; %s", result.context()).isZero();
    }
}
