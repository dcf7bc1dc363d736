package dev.tee.observe;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import java.util.function.ToDoubleFunction;

import dev.tee.event.AuditEvent;
import dev.tee.sink.OutputCounters;
import dev.tee.source.AuditSource;
import dev.tee.state.Acknowledger;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.StaticService;
import org.apache.camel.api.management.ManagedAttribute;
import org.apache.camel.api.management.ManagedResource;
import org.apache.camel.support.service.ServiceSupport;

/**
 * The exporter's numbers in one place, for Prometheus, JMX, the health checks and the progress line:
 * it counts what it sees itself (events read, retries) and reads the rest from the beans that see it
 * (the acknowledger, the output, the reader, Teleport's calls). The routes call {@link #read}.
 */
@ManagedResource(description = "teleport-event-exporter: events read, delivered and skipped, retries, lag")
public final class ExporterMetrics extends ServiceSupport implements StaticService {

    private static final String PREFIX = "teleport.exporter.";

    private final Acknowledger acknowledger;
    private final OutputCounters output;
    private final AuditSource source;
    private final TeleportReachability teleport;
    private final Clock clock;

    private final LongAdder read = new LongAdder();
    private final AtomicLong newestReadMillis = new AtomicLong(Long.MIN_VALUE);
    private final LongAdder retries = new LongAdder();
    /** Sampled off the request threads: a reader may hold its lock during a slow call to Teleport. */
    private volatile boolean caughtUp;

    // the current run of output failures: since when, and how many acknowledgements there were then
    private Instant outputFailingSince;
    private long acknowledgedWhenFailing;
    private String lastOutputFailure;

    private volatile IntSupplier sessionsActive = () -> 0;
    private volatile IntSupplier sessionsBacklog = () -> 0;
    private volatile LongSupplier sessionsDone = () -> 0;

    public ExporterMetrics(Acknowledger acknowledger, OutputCounters output, AuditSource source,
            TeleportReachability teleport, Clock clock) {
        this.acknowledger = acknowledger;
        this.output = output;
        this.source = source;
        this.teleport = teleport;
        this.clock = clock;
    }

    /** An event handed over by a read route (the first step of audit-events). */
    public void read(AuditEvent event) {
        read.increment();
        if (event.time() != null) {
            newestReadMillis.accumulateAndGet(event.time().toEpochMilli(), Math::max);
        }
    }

    /** The output could not take a batch and it is tried again ({@code why}: the failure). */
    synchronized void retried(String why) {
        retries.increment();
        long acknowledged = acknowledger.acknowledgedCount();
        if (outputFailingSince == null || acknowledged != acknowledgedWhenFailing) {
            outputFailingSince = clock.instant();
            acknowledgedWhenFailing = acknowledged;
        }
        lastOutputFailure = why;
    }

    /**
     * Where the session recording export reports how it is doing: sessions being exported now, sessions
     * waiting for their turn, and sessions exported since the start.
     */
    public void sessions(IntSupplier active, IntSupplier backlog, LongSupplier done) {
        sessionsActive = active;
        sessionsBacklog = backlog;
        sessionsDone = done;
    }

    /** Takes a fresh look at the reader; called every second. */
    void sample() {
        caughtUp = source.caughtUp();
    }

    /** Everything at once, as of now. */
    public Snapshot snapshot() {
        Instant now = clock.instant();
        long pending = pending();
        long newestRead = newestReadMillis.get();
        return new Snapshot(now, read.sum(), acknowledger.filteredCount(), acknowledger.duplicateCount(),
                output.eventsDelivered(), output.eventsDeadLettered(),
                output.requestsCompleted(), retries.sum(), pending,
                newestRead == Long.MIN_VALUE ? null : Instant.ofEpochMilli(newestRead), lag(now, pending),
                acknowledger.lastAcknowledgedAt(), caughtUp, teleport.failing(), outputFailing(now),
                sessionsActive.getAsInt(), sessionsBacklog.getAsInt(), sessionsDone.getAsLong());
    }

    /** Events read and not yet delivered, skipped or dead-lettered. */
    private long pending() {
        return Math.max(0, read.sum() - acknowledger.filteredCount() - acknowledger.duplicateCount()
                - acknowledger.acknowledgedCount());
    }

    /**
     * Now minus the time of the newest event the pipeline is done with; zero when the reader has
     * caught up and nothing is pending (a quiet cluster is not a late export); null before any event.
     */
    private Duration lag(Instant now, long pending) {
        if (caughtUp && pending == 0) {
            return Duration.ZERO;
        }
        Instant newest = acknowledger.newestSettledEventTime();
        if (newest == null) {
            return null;
        }
        Duration lag = Duration.between(newest, now);
        return lag.isNegative() ? Duration.ZERO : lag;
    }

    private synchronized Optional<Failing> outputFailing(Instant now) {
        if (outputFailingSince == null || acknowledger.acknowledgedCount() != acknowledgedWhenFailing) {
            return Optional.empty();
        }
        return Optional.of(new Failing(Duration.between(outputFailingSince, now), lastOutputFailure));
    }

    /** Registers every number as a Prometheus meter, named teleport_exporter_... */
    void bindTo(MeterRegistry registry) {
        counter(registry, "events.read", "Audit events read from Teleport", m -> m.read.sum());
        counter(registry, "events.filtered", "Events left out by types or skip-event-types",
                m -> m.acknowledger.filteredCount());
        counter(registry, "events.deduplicated", "Events not sent again because they had been delivered before",
                m -> m.acknowledger.duplicateCount());
        counter(registry, "events.delivered", "Events the output acknowledged (Fluentd 200, or stored in an object)",
                m -> m.output.eventsDelivered());
        counter(registry, "events.dead.lettered", "Events the output refused for good, written to dead-letter.jsonl",
                m -> m.output.eventsDeadLettered());
        counter(registry, "batches.sent", "Batches the output acknowledged: Fluentd POSTs, or objects written",
                m -> m.output.requestsCompleted());
        counter(registry, "retries", "Sends tried again after the output was unreachable or overloaded",
                m -> m.retries.sum());
        counter(registry, "sessions.done", "Session recordings exported", m -> m.sessionsDone.getAsLong());
        gauge(registry, "events.pending", null, "Events read and not yet delivered, skipped or dead-lettered",
                ExporterMetrics::pending);
        gauge(registry, "events.pending.bytes", "bytes", "Wire size of the pending events; reading waits at an "
                + "eighth of the heap", m -> m.source.unsettledBytes());
        gauge(registry, "lag", "seconds", "Now minus the time of the newest exported event; 0 when caught up",
                m -> seconds(m.lag(m.clock.instant(), m.pending())));
        gauge(registry, "last.send.timestamp", "seconds", "Unix time of the last batch the output acknowledged",
                m -> m.acknowledger.lastAcknowledgedAt() == null ? Double.NaN
                        : m.acknowledger.lastAcknowledgedAt().toEpochMilli() / 1000.0);
        gauge(registry, "teleport.failing", "seconds", "How long calls to Teleport have been failing; 0 while it answers",
                m -> m.teleport.failing().map(f -> seconds(f.duration())).orElse(0.0));
        gauge(registry, "output.failing", "seconds", "How long the output has been failing; 0 while it accepts",
                m -> m.outputFailing(m.clock.instant()).map(f -> seconds(f.duration())).orElse(0.0));
        gauge(registry, "caught.up", null, "1 when everything up to now has been read, else 0", m -> m.caughtUp ? 1 : 0);
        gauge(registry, "sessions.active", null, "Session recordings being exported now",
                m -> m.sessionsActive.getAsInt());
        gauge(registry, "sessions.backlog", null, "Session recordings waiting to be exported",
                m -> m.sessionsBacklog.getAsInt());
    }

    private void counter(MeterRegistry registry, String name, String help, ToDoubleFunction<ExporterMetrics> value) {
        FunctionCounter.builder(PREFIX + name, this, value).description(help).register(registry);
    }

    private void gauge(MeterRegistry registry, String name, String unit, String help,
            ToDoubleFunction<ExporterMetrics> value) {
        Gauge.builder(PREFIX + name, this, value).baseUnit(unit).description(help).register(registry);
    }

    private static double seconds(Duration duration) {
        return duration == null ? Double.NaN : duration.toMillis() / 1000.0;
    }

    // JMX: the same numbers as attributes of org.apache.camel:context=teleport-event-exporter,type=services,name=ExporterMetrics

    @ManagedAttribute(description = "Audit events read from Teleport")
    public long getEventsRead() {
        return read.sum();
    }

    @ManagedAttribute(description = "Events left out by types or skip-event-types")
    public long getEventsFiltered() {
        return acknowledger.filteredCount();
    }

    @ManagedAttribute(description = "Events not sent again because they had been delivered before")
    public long getEventsDeduplicated() {
        return acknowledger.duplicateCount();
    }

    @ManagedAttribute(description = "Events the output acknowledged")
    public long getEventsDelivered() {
        return output.eventsDelivered();
    }

    @ManagedAttribute(description = "Events written to dead-letter.jsonl")
    public long getEventsDeadLettered() {
        return output.eventsDeadLettered();
    }

    @ManagedAttribute(description = "Batches the output acknowledged: Fluentd POSTs, or objects written")
    public long getBatchesSent() {
        return output.requestsCompleted();
    }

    @ManagedAttribute(description = "Sends tried again after the output was unreachable or overloaded")
    public long getRetries() {
        return retries.sum();
    }

    @ManagedAttribute(description = "Events read and not yet delivered, skipped or dead-lettered")
    public long getEventsPending() {
        return pending();
    }

    @ManagedAttribute(description = "Seconds between now and the newest exported event (-1: none yet)")
    public long getLagSeconds() {
        Duration lag = lag(clock.instant(), pending());
        return lag == null ? -1 : lag.toSeconds();
    }

    @ManagedAttribute(description = "When the output last acknowledged a batch (empty: never)")
    public String getLastSend() {
        Instant last = acknowledger.lastAcknowledgedAt();
        return last == null ? "" : last.toString();
    }

    @ManagedAttribute(description = "Whether everything up to now has been read")
    public boolean isCaughtUp() {
        return caughtUp;
    }

    /** The numbers at one moment; times and durations are null when not known yet. */
    public record Snapshot(Instant at, long read, long filtered, long deduplicated, long delivered, long deadLettered,
            long batches, long retries, long pending, Instant newestRead, Duration lag, Instant lastSend,
            boolean caughtUp, Optional<Failing> teleportFailing,
            Optional<Failing> outputFailing, int sessionsActive, int sessionsBacklog,
            long sessionsDone) {
    }
}
