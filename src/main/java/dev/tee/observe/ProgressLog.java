package dev.tee.observe;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import dev.tee.config.GoDuration;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.StaticService;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs the Go handler's "Event processing" line every `progress.interval`, with more in it: events
 * read and delivered per minute, pending events, lag, how far reading got, retries; and a summary
 * when the exporter stops. Also samples the reader for the metrics every second.
 */
final class ProgressLog extends ServiceSupport implements CamelContextAware, StaticService {

    private static final Logger LOG = LoggerFactory.getLogger(ProgressLog.class);
    private static final long TICK_MILLIS = 1000;

    private final ExporterMetrics metrics;
    private final Duration interval;
    private CamelContext camelContext;
    private ScheduledExecutorService timer;
    private ExporterMetrics.Snapshot previous;
    private ExporterMetrics.Snapshot first;

    /** @param interval between two lines; zero logs none (the reader is sampled all the same) */
    ProgressLog(ExporterMetrics metrics, Duration interval) {
        this.metrics = metrics;
        this.interval = interval;
    }

    @Override
    public CamelContext getCamelContext() {
        return camelContext;
    }

    @Override
    public void setCamelContext(CamelContext camelContext) {
        this.camelContext = camelContext;
    }

    @Override
    protected void doStart() {
        metrics.sample();
        first = metrics.snapshot();
        previous = first;
        timer = camelContext.getExecutorServiceManager().newSingleThreadScheduledExecutor(this, "progress");
        timer.scheduleWithFixedDelay(this::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
    }

    @Override
    protected void doStop() {
        if (timer != null) {
            camelContext.getExecutorServiceManager().shutdownNow(timer);
            timer = null;
        }
        ExporterMetrics.Snapshot last = metrics.snapshot();
        LOG.info("Exported in {}: {} events read, {} delivered, {} dead-lettered, {} filtered, {} de-duplicated, "
                + "{} retries", GoDuration.format(Duration.between(first.at(), last.at()).truncatedTo(ChronoUnit.SECONDS)),
                last.read() - first.read(), last.delivered() - first.delivered(),
                last.deadLettered() - first.deadLettered(), last.filtered() - first.filtered(),
                last.deduplicated() - first.deduplicated(), last.retries() - first.retries());
    }

    private void tick() {
        try {
            metrics.sample();
            if (interval.isZero()) {
                return;
            }
            ExporterMetrics.Snapshot now = metrics.snapshot();
            if (Duration.between(previous.at(), now.at()).compareTo(interval) >= 0) {
                LOG.info(line(previous, now));
                previous = now;
            }
        } catch (RuntimeException e) {
            // a scheduled task that throws is never run again: keep the progress going
            LOG.warn("Cannot report progress: {}", e.toString());
        }
    }

    /** Key=value pairs, as the Go handler's slog lines, so existing log searches keep working. */
    static String line(ExporterMetrics.Snapshot before, ExporterMetrics.Snapshot now) {
        double minutes = Math.max(1, Duration.between(before.at(), now.at()).toMillis()) / 60_000.0;
        StringBuilder line = new StringBuilder("Event processing")
                .append(" read_per_minute=").append(Math.round((now.read() - before.read()) / minutes))
                .append(" events_per_minute=").append(Math.round((now.delivered() - before.delivered()) / minutes))
                .append(" pending=").append(now.pending())
                .append(" lag=").append(now.lag() == null ? "unknown" : seconds(now.lag()))
                .append(" read_up_to=").append(now.newestRead() == null ? "none" : now.newestRead().truncatedTo(ChronoUnit.SECONDS))
                .append(" caught_up=").append(now.caughtUp())
                .append(" retries_per_minute=").append(Math.round((now.retries() - before.retries()) / minutes));
        if (now.deadLettered() > before.deadLettered()) {
            line.append(" dead_lettered=").append(now.deadLettered() - before.deadLettered());
        }
        if (now.sessionsActive() > 0 || now.sessionsBacklog() > 0) {
            line.append(" sessions_active=").append(now.sessionsActive())
                    .append(" sessions_backlog=").append(now.sessionsBacklog());
        }
        now.teleportFailing().ifPresent(f -> line.append(" teleport_failing_for=").append(seconds(f.duration())));
        now.outputFailing().ifPresent(f -> line.append(" output_failing_for=").append(seconds(f.duration())));
        return line.toString();
    }

    private static String seconds(Duration duration) {
        return GoDuration.format(duration.truncatedTo(ChronoUnit.SECONDS));
    }
}
