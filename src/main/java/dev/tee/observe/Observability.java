package dev.tee.observe;

import static dev.tee.config.ConfigKey.HEALTH_MAX_LAG;
import static dev.tee.config.ConfigKey.HEALTH_UNREACHABLE_AFTER;
import static dev.tee.config.ConfigKey.MANAGEMENT_HOST;
import static dev.tee.config.ConfigKey.MANAGEMENT_PORT;
import static dev.tee.config.ConfigKey.PROGRESS_INTERVAL;

import java.time.Clock;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;

import dev.tee.config.ExporterConfig;
import dev.tee.config.GoDuration;
import dev.tee.sink.OutputCounters;
import dev.tee.source.AuditSource;
import dev.tee.state.Acknowledger;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.component.micrometer.MicrometerConstants;
import org.apache.camel.component.micrometer.eventnotifier.MicrometerRouteEventNotifier;
import org.apache.camel.component.micrometer.routepolicy.MicrometerRoutePolicyConfiguration;
import org.apache.camel.component.micrometer.routepolicy.MicrometerRoutePolicyFactory;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.Main;
import org.apache.camel.main.MainListenerSupport;
import org.apache.camel.spi.EventNotifier;
import org.apache.camel.spi.RoutePolicyFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sets up what an operator sees of a running exporter: the metrics the routes count with (the `metrics` bean),
 * JMX attributes, readiness checks for Teleport, the output and the lag beside Camel's own route
 * checks, Prometheus metrics with Camel's route metrics, the management HTTP server (health and
 * metrics, on `management.host:management.port`), and the progress line.
 */
public final class Observability {

    private static final Logger LOG = LoggerFactory.getLogger(Observability.class);
    static final String HEALTH_PATH = "/observe/health";
    static final String METRICS_PATH = "/observe/metrics";
    /**
     * The routes without Camel's route timers: those every event goes through on its own
     * (routes/audit.yaml), and the read routes whose exchange is split into the events (read-search.yaml,
     * read-export.yaml), since a timer's sample is a property of the exchange it times, which the split
     * and the aggregator then copy with every event; and the routes each batch's delivery route calls
     * for every batch (deliver-*.yaml, sessions.yaml), which the delivery route's own timer
     * (audit-deliver, audit-deliver-objects) covers: a timer formats its property's name at the start
     * and at the end of each exchange, 7% of the delivery threads with these four timed too.
     */
    static final String UNTIMED_ROUTES = "audit-events,export-chunk-events,audit-poll,export-chunk,"
            + "fluentd-deliver,session-uploads,audit-commit,audit-write-due";

    /** Camel Main's notifier that logs the configuration's summary once the routes have started. */
    private static final String PLACEHOLDER_SUMMARY = BaseMainSupport.class.getName() + "$PlaceholderSummaryEventNotifier";

    private Observability() {
    }

    /**
     * Installs everything on {@code main} before it starts and returns the metrics (the caller binds
     * them as the routes' `metrics` bean). Call it before the configuration's own camel.* properties are added, so
     * that those win.
     */
    public static ExporterMetrics install(Main main, ExporterConfig config, Acknowledger acknowledger,
            OutputCounters output, AuditSource source, TeleportReachability teleport) {
        ExporterMetrics metrics = new ExporterMetrics(acknowledger, output, source, teleport, Clock.systemUTC());
        int port = config.integer(MANAGEMENT_PORT);
        PrometheusMeterRegistry registry = port > 0 ? new PrometheusMeterRegistry(PrometheusConfig.DEFAULT) : null;
        if (registry != null) {
            String host = config.string(MANAGEMENT_HOST);
            metrics.bindTo(registry);
            // camel-micrometer-prometheus adopts a registry it finds under this name, Camel's meters join ours
            main.bind(MicrometerConstants.METRICS_REGISTRY_NAME, registry);
            main.addInitialProperty("camel.management.enabled", "true");
            main.addInitialProperty("camel.management.host", host);
            main.addInitialProperty("camel.management.port", Integer.toString(port));
            main.addInitialProperty("camel.management.health-check-enabled", "true");
            main.addInitialProperty("camel.management.health-path", HEALTH_PATH);
            main.addInitialProperty("camel.management.metrics-enabled", "true");
            main.addInitialProperty("camel.metrics.enabled", "true");
            main.addInitialProperty("camel.metrics.path", METRICS_PATH);
            // route timers are Camel's route metrics; a timer per endpoint and exchange is more than anyone reads
            main.addInitialProperty("camel.metrics.enable-exchange-event-notifier", "false");
            // the route timers come from routeTimers() instead, which leaves out the per-event route
            main.addInitialProperty("camel.metrics.enable-route-policy", "false");
            main.addMainListener(new MainListenerSupport() {
                @Override
                public void afterStart(BaseMainSupport started) {
                    LOG.info("Health on http://{}:{}{}, Prometheus metrics on http://{}:{}{}", host, port, HEALTH_PATH,
                            host, port, METRICS_PATH);
                }
            });
        }
        main.bind(RetryCount.BEAN, new RetryCount(metrics));
        main.addInitialProperty("camel.health.enabled", "true");
        List<ExporterCheck> checks = checks(config, metrics);
        ProgressLog progress = new ProgressLog(metrics, config.duration(PROGRESS_INTERVAL));
        main.addMainListener(new MainListenerSupport() {
            @Override
            public void beforeStart(BaseMainSupport main) {
                exchangeEventsOnlyToWhoWantsThem(main.getCamelContext());
            }

            @Override
            public void afterConfigure(BaseMainSupport configured) {
                CamelContext context = configured.getCamelContext();
                HealthCheckRegistry health = HealthCheckRegistry.get(context);
                checks.forEach(health::register);
                if (registry != null) {
                    context.addRoutePolicyFactory(routeTimers(registry));
                }
                try {
                    context.addService(metrics); // a service's attributes show in JMX: type=services,name=ExporterMetrics
                    context.addService(progress);
                } catch (Exception e) {
                    throw new IllegalStateException("cannot start the exporter's metrics: " + e.getMessage(), e);
                }
            }
        });
        return metrics;
    }

    /**
     * Camel's route timers and exchange counters in Prometheus for every route but the ones an
     * exchange goes through per event and the read routes that split theirs into events
     * ({@value #UNTIMED_ROUTES}). Timing each event cost about 6 µs of CPU per event
     * (bench/route-overhead.sh), a third of the whole route. A read route's timer puts its sample (two
     * properties, the route's and the context's) on the exchange the split copies for every event, and
     * the aggregator copies each of those again: two map copies per event, 4% of the CPU in a profile
     * (bench/README.md); and it timed nothing useful, a poll lasting as long as a whole backfill. Their
     * counts are the exporter's own read, filtered and de-duplicated counters, and JMX still shows
     * their statistics.
     */
    public static RoutePolicyFactory routeTimers(MeterRegistry registry) {
        MicrometerRoutePolicyConfiguration configuration = new MicrometerRoutePolicyConfiguration();
        configuration.setExcludePattern(UNTIMED_ROUTES);
        // The context's timer, the sum over every route, would time every exchange of every route,
        // the untimed ones too: each event twice (its route and the read route's split), with a sample
        // stored as a property of each event's exchange.
        configuration.setContextEnabled(false);
        MicrometerRoutePolicyFactory factory = new MicrometerRoutePolicyFactory();
        factory.setMeterRegistry(registry);
        factory.setPolicyConfiguration(configuration);
        return factory;
    }

    /**
     * Camel makes an event for every exchange created, sent and completed (several per audit event
     * read) and offers it to each event notifier that does not say it ignores such events. Two of
     * Camel's own say nothing though they take none: Micrometer's route notifier (routes added and
     * running) and Camel Main's summary of the configuration (once, at start); this says it for them.
     * A notifier that does take exchange events (a user's, or Micrometer's exchange notifier turned on
     * with camel.metrics.enable-exchange-event-notifier) still gets them.
     */
    public static void exchangeEventsOnlyToWhoWantsThem(CamelContext context) {
        for (EventNotifier notifier : context.getManagementStrategy().getEventNotifiers()) {
            if (notifier instanceof MicrometerRouteEventNotifier
                    || notifier.getClass().getName().equals(PLACEHOLDER_SUMMARY)) {
                notifier.setIgnoreExchangeEvents(true);
                notifier.setIgnoreStepEvents(true);
            }
        }
    }

    /** Teleport failing, the output failing, the export lagging: each DOWN past its threshold; Teleport refusing us at once. */
    static List<ExporterCheck> checks(ExporterConfig config, ExporterMetrics metrics) {
        Duration unreachableAfter = config.duration(HEALTH_UNREACHABLE_AFTER);
        Duration maxLag = config.duration(HEALTH_MAX_LAG);
        return List.of(
                new ExporterCheck("teleport", metrics, snapshot -> snapshot.teleportFailing()
                        .filter(failing -> failing.refusal() || failing.duration().compareTo(unreachableAfter) >= 0)
                        .map(failing -> failing.refusal() ? "Teleport refuses the exporter: " + failing.lastFailure()
                                : "calls to Teleport have failed for " + format(failing.duration())
                                        + " (health.unreachable-after " + format(unreachableAfter) + "): "
                                        + failing.lastFailure())),
                new ExporterCheck("output", metrics, snapshot -> snapshot.outputFailing()
                        .filter(failing -> failing.duration().compareTo(unreachableAfter) >= 0)
                        .map(failing -> "the output has refused or not answered for " + format(failing.duration())
                                + " (health.unreachable-after " + format(unreachableAfter) + "): "
                                + failing.lastFailure())),
                new ExporterCheck("lag", metrics, snapshot -> Optional.ofNullable(snapshot.lag())
                        .filter(lag -> !maxLag.isZero() && lag.compareTo(maxLag) > 0)
                        .map(lag -> "the newest exported event is " + format(lag) + " old (health.max-lag "
                                + format(maxLag) + ")")));
    }

    private static String format(Duration duration) {
        return GoDuration.format(duration.truncatedTo(ChronoUnit.SECONDS));
    }
}
