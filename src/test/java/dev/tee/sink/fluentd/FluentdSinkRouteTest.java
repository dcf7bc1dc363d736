package dev.tee.sink.fluentd;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tee.demo.FluentdStandIn;
import dev.tee.demo.ReceivedEvent;
import dev.tee.demo.TestPki;
import dev.tee.event.AuditEvent;
import dev.tee.event.Batch;
import dev.tee.event.EventJson;
import dev.tee.sink.OutputUnavailableException;
import dev.tee.testing.Fixtures;
import dev.tee.testing.FluentdRoute;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.builder.RouteBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fluentd-deliver route called as audit-deliver calls it: a step whose failures Camel redelivers. */
class FluentdSinkRouteTest {

    @TempDir
    Path dir;

    @Test
    void camelRedeliversTheSameBatchUntilFluentdTakesItAndNothingIsRepeated() throws Exception {
        TestPki pki = TestPki.create(dir);
        List<AuditEvent> events = new ArrayList<>();
        List<ObjectNode> nodes = Fixtures.auditEvents();
        for (int i = 0; i < 20; i++) {
            ObjectNode node = nodes.get(i);
            node.put("uid", "route-" + i);
            if (i == 5) {
                node.put("time", false); // Fluentd answers 400 for this one
            }
            events.add(new AuditEvent("route-" + i, node.path("event").asText(), Instant.EPOCH, 0,
                    EventJson.toStruct(node)));
        }
        FluentdTls tls = FluentdTls.builder()
                .cert(pki.clientCertFile()).key(pki.clientKeyFile()).ca(pki.caFile()).build();
        try (FluentdStandIn standIn = pki.standIn().build().start()) {
            FluentdSink sink = new FluentdSink(tls, standIn.url("/test.log"), BatchMode.BATCH);
            try (FluentdRoute route = FluentdRoute.start(sink, tls, standIn.url("/test.log"), 4,
                    FluentdConnections.RESPONSE_TIMEOUT, dir.resolve("state"))) {
            CamelContext camel = route.camel();
            // as audit-deliver calls it: the whole delivery again after each failure
            camel.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    onException(OutputUnavailableException.class).maximumRedeliveries(-1).redeliveryDelay(10);
                    from("direct:deliver").to(FluentdSink.ENDPOINT);
                }
            });
            standIn.failNext(2, 503);
            Batch batch = new Batch(events);
            Exchange done = camel.createProducerTemplate().send("direct:deliver", e -> e.getMessage().setBody(batch));

            assertThat(batch.allSettled()).isTrue();
            List<String> expected = events.stream().filter(e -> !e.id().equals("route-5"))
                    .map(e -> new String(e.json(), StandardCharsets.UTF_8)).toList();
            assertThat(standIn.events("test.log")).extracting(ReceivedEvent::json).containsExactlyElementsOf(expected);
            assertThat(sink.deadLettered()).isEqualTo(1);
            // two 503s redelivered by Camel, the batch Fluentd rejected, then its 20 events one by one
            assertThat(standIn.requestCount()).isEqualTo(2 + 1 + 20);
            // the caller's steps copy the exchange, properties and all: the route leaves none of its own
            assertThat(done.getProperties().keySet()).noneMatch(name -> name.startsWith("Fluentd"));
            }
        }
    }
}
