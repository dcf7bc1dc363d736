package dev.tee.bench;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

import dev.tee.observe.Observability;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.camel.AggregationStrategy;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.micrometer.MicrometerConstants;
import org.apache.camel.component.micrometer.routepolicy.MicrometerRoutePolicyConfiguration;
import org.apache.camel.component.micrometer.routepolicy.MicrometerRoutePolicyFactory;
import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.Main;
import org.apache.camel.main.MainListenerSupport;
import org.apache.camel.model.ProcessorDefinition;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.spi.RoutePolicyFactory;
import org.apache.camel.support.EventNotifierSupport;

/**
 * What the per-event part of the pipeline costs in Camel, away from TLS, gRPC and JSON: pages of 500
 * split into a route shaped like audit-events (a count, a two-way choice on two bean predicates, an
 * aggregate of 20 handed to a seda consumer), CPU time of the whole JVM per event, with each of
 * Camel's switches that bear on it, one at a time and all together. Run with bench/route-overhead.sh.
 */
public final class RouteMetricsOverhead {

    private static final int PAGE = 500;
    private static final int EVENTS = 500_000;
    private static final int ROUNDS = 3;

    private RouteMetricsOverhead() {
    }

    /** The beans the route calls; they do next to nothing, so that the route's own cost shows. */
    public static final class Steps {
        final AtomicLong batches = new AtomicLong();

        public void count(Object body) {
            // the metrics bean's read(): a counter
        }

        public boolean rejects(Object body) {
            return false;
        }

        public boolean wasDelivered(Object body) {
            return false;
        }

        public void delivered(Object body) {
            batches.incrementAndGet();
        }
    }

    /** Collects a batch's bodies in a list (what `batches` does). */
    public static final class Batches implements AggregationStrategy {
        @Override
        @SuppressWarnings("unchecked")
        public Exchange aggregate(Exchange batch, Exchange event) {
            if (batch == null) {
                List<Object> bodies = new ArrayList<>(20);
                bodies.add(event.getMessage().getBody());
                event.getMessage().setBody(bodies);
                return event;
            }
            batch.getMessage().getBody(List.class).add(event.getMessage().getBody());
            return batch;
        }
    }

    public static void main(String[] args) throws Exception {
        Map<String, Map<String, String>> setups = new LinkedHashMap<>();
        Map<String, String> before = Map.of("camel.main.jmxEnabled", "true", "metrics", "true");
        setups.put("as before: JMX (statistics Default), route metrics, stream caching, UUIDs, no pooling", before);
        setups.put("  without route metrics", with(before, "metrics", "false"));
        setups.put("  without JMX", with(before, "camel.main.jmxEnabled", "false"));
        setups.put("  JMX statistics RoutesOnly", with(before, "camel.main.jmxManagementStatisticsLevel", "RoutesOnly"));
        setups.put("  no stream caching", with(before, "camel.main.streamCachingEnabled", "false"));
        setups.put("  simple exchange ids", with(before, "camel.main.uuidGenerator", "simple"));
        // (camel.main.exchangeFactory=pooled fails here: a NullPointerException in DefaultUnitOfWork.onDone
        // once the aggregator hands a pooled exchange on, so it is not offered)
        Map<String, String> now = new LinkedHashMap<>(before);
        now.putAll(Map.of("metrics", "false", "camel.main.streamCachingEnabled", "false",
                "camel.main.uuidGenerator", "simple"));
        setups.put("the exporter's switches: the last two, no route timers on the per-event route (JMX kept)", now);
        Map<String, String> processors = with(now, "steps", "processors");
        setups.put("  and processors and predicates (ref) instead of bean methods", processors);
        setups.put("    and JMX statistics RoutesOnly", with(processors, "camel.main.jmxManagementStatisticsLevel",
                "RoutesOnly"));
        setups.put("    and JMX without statistics (Off)", with(processors, "camel.main.jmxManagementStatisticsLevel",
                "Off"));
        setups.put("    and without JMX", with(processors, "camel.main.jmxEnabled", "false"));
        // routes/audit.yaml until 2026-12-06: the aggregate in a route of its own (audit-batch), one
        // more route every event enters; now the aggregate sits in audit-events itself
        Map<String, String> hop = with(processors, "aggregate", "own route");
        setups.put("before: processors, the aggregate in a route of its own (audit-batch)", hop);
        setups.put("processors, the aggregate in the per-event route, no route timers at all", processors);
        // the exporter's route timers (Observability.routeTimers) until 2026-12-07: every route but the
        // per-event one, and the context's timer, which times every exchange of every route
        setups.put("  and route timers as until 2026-12-07 (per-event route untimed, the context's timer on)",
                with(processors, "timers", "until 2026-12-07"));
        Map<String, String> timers = with(processors, "timers", "exporter");
        setups.put("  and route timers, but none on the per-event and read routes, no context timer", timers);
        // Camel Main's summary notifier and Micrometer's route notifier (camel.metrics) take no exchange
        // events but did not say so until 2026-12-07: Camel made and offered them each exchange's events
        setups.put("as the exporter runs it: and the notifiers that take no exchange events say so",
                with(with(timers, "metrics", "true"), "quiet notifiers", "true"));
        setups.put("  the same with the notifiers as Camel leaves them", with(timers, "metrics", "true"));
        // until 2026-12-07 the retries metric came from a notifier of redeliveries, exchange events:
        // with it, Camel offered every exchange's events to each notifier (now the error handlers'
        // onRedeliveryRef counts them, RetryCount)
        setups.put("  the same with a notifier of redeliveries, as until 2026-12-07",
                with(with(with(timers, "metrics", "true"), "quiet notifiers", "true"), "retry notifier", "true"));
        System.out.printf("CPU ns per event (%d events a run, pages of %d, batches of 20), rounds of %d:%n", EVENTS,
                PAGE, ROUNDS);
        // an argument runs only the setups whose name it finds, e.g. "aggregate"
        java.util.regex.Pattern only = java.util.regex.Pattern.compile(args.length > 0 ? args[0] : "");
        for (Map.Entry<String, Map<String, String>> setup : setups.entrySet()) {
            if (!only.matcher(setup.getKey()).find()) {
                continue;
            }
            StringBuilder line = new StringBuilder(String.format("%-85s", setup.getKey()));
            for (int round = 0; round < ROUNDS; round++) {
                line.append(String.format(" %6.0f", nanosPerEvent(setup.getValue())));
            }
            System.out.println(line);
        }
    }

    private static Map<String, String> with(Map<String, String> base, String key, String value) {
        Map<String, String> changed = new LinkedHashMap<>(base);
        changed.put(key, value);
        return changed;
    }

    private static double nanosPerEvent(Map<String, String> setup) throws Exception {
        Main main = new Main();
        Steps steps = new Steps();
        main.bind("steps", steps);
        main.bind("batches", new Batches());
        setup.forEach((key, value) -> {
            if (key.startsWith("camel.")) {
                main.addInitialProperty(key, value);
            }
        });
        if (Boolean.parseBoolean(setup.get("metrics"))) {
            // as Observability sets it up
            main.bind(MicrometerConstants.METRICS_REGISTRY_NAME, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
            main.addInitialProperty("camel.metrics.enabled", "true");
            main.addInitialProperty("camel.metrics.enable-exchange-event-notifier", "false");
            if (setup.containsKey("timers")) {
                main.addInitialProperty("camel.metrics.enable-route-policy", "false"); // the timers below instead
            }
        }
        if (Boolean.parseBoolean(setup.get("quiet notifiers"))) {
            main.addMainListener(new MainListenerSupport() {
                @Override
                public void beforeStart(BaseMainSupport starting) {
                    Observability.exchangeEventsOnlyToWhoWantsThem(starting.getCamelContext());
                }
            });
        }
        if (Boolean.parseBoolean(setup.get("retry notifier"))) {
            main.addMainListener(new MainListenerSupport() {
                @Override
                public void afterConfigure(BaseMainSupport configured) {
                    configured.getCamelContext().getManagementStrategy().addEventNotifier(new RedeliveriesOnly());
                }
            });
        }
        if (setup.containsKey("timers")) {
            PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            RoutePolicyFactory timers;
            if ("exporter".equals(setup.get("timers"))) {
                timers = Observability.routeTimers(registry);
            } else {
                MicrometerRoutePolicyConfiguration configuration = new MicrometerRoutePolicyConfiguration();
                configuration.setExcludePattern("audit-events");
                MicrometerRoutePolicyFactory factory = new MicrometerRoutePolicyFactory();
                factory.setMeterRegistry(registry);
                factory.setPolicyConfiguration(configuration);
                timers = factory;
            }
            main.addMainListener(new MainListenerSupport() {
                @Override
                public void afterConfigure(BaseMainSupport configured) {
                    configured.getCamelContext().addRoutePolicyFactory(timers);
                }
            });
        }
        main.configure().addRoutesBuilder(new RouteBuilder() {
            @Override
            public void configure() {
                from("direct:page").routeId("audit-poll")
                        .split(body())
                            .to("direct:audit-event")
                        .end();
                boolean processors = "processors".equals(setup.get("steps"));
                var route = from("direct:audit-event").routeId("audit-events");
                var choice = processors
                        ? route.process(e -> steps.count(e.getMessage().getBody())).choice()
                            .when(e -> steps.rejects(e.getMessage().getBody()))
                                .process(e -> steps.count(e.getMessage().getBody()))
                            .when(e -> steps.wasDelivered(e.getMessage().getBody()))
                                .process(e -> steps.count(e.getMessage().getBody()))
                        : route.bean("steps", "count").choice()
                            .when().method("steps", "rejects").bean("steps", "count")
                            .when().method("steps", "wasDelivered").bean("steps", "count");
                if ("own route".equals(setup.get("aggregate"))) {
                    choice.otherwise().to("direct:audit-batch").end();
                    aggregate(from("direct:audit-batch").routeId("audit-batch"));
                } else {
                    aggregate(choice.otherwise());
                    choice.end();
                }
                from("seda:batches").routeId("audit-deliver")
                        .bean("steps", "delivered");
            }

            private void aggregate(ProcessorDefinition<?> after) {
                after.aggregate(constant("audit"), new Batches()).completionSize(20)
                        .completionTimeout(1000).completionTimeoutCheckerInterval(100)
                        .to("seda:batches?size=4&blockWhenFull=true")
                        .end();
            }
        });
        main.start();
        try {
            ProducerTemplate template = main.getCamelContext().createProducerTemplate();
            run(template, steps, EVENTS / 5); // warm-up
            var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            long cpu = os.getProcessCpuTime();
            run(template, steps, EVENTS);
            return (os.getProcessCpuTime() - cpu) / (double) EVENTS;
        } finally {
            main.stop();
        }
    }

    private static void run(ProducerTemplate template, Steps steps, int events) throws InterruptedException {
        List<Integer> page = new ArrayList<>(PAGE);
        for (int i = 0; i < PAGE; i++) {
            page.add(i);
        }
        long target = steps.batches.get() + events / 20;
        for (int sent = 0; sent < events; sent += PAGE) {
            template.sendBody("direct:page", page);
        }
        CountDownLatch never = new CountDownLatch(1);
        while (steps.batches.get() < target) {
            never.await(1, java.util.concurrent.TimeUnit.MILLISECONDS);
        }
    }

    /** Takes redelivery events only, and ignores every other exchange event, as RetryNotifier did. */
    private static final class RedeliveriesOnly extends EventNotifierSupport {
        RedeliveriesOnly() {
            setIgnoreCamelContextEvents(true);
            setIgnoreRouteEvents(true);
            setIgnoreServiceEvents(true);
            setIgnoreStepEvents(true);
            setIgnoreExchangeCreatedEvent(true);
            setIgnoreExchangeCompletedEvent(true);
            setIgnoreExchangeSendingEvents(true);
            setIgnoreExchangeSentEvents(true);
        }

        @Override
        public boolean isEnabled(CamelEvent event) {
            return event instanceof CamelEvent.ExchangeRedeliveryEvent;
        }

        @Override
        public void notify(CamelEvent event) {
            // the routes here never redeliver: what costs is being a notifier of exchange events at all
        }
    }
}
