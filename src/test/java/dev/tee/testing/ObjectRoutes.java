package dev.tee.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.tee.event.AuditEvent;
import dev.tee.event.Batch;
import dev.tee.lock.FailedLoginLocks;
import dev.tee.lock.FailedLoginState;
import dev.tee.observe.ExporterMetrics;
import dev.tee.observe.TeleportReachability;
import dev.tee.pipeline.BatchAggregation;
import dev.tee.pipeline.BatchHandOff;
import dev.tee.pipeline.EventSteps;
import dev.tee.pipeline.EventTypeFilter;
import dev.tee.pipeline.ReadFailures;
import dev.tee.pipeline.StateFailure;
import dev.tee.session.SessionExporter;
import dev.tee.sink.s3.PantherWriter;
import dev.tee.source.AuditSource;
import dev.tee.state.Acknowledger;
import dev.tee.state.DeliveredEvents;
import dev.tee.state.StateFile;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.main.Main;

/**
 * The project's route files with delivery=objects, around a {@link PantherWriter}, with dead letters in
 * the state directory {@code storage}: batches go in as
 * the audit-events route hands them on, and the ids of the events that reach the commit route are
 * added to a list of the test's, in order. The audit-flush timer is stopped; {@link #writeDue()} plays
 * it, so a test decides when minutes are looked at.
 */
public final class ObjectRoutes implements AutoCloseable {

    private final Main main = new Main();
    private final List<String> committed;
    private final DeliveredEvents delivered;
    private final ProducerTemplate template;

    private ObjectRoutes(PantherWriter writer, AuditSource source, List<String> committed, Path storage,
            Map<String, Object> beans, Map<String, String> properties) throws Exception {
        this.committed = committed;
        Files.createDirectories(storage);
        delivered = new DeliveredEvents(storage.resolve("delivered-ids"), 1000);
        delivered.start();
        main.bind("pantherLines", writer.lines());
        main.bind("panther", writer);
        beans.forEach(main::bind);
        Commits commits = new Commits();
        main.bind("ledger", commits);
        main.bind("deliveredEvents", delivered);
        main.bind("metrics", new ExporterMetrics(new Acknowledger(), writer, source,
                new TeleportReachability(Clock.systemUTC()), Clock.systemUTC()));
        main.bind("eventFilter", new EventTypeFilter(List.of(), List.of()));
        EventSteps.beans(event -> { }, event -> false, delivered::wasDelivered, commits::filtered,
                commits::duplicate).forEach(main::bind);
        main.bind("batches", new BatchAggregation());
        main.bind("batchHandOff", new BatchHandOff());
        main.bind("cursor", new StateFile<>(storage.resolve("cursor.json"), String.class));
        main.bind("readFailures", new ReadFailures(Duration.ofMillis(50)));
        main.bind("stateFailure", new StateFailure(main::completed));
        SessionExporter sessions = SessionExporter.dryRun();
        sessions.beans().forEach(main::bind);
        main.bind("locks", new FailedLoginLocks(FailedLoginLocks.Settings.of(false, 3, Duration.ofMinutes(1),
                Duration.ZERO, false), new StateFile<>(storage.resolve("locks.json"), FailedLoginState.class),
                lock -> { }, Clock.systemUTC()));
        main.configure().withRoutesIncludePattern("file:routes/*.yaml");
        main.configure().withJmxEnabled(false);
        main.addInitialProperty("read-path", "none"); // no read route: the test hands the batches over
        main.addInitialProperty("delivery", "objects");
        main.addInitialProperty("state-directory", storage.toString()); // dead-letter.jsonl
        main.addInitialProperty("batch", "20");
        main.addInitialProperty("concurrency", "1"); // session workers (none have work: a dry-run `sessions`)
        main.addInitialProperty("batch-timeout-ms", "200");
        main.addInitialProperty("retry-delay-ms", "10");
        main.addInitialProperty("retry-max-delay-ms", "100");
        properties.forEach(main::addInitialProperty);
        main.start();
        main.getCamelContext().getRouteController().stopRoute("audit-flush");
        template = main.getCamelContext().createProducerTemplate();
    }

    /**
     * output=file into {@code directory} (a {@link dev.tee.sink.s3.DirectoryObjectStore}); committed ids
     * go to {@code committed}, state files to {@code storage}.
     */
    public static ObjectRoutes file(PantherWriter writer, AuditSource source, Object directory,
            List<String> committed, Path storage) throws Exception {
        return new ObjectRoutes(writer, source, committed, storage, Map.of("outputDirectory", directory),
                Map.of("output", "file"));
    }

    /**
     * output=s3 into {@code bucket} through {@code client}; {@code properties} add or override the
     * routes' properties (s3-use-sse-s3, s3-use-kms, forward.s3.sse-kms-key-id).
     */
    public static ObjectRoutes s3(PantherWriter writer, AuditSource source, Object client, String bucket,
            Map<String, String> properties, List<String> committed, Path storage) throws Exception {
        Map<String, String> all = new HashMap<>(Map.of("output", "s3", "forward.s3.bucket", bucket,
                "s3-use-sse-s3", "false", "s3-use-kms", "false"));
        all.putAll(properties);
        return new ObjectRoutes(writer, source, committed, storage, Map.of("s3Client", client), all);
    }

    /** Hands a batch to the delivery route, as the aggregator does (in only), and waits until it is through. */
    public void deliver(Batch batch) {
        check(template.send("seda:audit-batches?waitForTaskToComplete=Always",
                exchange -> exchange.getIn().setBody(batch)));
    }

    /** What the audit-flush timer does once a second: writes the minutes now complete. */
    public void writeDue() {
        check(template.send("direct:audit-write-due", exchange -> { }));
    }

    private static void check(Exchange exchange) {
        if (exchange.getException() != null) {
            throw new IllegalStateException("the routes failed: " + exchange.getException(), exchange.getException());
        }
    }

    @Override
    public void close() {
        main.stop();
        delivered.stop();
    }

    /** The {@code ledger} bean: records each delivered event's id. */
    public final class Commits {
        public void delivered(Batch batch) {
            batch.events().forEach(event -> committed.add(event.id()));
        }

        public void filtered(AuditEvent event) {
            throw new IllegalStateException("no event goes through the audit-events route here: " + event.id());
        }

        public void duplicate(AuditEvent event) {
            throw new IllegalStateException("no event goes through the audit-events route here: " + event.id());
        }
    }
}
