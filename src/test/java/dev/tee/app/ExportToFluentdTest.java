package dev.tee.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import dev.tee.demo.DemoEnvironment;
import dev.tee.demo.ReceivedEvent;
import dev.tee.testing.Fixtures;
import dev.tee.testing.StartCommand;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole exporter, in this JVM, from the fake Teleport to the Fluentd stand-in. */
class ExportToFluentdTest {

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
    void deliversEveryFixtureEventOnceExactlyAsTheGoHandlerWould() {
        world = DemoEnvironment.start(dir, Fixtures.rawAuditEvents(), builder -> { });

        assertThat(export(Map.of())).isZero();

        List<String> received = world.fluentd().events(DemoEnvironment.AUDIT_TAG).stream()
                .map(ReceivedEvent::json).sorted().toList();
        List<String> posted = Fixtures.lines("fluentd-s3-golden/posted.jsonl").stream().sorted().toList();
        assertThat(received).hasSize(170).containsExactlyElementsOf(posted);
        assertThat(world.fluentd().requestCount()).isLessThan(170 / 2); // batched, not one POST per event
    }

    @Test
    void aRestartAfterEverythingWasDeliveredSendsNothingAgain() {
        world = DemoEnvironment.start(dir, Fixtures.rawAuditEvents(), builder -> { });
        assertThat(export(Map.of())).isZero();
        long requests = world.fluentd().requestCount();

        assertThat(export(Map.of())).isZero();
        assertThat(world.fluentd().eventCount()).isEqualTo(170);
        assertThat(world.fluentd().requestCount()).isEqualTo(requests);
    }

    @Test
    void exportsOnlyTheTypesAskedForAndNoneOfTheSkippedOnes() {
        world = DemoEnvironment.start(dir, Fixtures.rawAuditEvents(), builder -> { });
        assertThat(export(Map.of("types", "user.login,auth,session.start", "skip-event-types", "auth"))).isZero();

        List<String> types = world.fluentd().events(DemoEnvironment.AUDIT_TAG).stream()
                .map(event -> event.record().get("event").asText()).toList();
        long expected = Fixtures.auditEvents().stream()
                .filter(e -> List.of("user.login", "session.start").contains(e.get("event").asText())).count();
        assertThat(types).hasSize((int) expected).containsOnly("user.login", "session.start");
    }

    @Test
    void readsThroughAProxyWithTlsRouting() {
        world = DemoEnvironment.start(dir, Fixtures.rawAuditEvents(), teleport -> teleport.proxy(true), fluentd -> { });
        assertThat(export(Map.of("teleport.addr", world.teleport().proxyAddress(),
                "teleport.cluster-name", world.teleport().clusterName()))).isZero();
        assertThat(world.fluentd().eventCount()).isEqualTo(170);
        // the proxy routed every connection but one: the direct dial the race tries beside the routed one
        assertThat(world.teleport().proxyRefusals())
                .containsExactly("no route for server name teleport.cluster.local with ALPN [h2]");
    }

    @Test
    void sendsOneEventPerRequestInSingleMode() {
        world = DemoEnvironment.start(dir, Fixtures.rawAuditEvents(), builder -> { });
        assertThat(export(Map.of("forward.fluentd.batch-mode", "single", "types", "user.login"))).isZero();
        assertThat(world.fluentd().eventCount()).isEqualTo(4);
        assertThat(world.fluentd().requestCount()).isEqualTo(4);
    }

    private int export(Map<String, String> extra) {
        return StartCommand.exportAll(world, "2160h", extra);
    }
}
