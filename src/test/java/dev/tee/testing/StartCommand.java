package dev.tee.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import dev.tee.cli.Main;
import dev.tee.demo.DemoEnvironment;

/** {@code start --config} on the demo environment's configuration, in this JVM, as a user runs it. */
public final class StartCommand {

    private StartCommand() {
    }

    /**
     * Exports all of the fake Teleport's events from 2019 on and exits ({@code exit-on-last-event}),
     * with {@code extra} settings; returns the exit status, after checking nothing went to stderr.
     */
    public static int exportAll(DemoEnvironment world, String windowSize, Map<String, String> extra) {
        Map<String, String> settings = new HashMap<>(Map.of(
                "start-time", "2019-01-01T00:00:00Z",
                "window-size", windowSize,
                "timeout", "100ms",
                "exit-on-last-event", "true",
                "management.port", "0"));
        settings.putAll(extra);
        Path config = world.writeConfig(settings);
        StringWriter err = new StringWriter();
        int status = Main.run(new String[] {"start", "--config", config.toString()}, Map.of(),
                new PrintWriter(new StringWriter()), new PrintWriter(err));
        assertThat(err.toString()).isEmpty();
        return status;
    }
}
