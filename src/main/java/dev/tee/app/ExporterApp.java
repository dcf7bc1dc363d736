package dev.tee.app;

import static dev.tee.config.ConfigKey.DRY_RUN;
import static dev.tee.config.ConfigKey.EXIT_ON_LAST_EVENT;
import static dev.tee.config.ConfigKey.SKIP_EVENT_TYPES;
import static dev.tee.config.ConfigKey.TIMEOUT;
import static dev.tee.config.ConfigKey.TYPES;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

import dev.tee.config.ConfigKey;
import dev.tee.config.ExporterConfig;
import dev.tee.event.Batch;
import dev.tee.observe.ExporterMetrics;
import dev.tee.observe.Observability;
import dev.tee.observe.TeleportReachability;
import dev.tee.pipeline.BatchAggregation;
import dev.tee.pipeline.BatchHandOff;
import dev.tee.pipeline.BatchTextConverter;
import dev.tee.pipeline.EventSteps;
import dev.tee.pipeline.EventTypeFilter;
import dev.tee.pipeline.ExportProgress;
import dev.tee.pipeline.ReadFailures;
import dev.tee.pipeline.RouteInlet;
import dev.tee.pipeline.StateFailure;
import dev.tee.sink.DeadLetter;
import dev.tee.sink.fluentd.FluentdConnections;
import dev.tee.state.Acknowledger;
import dev.tee.state.CursorSave;
import dev.tee.state.DeliveredEvents;
import dev.tee.state.StateDirectory;
import dev.tee.state.StateLock;
import dev.tee.state.StateUnwritableException;
import dev.tee.teleport.TeleportClient;
import org.apache.camel.ProducerTemplate;
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
    /** SIGTERM to exit, as the Go handler allows; Camel's graceful shutdown gets most of it. */
    private static final Duration STOP_DEADLINE = Duration.ofSeconds(5);
    private static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(4);
    /** The property the read routes' preconditions test: search or export. */
    static final String READ_PATH_PROPERTY = "read-path";
    /** The property the delivery routes' preconditions test: fluentd, dry-run, or objects (S3, file). */
    static final String DELIVERY_PROPERTY = "delivery";
    /** The state directory, <storage>/<host>_<port>, as the routes see it. */
    static final String STATE_DIRECTORY_PROPERTY = "state-directory";

    private ExporterApp() {
    }

    /** A running exporter, as {@link #run(ExporterConfig, Consumer)} hands it out. */
    public record Running(ExporterMetrics metrics, Runnable stop) {
    }

    public static int run(ExporterConfig config) {
        return run(config, running -> { });
    }

    /**
     * {@link #run(ExporterConfig)}, handing {@code watcher} the live metrics and a graceful stop once
     * the pipeline is built (for the demo's progress bar, and tests).
     */
    public static int run(ExporterConfig config, Consumer<Running> watcher) {
        // the state first: a second exporter on it is one line and nothing else
        StateDirectory state = Outputs.stateDirectory(config);
        try (StateLock lock = StateLock.acquire(state)) {
            // then every file, and a changed start-time: one line too, before anything is printed
            Preflight checked = Preflight.check(config);
            Instant startTime = state.startTime(config.startTime(), Instant.now());
            config.warnings().forEach(LOG::warn);
            config.describe().stream().filter(line -> !line.endsWith("(not set)"))
                    .forEach(line -> LOG.info("config {}", line));
            if (config.bool(DRY_RUN)) {
                LOG.warn("Dry run: events are read from Teleport but nothing is sent and nobody is locked");
            }
            LOG.info("Exporting events from {} on; state in {}", startTime, state.path());
            return run(config, watcher, state, startTime, checked);
        }
    }

    private static int run(ExporterConfig config, Consumer<Running> watcher, StateDirectory state, Instant startTime,
            Preflight checked) {
        DeliveredEvents delivered = new DeliveredEvents(state.file("delivered-ids"), DELIVERED_IDS_PER_SEGMENT);
        Acknowledger acknowledger = new Acknowledger();
        RouteInlet<Batch> fluentd = RouteInlet.fluentd();
        RouteInlet<DeadLetter> deadLetter = RouteInlet.deadLetter();
        TeleportReachability reachability = new TeleportReachability(Clock.systemUTC());
        Main main = new Main();
        CredentialReload reload = new CredentialReload(config, checked.fluentdTls());
        try (StopSignals signals = StopSignals.install(main::completed, STOP_DEADLINE, reload::reload)) {
            try (TeleportClient teleport = Teleport.connect(config, checked.teleport(), reachability)) {
                reload.teleportConnected(teleport);
                ReadPaths.ReadPath read = ReadPaths.open(config, state, startTime, teleport);
                try (Outputs.Output output = Outputs.open(config, checked, read.source(), fluentd, deadLetter)) {
                    SessionsAndLocks sessionsAndLocks = SessionsAndLocks.create(config, state, teleport, output);
                    if (!signals.started()) {
                        return stoppedWhileStarting();
                    }
                    // where the dead-letter route (routes/dead-letters.yaml) appends dead-letter.jsonl
                    main.addInitialProperty(STATE_DIRECTORY_PROPERTY, state.path().toString());
                    return runPipeline(main, config, teleport, read, output, delivered, acknowledger,
                            List.of(fluentd, deadLetter), sessionsAndLocks, watcher, reachability);
                }
            } catch (InterruptedException | RuntimeException e) {
                // a stop while starting interrupts whatever start-up waited for, however that surfaces
                if (signals.interruptedStart()) {
                    return stoppedWhileStarting();
                }
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while starting", e);
                }
                throw (RuntimeException) e;
            }
        }
    }

    private static int stoppedWhileStarting() {
        Thread.interrupted();
        LOG.info("Stopped before the export began; nothing was read, the saved state is unchanged");
        return 0;
    }

    private static int runPipeline(Main main, ExporterConfig config, TeleportClient teleport, ReadPaths.ReadPath read,
            Outputs.Output output, DeliveredEvents delivered, Acknowledger acknowledger, List<RouteInlet<?>> inlets,
            SessionsAndLocks sessionsAndLocks, Consumer<Running> watcher, TeleportReachability reachability) {
        // operating it: metrics, health checks, JMX, the progress line (dev.tee.observe)
        ExporterMetrics metrics = Observability.install(main, config, acknowledger, output.counters(), read.source(),
                reachability);
        sessionsAndLocks.reportTo(metrics);
        // Every bean the routes name, each under its fixed name (README, "The routes"): here and nowhere else.
        main.bind(read.beanName(), read.reader()); // auditReader (search API) or exportReader (bulk export)
        // the cursor is saved once the session registrations before it are durable
        CursorSave cursor = new CursorSave(sessionsAndLocks.sessions()::syncJournal, read.saveState());
        main.bind("cursor", cursor);
        EventTypeFilter filter = new EventTypeFilter(config.list(TYPES), config.list(SKIP_EVENT_TYPES));
        main.bind("eventFilter", filter);
        main.bind("deliveredEvents", delivered);
        main.bind("ledger", acknowledger);
        // countRead, unwantedType, deliveredBefore, settleFiltered, settleDuplicate: the per-event steps
        EventSteps.beans(metrics::read, filter::rejects, delivered::wasDelivered, acknowledger::filtered,
                acknowledger::duplicate).forEach(main::bind);
        main.bind("batches", new BatchAggregation());
        BatchHandOff handOff = new BatchHandOff();
        main.bind("batchHandOff", handOff);
        // fluentd, fluentdUnsettled, goJson, fluentdTls and fluentdHttpClient (Fluentd); sink (dry run);
        // pantherLines, panther and s3Client (S3), or pantherLines, panther and outputDirectory (file)
        output.beans().forEach(main::bind);
        // sessions and sessionBacklog
        sessionsAndLocks.sessions().beans().forEach(main::bind);
        main.bind("locks", sessionsAndLocks.locks());
        main.bind("metrics", metrics);
        main.bind("progress", new ExportProgress(config.bool(EXIT_ON_LAST_EVENT), read.source(), cursor::flush,
                sessionsAndLocks.afterSessions(main::completed)));
        main.bind("readFailures", new ReadFailures(config.duration(TIMEOUT)));
        main.bind("batchText", new BatchTextConverter());
        StateFailure stateFailure = new StateFailure(main::completed);
        main.bind("stateFailure", stateFailure);
        watcher.accept(new Running(metrics, main::completed));

        configureCamel(main, config, read.name(), output.delivery());
        // session recordings and auto-locking (dev.tee.session, dev.tee.lock); told to stop before the
        // Teleport client closes below, so that no stream it cancels counts as a session's failure
        sessionsAndLocks.attach(main);
        main.addMainListener(new MainListenerSupport() {
            @Override
            public void afterStart(BaseMainSupport main) {
                ProducerTemplate template = main.getCamelContext().createProducerTemplate();
                inlets.forEach(inlet -> inlet.attach(template));
            }

            @Override
            public void beforeStop(BaseMainSupport main) {
                // stop reading first (the export chunk streams, and the poll loop's next call), so that
                // stopping the routes only has to wait for what was read already
                close(read.resource());
                teleport.close();
            }

            @Override
            public void afterStop(BaseMainSupport main) {
                try {
                    cursor.flush(); // the last acknowledged position, once nothing is in flight any more
                } catch (StateUnwritableException e) {
                    stateFailure.record(e.getMessage());
                }
            }
        });
        delivered.start();
        try {
            main.run();
        } catch (Exception e) {
            throw new IllegalStateException("the pipeline failed: " + e.getMessage(), e);
        } finally {
            close(read.resource());
            handOff.shutdownNow();
            sessionsAndLocks.close();
            delivered.stop();
        }
        stateFailure.failure().ifPresent(message -> {
            throw new IllegalStateException(message + "; stopped. Nothing after the last saved position is lost: "
                    + "make room and start again");
        });
        return 0;
    }

    private static void close(AutoCloseable resource) {
        try {
            resource.close();
        } catch (Exception e) {
            LOG.warn("Stopping the reader failed: {}", e.getMessage());
        }
    }

    private static void configureCamel(Main main, ExporterConfig config, String readPath, String delivery) {
        main.configure().withName("teleport-event-exporter");
        main.configure().withRoutesIncludePattern(routesPattern(config));
        main.configure().withShutdownTimeout((int) SHUTDOWN_TIMEOUT.toSeconds());
        main.configure().withJmxEnabled(config.bool(ConfigKey.JMX));
        // per event, Camel would look for a stream to cache in every body (ours are events and batches,
        // and the http and aws2-s3 answers are read once) and make a 36-character UUID for every
        // exchange: together about 2 µs of CPU an event (bench/route-overhead.sh); a counter will do
        main.configure().withStreamCachingEnabled(false);
        main.configure().setUuidGenerator("simple");
        // every non-secret key can be used as {{key}} in the routes; secrets never reach Camel's logs
        for (ConfigKey key : ConfigKey.values()) {
            if (!key.isSecret()) {
                config.text(key).ifPresent(value -> main.addInitialProperty(key.key(), value));
            }
        }
        // what the routes' preconditions switch on: the read path the probe chose, how the output takes batches
        main.addInitialProperty(READ_PATH_PROPERTY, readPath);
        main.addInitialProperty(DELIVERY_PROPERTY, delivery);
        // the pool of connections to Fluentd: forward.fluentd.max-connections as resolved (below 1: 2 x concurrency)
        main.addInitialProperty("fluentd-connections",
                Integer.toString(config.integer(ConfigKey.FORWARD_FLUENTD_MAX_CONNECTIONS)));
        // camel-http's timeouts (the Fluentd endpoint's): connect 10 s, the Go handler's 30 s for an answer
        String answerTimeout = Long.toString(FluentdConnections.RESPONSE_TIMEOUT.toMillis());
        main.addInitialProperty("camel.component.https.connect-timeout", "10000");
        main.addInitialProperty("camel.component.https.so-timeout", answerTimeout);
        main.addInitialProperty("camel.component.https.response-timeout", answerTimeout);
        main.addInitialProperty("poll-period-ms", Long.toString(config.duration(TIMEOUT).toMillis()));
        // export chunks streamed at once, as the Go handler reads them
        main.addInitialProperty("export-streams", Integer.toString(Math.max(config.integer(ConfigKey.CONCURRENCY) / 4, 3)));
        // the routes take milliseconds: the duration keys again, as numbers
        main.addInitialProperty("batch-timeout-ms", Long.toString(config.duration(ConfigKey.BATCH_TIMEOUT).toMillis()));
        main.addInitialProperty("retry-delay-ms", Long.toString(config.duration(ConfigKey.RETRY_DELAY).toMillis()));
        main.addInitialProperty("retry-max-delay-ms",
                Long.toString(config.duration(ConfigKey.RETRY_MAX_DELAY).toMillis()));
        // the aws2-s3 step's switches for forward.s3.sse (none, AES256 or aws:kms)
        String sse = config.string(ConfigKey.FORWARD_S3_SSE);
        main.addInitialProperty("s3-use-sse-s3", Boolean.toString(sse.equals("AES256")));
        main.addInitialProperty("s3-use-kms", Boolean.toString(sse.equals("aws:kms")));
        config.camelProperties().forEach(main::addInitialProperty);
    }

    /**
     * Every route file: all of routes/*.yaml in the jar (named one by one, see {@link BundledRoutes}), or
     * in a routes/ directory next to the configuration file, which replaces the jar's. Each route's
     * precondition decides whether it runs.
     */
    static String routesPattern(ExporterConfig config) {
        return routesDirectory(config).map(dir -> "file:" + dir + "/*.yaml")
                .orElseGet(() -> BundledRoutes.includePattern(ExporterApp.class.getClassLoader()));
    }

    /** The routes/ directory next to the configuration file, when there is one. */
    static Optional<Path> routesDirectory(ExporterConfig config) {
        return config.configFile()
                .map(file -> file.toAbsolutePath().getParent().resolve("routes"))
                .filter(Files::isDirectory);
    }
}
