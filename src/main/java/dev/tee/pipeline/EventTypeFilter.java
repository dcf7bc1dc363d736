package dev.tee.pipeline;

import java.util.Collection;
import java.util.Set;

import dev.tee.event.AuditEvent;

/** The `types` allow-list and `skip-event-types` deny-list, applied on every read path (Go handler bug #56099). */
public final class EventTypeFilter {

    private final Set<String> types;
    private final Set<String> skipped;

    public EventTypeFilter(Collection<String> types, Collection<String> skipped) {
        this.types = Set.copyOf(types);
        this.skipped = Set.copyOf(skipped);
    }

    /** True when the event must not be exported. */
    public boolean rejects(AuditEvent event) {
        return skipped.contains(event.type()) || (!types.isEmpty() && !types.contains(event.type()));
    }
}
