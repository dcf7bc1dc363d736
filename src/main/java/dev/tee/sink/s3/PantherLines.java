package dev.tee.sink.s3;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import dev.tee.event.AuditEvent;
import dev.tee.event.Batch;
import dev.tee.sink.DeadLetter;
import dev.tee.sink.Refused;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code pantherLines} bean, the encoding step of the object routes (routes/deliver-objects.yaml):
 * each event of a batch as its line in Panther's layout ({@link PantherLine}: the Go handler's JSON
 * re-printed as Fluentd writes it, which Jackson cannot reproduce), or, when Fluentd would answer 400
 * for its time, as a dead letter instead.
 */
public final class PantherLines {

    private static final Logger LOG = LoggerFactory.getLogger(PantherLines.class);

    private final String prefix;
    private final Clock clock;

    /** @param prefix {@code forward.s3.prefix}, where a refused event's dead letter says it was refused */
    public PantherLines(String prefix, Clock clock) {
        this.prefix = prefix;
        this.clock = clock;
    }

    /** The lines of {@code batch}, in order, and the events that have none. */
    public Encoded encode(Batch batch) {
        Instant now = clock.instant();
        List<PantherLine> lines = new ArrayList<>(batch.size());
        List<AuditEvent> events = new ArrayList<>(batch.size());
        List<DeadLetter> letters = new ArrayList<>();
        List<AuditEvent> refused = new ArrayList<>();
        for (AuditEvent event : batch.events()) {
            try {
                lines.add(PantherLine.of(event, now));
                events.add(event);
            } catch (InvalidEventTimeException e) {
                // Fluentd answers 400 for such an event; here it goes to the dead letters the same way
                letters.add(DeadLetter.of(event, 400, e.getMessage(), prefix));
                refused.add(event);
                LOG.warn("Event {} ({}) cannot be written in Panther's layout: {}; it goes to {}", event.id(),
                        event.type(), e.getMessage(), DeadLetter.FILE_NAME);
            }
        }
        return new Encoded(now, lines, events, new Refused(letters, new Batch(refused)));
    }

    /**
     * A batch encoded at {@code at}: {@code lines.get(i)} is the line of {@code events.get(i)}; the
     * refused events have dead letters instead.
     */
    public record Encoded(Instant at, List<PantherLine> lines, List<AuditEvent> events, Refused refused) {
    }
}
