package dev.tee.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tee.event.AuditEvent;
import dev.tee.event.EventJson;
import dev.tee.pipeline.RouteInlet;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.PluginHelper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dead-letter route of routes/dead-letters.yaml: camel-jackson records appended by camel-file. */
class DeadLetterRouteTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path state;

    private final List<CamelContext> started = new ArrayList<>();

    @AfterEach
    void stop() {
        started.forEach(CamelContext::stop);
    }

    @Test
    void writesOneOwnerOnlyLinePerLetterWithTheEventAsSent() throws Exception {
        AuditEvent event = event("e-1", "{\"uid\":\"e-1\",\"event\":\"user.login\",\"code\":\"T1000I\","
                + "\"addr\":{\"remote\":\"10.0.0.1:5\"},\"time\":12345,\"note\":\"é \\u2028 \\\"q\\\"\"}");
        RouteInlet<DeadLetter> route = start();
        route.accept(DeadLetter.of(event, 400, "400 Bad Request\nvalue must be string: 12345\n",
                "https://fluentd:8888/test.log"));

        Path file = state.resolve(DeadLetter.FILE_NAME);
        assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        String text = Files.readString(file);
        assertThat(text).endsWith("}\n").hasLineCount(1);
        String eventJson = new String(event.json(), StandardCharsets.UTF_8);
        // the event's bytes verbatim (Jackson would print the Struct differently), after the four fields
        assertThat(text).endsWith(",\"event\":" + eventJson + "}\n");
        JsonNode letter = JSON.readTree(text);
        assertThat(letter.fieldNames()).toIterable().containsExactly("time", "status", "response", "url", "event");
        assertThat(Instant.parse(letter.get("time").asText())).isBetween(Instant.now().minusSeconds(60), Instant.now());
        assertThat(letter.get("status").asInt()).isEqualTo(400);
        assertThat(letter.get("response").asText()).isEqualTo("400 Bad Request\nvalue must be string: 12345\n");
        assertThat(letter.get("url").asText()).isEqualTo("https://fluentd:8888/test.log");
    }

    @Test
    void appendsAcrossRestartsAndNeverTruncates() throws Exception {
        Path file = state.resolve(DeadLetter.FILE_NAME);
        RouteInlet<DeadLetter> first = start();
        first.accept(letter(1));
        first.accept(letter(2));
        started.remove(0).stop();
        // a file left wider by hand goes back to owner-only at the next write
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));

        RouteInlet<DeadLetter> second = start();
        second.accept(letter(3));

        assertThat(uids(Files.readAllLines(file))).containsExactly("e-1", "e-2", "e-3");
        assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
    }

    @Test
    void keepsEveryLineWholeWhenManyThreadsWriteAtOnce() throws Exception {
        RouteInlet<DeadLetter> route = start();
        int threads = 8;
        int each = 50;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> writers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int base = t * each;
                writers.add(pool.submit(() -> {
                    for (int i = 0; i < each; i++) {
                        route.accept(letter(base + i));
                    }
                }));
            }
            for (Future<?> writer : writers) {
                writer.get();
            }
        } finally {
            pool.shutdownNow();
        }

        List<String> lines = Files.readAllLines(state.resolve(DeadLetter.FILE_NAME));
        assertThat(lines).hasSize(threads * each);
        Set<String> expected = new HashSet<>();
        for (int i = 0; i < threads * each; i++) {
            expected.add("e-" + i);
        }
        assertThat(uids(lines)).containsExactlyInAnyOrderElementsOf(expected);
    }

    @Test
    void retriesAWriteThatFailsUntilTheFileCanBeWrittenAndOnlyThenReturns() throws Exception {
        Path file = state.resolve(DeadLetter.FILE_NAME);
        Files.createDirectories(file.resolve("in-the-way")); // a directory where the file should be
        RouteInlet<DeadLetter> route = start();

        CompletableFuture<Void> write = CompletableFuture.runAsync(() -> route.accept(letter(7)));
        Thread.sleep(500); // several attempts (20 ms doubling to 200 ms), none of which may return
        assertThat(write).isNotDone();

        Files.delete(file.resolve("in-the-way"));
        Files.delete(file);
        write.get(10, TimeUnit.SECONDS);
        assertThat(uids(Files.readAllLines(file))).containsExactly("e-7");
    }

    @Test
    void aStopGivesUpAWriteThatCannotSucceedAndTheCallerSeesTheFailure() throws Exception {
        Files.createDirectories(state.resolve(DeadLetter.FILE_NAME).resolve("in-the-way"));
        RouteInlet<DeadLetter> route = start();
        CamelContext camel = started.get(0);

        CompletableFuture<Void> write = CompletableFuture.runAsync(() -> route.accept(letter(8)));
        Thread.sleep(300);
        camel.stop();

        // no success is reported for a letter not written: its caller settles nothing
        assertThatThrownBy(() -> write.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
        assertThat(state.resolve(DeadLetter.FILE_NAME)).isDirectory();
    }

    @Test
    void offersTheLinesWrittenToRoutesThatTapThem() throws Exception {
        List<String> tapped = new CopyOnWriteArrayList<>();
        RouteInlet<DeadLetter> route = start(new RouteBuilder() {
            @Override
            public void configure() {
                from("seda:dead-lettered").process(exchange -> tapped.add(exchange.getMessage().getBody(String.class)));
            }
        });
        route.accept(letter(9));

        await().atMost(Duration.ofSeconds(10)).until(() -> tapped.size() == 1);
        assertThat(tapped.get(0) + "\n").isEqualTo(Files.readString(state.resolve(DeadLetter.FILE_NAME)));
    }

    // ---- helpers ---------------------------------------------------------------------------

    private RouteInlet<DeadLetter> start(RouteBuilder... taps) throws Exception {
        CamelContext camel = new DefaultCamelContext();
        Properties properties = new Properties();
        properties.put("state-directory", state.toString());
        properties.put("retry-delay-ms", "20");
        properties.put("retry-max-delay-ms", "200");
        camel.getPropertiesComponent().setInitialProperties(properties);
        PluginHelper.getRoutesLoader(camel).loadRoutes(
                PluginHelper.getResourceLoader(camel).resolveResource("file:routes/dead-letters.yaml"));
        for (RouteBuilder tap : taps) {
            camel.addRoutes(tap);
        }
        camel.start();
        started.add(camel);
        RouteInlet<DeadLetter> inlet = RouteInlet.deadLetter();
        inlet.attach(camel.createProducerTemplate());
        return inlet;
    }

    private static DeadLetter letter(int n) {
        return DeadLetter.of(event("e-" + n, "{\"uid\":\"e-" + n + "\",\"event\":\"user.login\",\"time\":" + n + "}"),
                400, "value must be string: " + n, "https://fluentd:8888/test.log");
    }

    private static AuditEvent event(String id, String json) {
        try {
            return new AuditEvent(id, "user.login", Instant.EPOCH, 0, EventJson.toStruct(JSON.readTree(json)));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> uids(List<String> lines) throws Exception {
        List<String> uids = new ArrayList<>();
        for (String line : lines) {
            uids.add(JSON.readTree(line).get("event").get("uid").asText());
        }
        return uids;
    }
}
