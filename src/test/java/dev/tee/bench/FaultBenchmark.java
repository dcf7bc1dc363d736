package dev.tee.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.tee.testing.KillLoop;

/**
 * The long kill loop: for each output, an export of N generated events killed with SIGKILL at K seeded
 * random points and restarted each time, then run to the end; reports lost and repeated events and the
 * duration. KillLoopTest runs the same loop, shorter. Run with bench/faults.sh (see bench/README.md).
 */
public final class FaultBenchmark {

    private FaultBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> options = ExportBenchmark.options(args, Map.of("events", "100000", "kills", "20",
                "output", "fluentd,s3,file", "batch", "100", "seed", Long.toString(KillLoop.seed())));
        int events = Integer.parseInt(options.get("events"));
        int kills = Integer.parseInt(options.get("kills"));
        int batch = Integer.parseInt(options.get("batch"));
        long seed = Long.parseLong(options.get("seed"));
        List<String> summaries = new ArrayList<>();
        boolean failed = false;
        for (String output : options.get("output").split(",")) {
            Path dir = Files.createTempDirectory("tee-faults-" + output + "-");
            KillLoop.Result result = KillLoop.export(dir, output, events, kills, batch, seed, Duration.ofMinutes(10));
            // into Fluentd a kill may repeat the batch in flight; objects never repeat
            int allowed = output.equals("fluentd") ? kills * KillLoop.IN_FLIGHT * batch : 0;
            boolean ok = result.lost().isEmpty() && result.repeated() <= allowed;
            failed |= !ok;
            summaries.add((ok ? "PASS " : "FAIL ") + result.summary() + (ok ? "" : "; " + result.context()));
        }
        summaries.forEach(System.out::println);
        System.exit(failed ? 1 : 0);
    }
}
