package dev.tee.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tee.cli.Main;
import dev.tee.demo.DemoEnvironment;
import dev.tee.testing.Downstream;
import dev.tee.testing.GeneratedEvents;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The state directory fills up mid-export (a 96 KiB tmpfs; mounting it needs root, as CI and the
 * development machine have): the exporter stops with one line naming the file and the cause, and once
 * there is room again a restart delivers every event, none twice.
 */
class StateDiskFullTest {

    private static final int EVENTS = 6_000;

    @TempDir
    Path dir;

    private DemoEnvironment world;
    private Path storage;

    @AfterEach
    void stop() throws Exception {
        if (world != null) {
            world.close();
        }
        if (storage != null) {
            run("umount", storage.toString());
        }
    }

    @Test
    void stopsWithOneLineWhenStorageIsFullAndLosesNothing() throws Exception {
        Instant start = Instant.now().truncatedTo(ChronoUnit.SECONDS).minus(Duration.ofDays(1));
        List<ObjectNode> events = GeneratedEvents.withoutUploads(21, start, Duration.ofDays(1).dividedBy(EVENTS), EVENTS);
        Set<String> expected = events.stream().map(e -> e.get("uid").asText()).collect(Collectors.toSet());
        world = DemoEnvironment.start(dir, events, fluentd -> { });
        Path mount = Files.createDirectories(dir.resolve("storage"));
        assertThat(run("mount", "-t", "tmpfs", "-o", "size=96k,mode=0700", "tmpfs", mount.toString()))
                .as("mount a 96 KiB tmpfs (needs root)").isZero();
        storage = mount;
        Downstream files = Downstream.file(dir.resolve("out"));
        Path config = world.writeConfig(files.runToTheEnd(start, 100));

        StringWriter err = new StringWriter();
        CompletableFuture<Integer> full = CompletableFuture.supplyAsync(() -> Main.run(
                new String[] {"start", "--config", config.toString()}, Map.of(),
                new PrintWriter(new StringWriter()), new PrintWriter(err)));
        int status = full.get(90, TimeUnit.SECONDS);
        List<String> lines = err.toString().lines().toList();
        System.out.printf("storage full: exit %d, %s; %d of %d events in files%n", status, lines,
                new HashSet<>(files.ids()).size(), EVENTS);
        assertThat(status).as("exit status with storage full").isEqualTo(1);
        assertThat(lines).as("stderr").hasSize(1);
        assertThat(lines.get(0)).startsWith("teleport-event-exporter: ").contains(storage.toString())
                .contains("No space left on device").doesNotContain("Exception", "\tat ");
        assertThat(new HashSet<>(files.ids())).as("some events were exported before it filled up")
                .isNotEmpty().hasSizeLessThan(EVENTS);

        assertThat(run("mount", "-o", "remount,size=16m", storage.toString())).as("make room").isZero();
        int again = Main.run(new String[] {"start", "--config", config.toString()}, Map.of(),
                new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
        assertThat(again).as("exit status once there is room").isZero();
        assertThat(new HashSet<>(files.ids())).as("every event is in a file").isEqualTo(expected);
        assertThat(files.repeated()).as("events in two files").isZero();
    }

    private static int run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).inheritIO().start();
        return process.waitFor();
    }
}
