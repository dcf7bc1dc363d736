package dev.tee.observe;

import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * One of the exporter's own health checks (Teleport, output, lag): DOWN with a message while its
 * condition holds. A readiness check only: restarting the exporter cures neither an unreachable
 * Teleport nor a lagging export, so a liveness probe must not see it.
 */
final class ExporterCheck extends AbstractHealthCheck {

    static final String GROUP = "exporter";
    private static final int MESSAGE_CHARS = 300;

    private final ExporterMetrics metrics;
    private final Function<ExporterMetrics.Snapshot, Optional<String>> problem;

    /** @param problem what is wrong in a snapshot, if anything; nothing means UP */
    ExporterCheck(String id, ExporterMetrics metrics, Function<ExporterMetrics.Snapshot, Optional<String>> problem) {
        super(GROUP, id);
        this.metrics = metrics;
        this.problem = problem;
    }

    @Override
    public boolean isLiveness() {
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        problem.apply(metrics.snapshot()).ifPresentOrElse(message -> builder.down().message(jsonSafe(message)),
                builder::up);
    }

    /**
     * Camel's health endpoint escapes a message twice (Camel 4.18: Jsoner.escape, then its JSON
     * writer): a quote or backslash would reach the reader as \" or \\, so plain characters stand in
     * (a slash still reads \/).
     */
    private static String jsonSafe(String message) {
        String safe = message.replace('"', '\'').replace('\\', '/').replaceAll("\\p{Cntrl}", " ");
        return safe.length() <= MESSAGE_CHARS ? safe : safe.substring(0, MESSAGE_CHARS) + "...";
    }
}
