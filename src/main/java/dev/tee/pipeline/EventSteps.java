package dev.tee.pipeline;

import java.util.Map;
import java.util.function.Consumer;

import dev.tee.event.AuditEvent;
import org.apache.camel.Predicate;
import org.apache.camel.Processor;

/**
 * The per-event steps of the audit-events route as Camel's own {@link Processor} and {@link Predicate},
 * which the route names with {@code process: ref} and the {@code ref} language. Camel calls these
 * directly; a {@code bean} step or {@code method} predicate instead looks the method up, binds its
 * parameters and calls it by reflection for every event, which cost more than the work itself
 * (bench/route-overhead.sh). Per-batch steps stay {@code bean} steps: their cost is shared by a batch.
 */
public final class EventSteps {

    private EventSteps() {
    }

    /**
     * The beans audit-events names, under their names: {@code countRead}, {@code unwantedType},
     * {@code deliveredBefore}, {@code settleFiltered} and {@code settleDuplicate}.
     */
    public static Map<String, Object> beans(Consumer<AuditEvent> countRead,
            java.util.function.Predicate<AuditEvent> unwantedType, java.util.function.Predicate<AuditEvent> deliveredBefore,
            Consumer<AuditEvent> settleFiltered, Consumer<AuditEvent> settleDuplicate) {
        return Map.of("countRead", process(countRead), "unwantedType", test(unwantedType),
                "deliveredBefore", test(deliveredBefore), "settleFiltered", process(settleFiltered),
                "settleDuplicate", process(settleDuplicate));
    }

    /** A step that hands the event in the body to {@code step}. */
    private static Processor process(Consumer<AuditEvent> step) {
        return exchange -> step.accept(exchange.getMessage().getBody(AuditEvent.class));
    }

    /** A predicate true when {@code test} holds for the event in the body. */
    private static Predicate test(java.util.function.Predicate<AuditEvent> test) {
        return exchange -> test.test(exchange.getMessage().getBody(AuditEvent.class));
    }
}
