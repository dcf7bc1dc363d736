package dev.tee.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import dev.tee.demo.DemoEnvironment;
import dev.tee.testing.Fixtures;
import dev.tee.testing.StartCommand;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A routes/ directory next to the configuration replaces the jar's routes, and a file of the user's own loads beside them. */
class UserRoutesTest {

    @TempDir
    Path dir;

    private DemoEnvironment world;

    @AfterEach
    void stop() {
        if (world != null) {
            world.close();
        }
    }

    @Test
    void aTapRouteOfTheUsersOwnWritesEveryDeliveredEventToAFile() throws IOException {
        world = DemoEnvironment.start(dir, Fixtures.rawAuditEvents(), builder -> { });
        Path routes = copyProjectRoutes();
        Path tapped = dir.resolve("tapped");
        Files.writeString(routes.resolve("tap.yaml"), """
                - route:
                    id: tap-delivered
                    from:
                      uri: seda:audit-delivered
                      steps:
                        - bean:
                            ref: batchText
                            method: jsonLines
                        - to: file:%s?fileName=delivered.jsonl&fileExist=Append
                """.formatted(tapped));

        assertThat(export(Map.of())).isZero();

        List<String> posted = Fixtures.lines("fluentd-s3-golden/posted.jsonl").stream().sorted().toList();
        List<String> lines = Files.readAllLines(tapped.resolve("delivered.jsonl")).stream().sorted().toList();
        assertThat(lines).hasSize(170).containsExactlyElementsOf(posted);
        assertThat(world.fluentd().eventCount()).isEqualTo(170);
    }

    @Test
    void routesOfAnotherOutputInTheSameDirectoryStayOffByTheirPreconditions() throws IOException {
        world = DemoEnvironment.start(dir, Fixtures.rawAuditEvents(), builder -> { });
        Path routes = copyProjectRoutes();
        // Would fail every batch if it ran: its bean (panther) exists only with output=s3 or file.
        assertThat(Files.readString(routes.resolve("deliver-objects.yaml"))).contains("ref: panther");

        assertThat(export(Map.of())).isZero();
        assertThat(world.fluentd().eventCount()).isEqualTo(170);
    }

    private Path copyProjectRoutes() throws IOException {
        Path routes = Files.createDirectories(dir.resolve("routes"));
        try (Stream<Path> files = Files.list(Path.of("routes"))) {
            for (Path file : files.toList()) {
                Files.copy(file, routes.resolve(file.getFileName()));
            }
        }
        return routes;
    }

    private int export(Map<String, String> extra) {
        return StartCommand.exportAll(world, "2160h", extra);
    }
}
