package dev.tee.bench;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.micrometer.MicrometerConstants;
import org.apache.camel.main.Main;

/**
 * What JMX and Camel's Prometheus route metrics cost per event, in this JVM and away from TLS, gRPC
 * and JSON: a route shaped like audit-events (count, a two-way choice, one more bean call) run with
 * neither, with JMX, and with JMX and route metrics, in turns. Run with bench/route-overhead.sh.
 */
public final class RouteMetricsOverhead {

    private static final int EVENTS = 300_000;
    private static final int ROUNDS = 5;

    private RouteMetricsOverhead() {
    }

    /** The beans the route calls; they do next to nothing, so that the route's own cost shows. */
    public static final class Steps {
        private long count;

        public void count(Object body) {
            count++;
        }

        public boolean rejects(Object body) {
            return false;
        }
    }

    public static void main(String[] args) throws Exception {
        System.out.printf("ns per event (%d events a run): neither / JMX / JMX and route metrics%n", EVENTS);
        for (int round = 1; round <= ROUNDS; round++) {
            System.out.printf("round %d: %6.0f %6.0f %6.0f%n", round, nanosPerEvent(false, false),
                    nanosPerEvent(true, false), nanosPerEvent(true, true));
        }
    }

    private static double nanosPerEvent(boolean jmx, boolean routeMetrics) throws Exception {
        Main main = new Main();
        main.configure().withJmxEnabled(jmx);
        main.bind("steps", new Steps());
        if (routeMetrics) {
            // as Observability sets it up
            main.bind(MicrometerConstants.METRICS_REGISTRY_NAME, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
            main.addInitialProperty("camel.metrics.enabled", "true");
            main.addInitialProperty("camel.metrics.enable-exchange-event-notifier", "false");
        }
        main.configure().addRoutesBuilder(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:event").routeId("audit-events")
                        .bean("steps", "count")
                        .choice()
                            .when().method("steps", "rejects").bean("steps", "count")
                            .otherwise().bean("steps", "count")
                        .end();
            }
        });
        main.start();
        try {
            ProducerTemplate template = main.getCamelContext().createProducerTemplate();
            for (int i = 0; i < EVENTS / 5; i++) { // warm-up
                template.sendBody("direct:event", i);
            }
            long start = System.nanoTime();
            for (int i = 0; i < EVENTS; i++) {
                template.sendBody("direct:event", i);
            }
            return (System.nanoTime() - start) / (double) EVENTS;
        } finally {
            main.stop();
        }
    }
}
