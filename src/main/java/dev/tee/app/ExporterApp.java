package dev.tee.app;

import static dev.tee.config.ConfigKey.BATCH;
import static dev.tee.config.ConfigKey.DRY_RUN;
import static dev.tee.config.ConfigKey.EXIT_ON_LAST_EVENT;
import static dev.tee.config.ConfigKey.SKIP_EVENT_TYPES;
import static dev.tee.config.ConfigKey.STORAGE;
import static dev.tee.config.ConfigKey.TELEPORT_ADDR;
import static dev.tee.config.ConfigKey.TIMEOUT;
import static dev.tee.config.ConfigKey.TYPES;
import static dev.tee.config.ConfigKey.WINDOW_SIZE;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Consumer;

import dev.tee.config.ConfigKey;
import dev.tee.config.ExporterConfig;
import dev.tee.pipeline.BatchAggregation;
import dev.tee.pipeline.EventTypeFilter;
import dev.tee.pipeline.ExportProgress;
import dev.tee.pipeline.ReadFailures;
import dev.tee.event.Batch;
import dev.tee.source.LegacyCursor;
import dev.tee.source.LegacySearchReader;
import dev.tee.state.Acknowledger;
import dev.tee.state.DeliveredEvents;
import dev.tee.state.DeliveryLedger;
import dev.tee.state.StateDirectory;
import dev.tee.state.StateFile;
import dev.tee.teleport.TeleportClient;
import org.apache.camel.CamelContext;
import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.Main;
import org.apache.camel.main.MainListenerSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the beans the routes use from the configuration, starts Camel with the YAML routes and runs
 * until stopped (or, with `exit-on-last-event`, until everything is delivered).
 */
public final class ExporterApp {

    private static final Logger LOG = LoggerFactory.getLogger(ExporterApp.class);

    /** Ids kept per segment of the delivered-id file: far more than can be in flight past a saved cursor. */
    private static final int DELIVERED_IDS_PER_SEGMENT = 50_000;
    private static final Duration BATCH_TIMEOUT = Duration.ofMillis(500);
    private static final Duration RETRY_INITIAL_DELAY = Duration.ofMillis(500);
    private static final Duration RETRY_MAX_DELAY = Duration.ofSeconds(30);

    private ExporterApp() {
    }

    public static int run(ExporterConfig config) {
        config.warnings().forEach(LOG::warn);
        config.describe().stream().filter(line -> !line.endsWith("(not set)"))
                .forEach(line -> LOG.info("config {}", line));
        if (config.bool(DRY_RUN)) {
            LOG.warn("Dry run: events are read from Teleport but nothing is sent and nobody is locked");
        }
        StateDirectory state = Outputs.stateDirectory(config);
        Instant startTime = state.startTime(config.startTime(), Instant.now());
        LOG.info("Exporting events from {} on; state in {}", startTime, state.path());

        StateFile<LegacyCursor> cursor = new StateFile<>(state.file("legacy-cursor.json"), LegacyCursor.class);
        LegacyCursor resumeAt = cursor.load().orElse(LegacyCursor.startingAt(startTime));
        DeliveryLedger<LegacyCursor> ledger = new DeliveryLedger<>(cursor::update);
        DeliveredEvents delivered = new DeliveredEvents(state.file("delivered-ids"), DELIVERED_IDS_PER_SEGMENT);
        Acknowledger acknowledger = new Acknowledger();
        Consumer<Batch> acknowledge = batch -> {
            delivered.remember(batch);
            acknowledger.delivered(batch);
        };
        try (TeleportClient teleport = Teleport.connect(config);
             Outputs.Output output = Outputs.open(config, state, acknowledge)) {
            LOG.info("Reading with the search API from window {} (page key \"{}\", after event {})",
                    resumeAt.windowStart(), resumeAt.pageKey(), resumeAt.lastEventId());
            SessionsAndLocks sessionsAndLocks = SessionsAndLocks.create(config, state, teleport, output);
            return runPipeline(config, teleport, output, cursor, resumeAt, ledger, delivered, sessionsAndLocks);
        }
    }

    private static int runPipeline(ExporterConfig config, TeleportClient teleport, Outputs.Output output,
            StateFile<LegacyCursor> cursor, LegacyCursor resumeAt, DeliveryLedger<LegacyCursor> ledger,
            DeliveredEvents delivered, SessionsAndLocks sessionsAndLocks) {
        Main main = new Main();
        ExportProgress progress = new ExportProgress(config.bool(EXIT_ON_LAST_EVENT), ledger, cursor,
                sessionsAndLocks.afterSessions(main::completed));
        main.bind("auditReader", new LegacySearchReader(teleport::getUnstructuredEvents, ledger, resumeAt,
                config.duration(WINDOW_SIZE), config.integer(BATCH), config.list(TYPES), Clock.systemUTC()));
        main.bind("eventFilter", new EventTypeFilter(config.list(TYPES), config.list(SKIP_EVENT_TYPES)));
        main.bind("deliveredEvents", delivered);
        main.bind("ledger", new Acknowledger());
        main.bind("batches", new BatchAggregation());
        main.bind(output.beanName(), output.bean());
        main.bind("cursor", cursor);
        main.bind("progress", progress);
        main.bind("readFailures", new ReadFailures(config.duration(TIMEOUT)));

        configureCamel(main, config, output.routeFile());
        main.addMainListener(new MainListenerSupport() {
            @Override
            public void afterStop(BaseMainSupport main) {
                cursor.flush(); // the last acknowledged position, once nothing is in flight any more
            }
        });
        sessionsAndLocks.attach(main); // session recordings and auto-locking (dev.tee.session, dev.tee.lock)
        delivered.start();
        try {
            main.run();
        } catch (Exception e) {
            throw new IllegalStateException("the pipeline failed: " + e.getMessage(), e);
        } finally {
            sessionsAndLocks.stop();
            delivered.stop();
        }
        return 0;
    }

    private static void configureCamel(Main main, ExporterConfig config, String outputRoutes) {
        main.configure().withName("teleport-event-exporter");
        main.configure().withRoutesIncludePattern(routesPattern(config, outputRoutes));
        main.configure().withShutdownTimeout(5);
        main.configure().withJmxEnabled(config.bool(ConfigKey.JMX));
        // every non-secret key can be used as {{key}} in the routes; secrets never reach Camel's logs
        for (ConfigKey key : ConfigKey.values()) {
            if (!key.isSecret()) {
                config.text(key).ifPresent(value -> main.addInitialProperty(key.key(), value));
            }
        }
        main.addInitialProperty("poll-period-ms", Long.toString(config.duration(TIMEOUT).toMillis()));
        main.addInitialProperty("batch-timeout-ms", Long.toString(BATCH_TIMEOUT.toMillis()));
        main.addInitialProperty("retry-initial-delay-ms", Long.toString(RETRY_INITIAL_DELAY.toMillis()));
        main.addInitialProperty("retry-max-delay-ms", Long.toString(RETRY_MAX_DELAY.toMillis()));
        config.camelProperties().forEach(main::addInitialProperty);
    }

    /**
     * The reading routes and the output's delivery routes. A routes/ directory next to the
     * configuration file wins over the copy in the jar.
     */
    static String routesPattern(ExporterConfig config, String outputRoutes) {
        String base = config.configFile()
                .map(file -> file.toAbsolutePath().getParent().resolve("routes"))
                .filter(Files::isDirectory)
                .map(dir -> "file:" + dir + "/")
                .orElse("classpath:routes/");
        return base + "audit.yaml," + base + outputRoutes;
    }
}
