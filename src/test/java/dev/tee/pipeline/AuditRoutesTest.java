package dev.tee.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import com.google.protobuf.Struct;
import dev.tee.event.AuditEvent;
import dev.tee.event.Batch;
import dev.tee.lock.FailedLoginLocks;
import dev.tee.lock.FailedLoginState;
import dev.tee.observe.ExporterMetrics;
import dev.tee.observe.Observability;
import dev.tee.observe.TeleportReachability;
import dev.tee.session.SessionExporter;
import dev.tee.sink.OutputCounters;
import dev.tee.sink.OutputUnavailableException;
import dev.tee.source.Page;
import dev.tee.state.DeliveredEvents;
import dev.tee.state.DeliveryLedger;
import dev.tee.state.StateFile;
import dev.tee.teleport.TeleportException;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.camel.Processor;
import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.Main;
import org.apache.camel.main.MainListenerSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The YAML routes themselves, with the Teleport reader and the output replaced by scripted beans. */
class AuditRoutesTest {

    @TempDir
    Path storage;

    private final List<String> commits = new CopyOnWriteArrayList<>();
    private final DeliveryLedger<String> ledger = new DeliveryLedger<>(commits::add);
    private final List<List<String>> sent = new CopyOnWriteArrayList<>();
    private Main main;
    private String batchTimeoutMs = "200";
    /** Set before start: a countRead step of the test's own instead of the metrics'. */
    private Processor countRead;
    /** Set before start: Camel's route timers, as the exporter installs them with metrics on. */
    private MeterRegistry routeTimers;

    @AfterEach
    void stop() {
        if (main != null) {
            main.stop();
        }
    }

    /** Hands out scripted pages, registering each event with the ledger as the real readers do. */
    public class ScriptedReader implements dev.tee.source.AuditSource {
        private final List<List<String>> pages;
        private int next;
        final AtomicInteger failuresLeft = new AtomicInteger();

        ScriptedReader(List<List<String>> pages) {
            this.pages = new ArrayList<>(pages);
        }

        @Override
        public synchronized boolean caughtUp() {
            return next >= pages.size();
        }

        @Override
        public boolean idle() {
            return ledger.idle();
        }

        @Override
        public long unsettled() {
            return ledger.pending();
        }

        @Override
        public Instant readPosition() {
            return Instant.EPOCH;
        }

        public synchronized Page nextPage() {
            if (failuresLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new TeleportException(io.grpc.Status.Code.UNAVAILABLE, "cannot reach Teleport at 127.0.0.1:1", null);
            }
            if (next >= pages.size()) {
                return new Page(List.of(), true);
            }
            List<AuditEvent> events = new ArrayList<>();
            for (String id : pages.get(next)) {
                events.add(new AuditEvent(id, id.startsWith("skip") ? "print" : "user.login", Instant.EPOCH, 0,
                        Struct.getDefaultInstance(), ledger.track("after-" + id)));
            }
            next++;
            return new Page(events, next >= pages.size());
        }
    }

    /** Acknowledges batches, after failing the first few attempts as an unreachable output would. */
    public class ScriptedSink implements OutputCounters {
        final AtomicInteger failuresLeft = new AtomicInteger();

        @Override
        public long eventsDelivered() {
            return sent.stream().mapToLong(List::size).sum();
        }

        @Override
        public long eventsDeadLettered() {
            return 0;
        }

        @Override
        public long requestsCompleted() {
            return sent.size();
        }

        public void deliver(Batch batch) {
            if (failuresLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new OutputUnavailableException("Fluentd unreachable");
            }
            sent.add(batch.events().stream().map(AuditEvent::id).toList());
        }
    }

    private void start(ScriptedReader reader, ScriptedSink sink, DeliveredEvents delivered) throws Exception {
        main = new Main();
        main.bind("auditReader", reader);
        main.bind("sink", sink);
        dev.tee.state.Acknowledger acknowledger = new dev.tee.state.Acknowledger();
        main.bind("ledger", acknowledger);
        ExporterMetrics metrics = new ExporterMetrics(acknowledger, sink, reader,
                new TeleportReachability(Clock.systemUTC()), Clock.systemUTC());
        main.bind("metrics", metrics);
        main.bind("deliveredEvents", delivered);
        EventTypeFilter filter = new EventTypeFilter(List.of(), List.of("print"));
        main.bind("eventFilter", filter);
        Map<String, Object> steps = new HashMap<>(EventSteps.beans(metrics::read, filter::rejects,
                delivered::wasDelivered, acknowledger::filtered, acknowledger::duplicate));
        if (countRead != null) {
            steps.put("countRead", countRead);
        }
        steps.forEach(main::bind);
        if (routeTimers != null) {
            main.addMainListener(new MainListenerSupport() {
                @Override
                public void afterConfigure(BaseMainSupport configured) {
                    configured.getCamelContext().addRoutePolicyFactory(Observability.routeTimers(routeTimers));
                }
            });
        }
        main.bind("batches", new BatchAggregation());
        main.bind("batchHandOff", new BatchHandOff());
        main.bind("cursor", new StateFile<>(storage.resolve("cursor.json"), String.class));
        main.bind("progress", new ExportProgress(false, reader, () -> { }, () -> { }));
        main.bind("readFailures", new ReadFailures(Duration.ofMillis(50)));
        main.bind("stateFailure", new StateFailure(main::completed));
        SessionExporter sessions = SessionExporter.dryRun();
        sessions.beans().forEach(main::bind);
        main.bind("locks", new FailedLoginLocks(FailedLoginLocks.Settings.of(false, 3, Duration.ofMinutes(1),
                Duration.ZERO, false), new StateFile<>(storage.resolve("locks.json"), FailedLoginState.class),
                lock -> { }, Clock.systemUTC()));
        // every route file, as the exporter loads them; the preconditions pick the search API and a sink bean
        main.configure().withRoutesIncludePattern("file:routes/*.yaml");
        main.addInitialProperty("read-path", "search");
        main.addInitialProperty("delivery", "dry-run");
        main.addInitialProperty("state-directory", storage.toString());
        main.configure().withJmxEnabled(false);
        main.addInitialProperty("batch", "3");
        main.addInitialProperty("concurrency", "1");
        main.addInitialProperty("batches-in-flight", "1"); // the tests count on the order batches are sent in
        main.addInitialProperty("poll-period-ms", "50");
        main.addInitialProperty("batch-timeout-ms", batchTimeoutMs);
        main.addInitialProperty("retry-delay-ms", "10");
        main.addInitialProperty("retry-max-delay-ms", "100");
        main.start();
    }

    @Test
    void batchesEveryWantedEventOnceAndCommitsOnlyAfterDelivery() throws Exception {
        DeliveredEvents delivered = new DeliveredEvents(storage.resolve("delivered-ids"), 1000);
        delivered.start();
        delivered.remember(new Batch(List.of(new AuditEvent("old-1", "user.login", Instant.EPOCH, 0,
                Struct.getDefaultInstance()))));
        ScriptedSink sink = new ScriptedSink();
        sink.failuresLeft.set(3);
        ScriptedReader reader = new ScriptedReader(List.of(
                List.of("a", "b", "skip-1", "old-1", "c", "d"),
                List.of("e", "skip-2", "f", "g")));
        reader.failuresLeft.set(2);

        start(reader, sink, delivered);

        await().atMost(Duration.ofSeconds(20)).until(() -> ledger.idle() && commits.contains("after-g"));
        List<String> ids = sent.stream().flatMap(List::stream).toList();
        assertThat(ids).containsExactly("a", "b", "c", "d", "e", "f", "g");
        assertThat(sent).allSatisfy(batch -> assertThat(batch.size()).isLessThanOrEqualTo(3));
        assertThat(delivered.contains("g")).isTrue();
        assertThat(commits).last().isEqualTo("after-g");
    }

    @Test
    void aReaderThatHasCaughtUpSendsTheBatchBeingFilledAtOnce() throws Exception {
        // live latency: two events, a batch of three, a batch-timeout of a minute; the read route
        // catches up after the page and signals the aggregator instead of letting the batch wait
        batchTimeoutMs = "60000";
        DeliveredEvents delivered = new DeliveredEvents(storage.resolve("delivered-ids"), 1000);
        delivered.start();
        ScriptedReader reader = new ScriptedReader(List.of(List.of("a", "b")));

        start(reader, new ScriptedSink(), delivered);

        await().atMost(Duration.ofSeconds(10)).until(() -> commits.contains("after-b"));
        assertThat(sent).containsExactly(List.of("a", "b"));
    }

    @Test
    void eventsDeliveredEarlyInALongBackfillAreFreedWhileReadingGoesOn() throws Exception {
        // The read route loops over pages for the whole backfill. A setting that made each page's
        // batches leave from inside the loop's own work (the aggregator's caller-thread executor)
        // kept every page read so far reachable: the 1,000,000-event benchmark ran out of heap.
        int pagesBeforePause = 200;
        java.util.concurrent.CountDownLatch paused = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch resume = new java.util.concurrent.CountDownLatch(1);
        List<java.lang.ref.WeakReference<AuditEvent>> firstPage = new CopyOnWriteArrayList<>();
        AtomicInteger pagesRead = new AtomicInteger();
        ScriptedReader reader = new ScriptedReader(List.of()) {
            @Override
            public synchronized boolean caughtUp() {
                return pagesRead.get() > pagesBeforePause;
            }

            @Override
            public synchronized Page nextPage() {
                int page = pagesRead.incrementAndGet();
                if (page > pagesBeforePause) { // the pause, then caught up for good
                    if (page == pagesBeforePause + 1) {
                        paused.countDown();
                        try {
                            resume.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                    return new Page(List.of(), true);
                }
                List<AuditEvent> events = new ArrayList<>();
                for (int n = 0; n < 3; n++) {
                    String id = "p" + page + "-" + n;
                    AuditEvent event = new AuditEvent(id, "user.login", Instant.EPOCH, 0, Struct.newBuilder()
                            .putFields("payload", com.google.protobuf.Value.newBuilder().setStringValue(id).build())
                            .build(), ledger.track("after-" + id));
                    if (page == 1) {
                        firstPage.add(new java.lang.ref.WeakReference<>(event));
                    }
                    events.add(event);
                }
                return new Page(events, false);
            }
        };
        DeliveredEvents delivered = new DeliveredEvents(storage.resolve("delivered-ids"), 1000);
        delivered.start();
        start(reader, new ScriptedSink(), delivered);
        try {
            assertThat(paused.await(60, java.util.concurrent.TimeUnit.SECONDS)).as("read up to the pause").isTrue();
            await().atMost(Duration.ofSeconds(30)).until(ledger::idle);
            assertThat(firstPage).hasSize(3);
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                System.gc();
                return firstPage.stream().allMatch(reference -> reference.get() == null);
            });
        } finally {
            resume.countDown();
        }
        assertThat(sent.stream().mapToLong(List::size).sum()).isEqualTo(3L * pagesBeforePause);
    }


    @Test
    void eachEventsExchangeCarriesNoPropertiesForCamelToCopy() throws Exception {
        // The split copies the read route's exchange for every event, and the aggregator copies that
        // copy again; a property on the read route's exchange (a route timer's sample, the route's and
        // the context's) made each copy a map copy: two per event, 4% of the exporter's CPU in a
        // profile of 1,000,000 events.
        routeTimers = new SimpleMeterRegistry();
        List<String> seen = new CopyOnWriteArrayList<>();
        countRead = exchange -> seen.add(exchange.getMessage().getBody(AuditEvent.class).id() + " "
                + exchange.getProperties().keySet());
        DeliveredEvents delivered = new DeliveredEvents(storage.resolve("delivered-ids"), 1000);
        delivered.start();
        ScriptedReader reader = new ScriptedReader(List.of(List.of("a", "b"), List.of("c")));

        start(reader, new ScriptedSink(), delivered);

        await().atMost(Duration.ofSeconds(10)).until(() -> commits.contains("after-c"));
        assertThat(seen).containsExactly("a []", "b []", "c []");
    }
}
