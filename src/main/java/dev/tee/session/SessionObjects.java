package dev.tee.session;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

import dev.tee.event.AuditEvent;
import dev.tee.event.Batch;
import dev.tee.sink.DeadLetter;
import dev.tee.sink.s3.GzipBody;
import dev.tee.sink.s3.InvalidEventTimeException;
import dev.tee.sink.s3.ObjectStore;
import dev.tee.sink.s3.PantherLine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Session events as gzip JSON-lines objects under the session prefix of S3 or a directory, one
 * object per batch, each line as Fluentd's S3 output would have written it ({@link PantherLine}).
 * Objects are written create-if-absent under {@link SessionObjectKey}s, so a batch written again
 * after a crash finds its key taken and counts as delivered: no event is stored twice.
 */
public final class SessionObjects implements SessionOutput {

    /**
     * Events per object. Far more than `batch`: S3 charges per request and Panther does not ingest
     * recordings, so there is no reason for Fluentd-sized pieces; the transfer's byte cap still keeps
     * an object to a few megabytes.
     */
    public static final int EVENTS_PER_OBJECT = 1000;

    private static final Logger LOG = LoggerFactory.getLogger(SessionObjects.class);

    private final ObjectStore store;
    private final String prefix;
    private final Consumer<DeadLetter> deadLetters;
    private final Clock clock;
    private final AtomicLong objectsWritten = new AtomicLong();
    private final AtomicLong objectsFoundWritten = new AtomicLong();

    /**
     * @param prefix {@code forward.s3.session-prefix}
     * @param deadLetters the dead-letter route (direct:dead-letter), which returns once the letter is written
     */
    public SessionObjects(ObjectStore store, String prefix, Consumer<DeadLetter> deadLetters, Clock clock) {
        this.store = store;
        this.prefix = prefix;
        this.deadLetters = deadLetters;
        this.clock = clock;
    }

    @Override
    public int batchEvents() {
        return EVENTS_PER_OBJECT;
    }

    @Override
    public void deliver(String sessionId, Batch batch) {
        if (batch.size() == 0) {
            return;
        }
        SessionObjectKey key = new SessionObjectKey(prefix, sessionId, batch.events().get(0).index());
        Instant now = clock.instant();
        List<PantherLine> lines = new ArrayList<>(batch.size());
        for (AuditEvent event : batch.events()) {
            try {
                lines.add(PantherLine.of(event, now));
            } catch (InvalidEventTimeException e) {
                // as for audit events: Fluentd would answer 400, so it goes to the dead letters (written
                // before the batch counts as delivered)
                deadLetters.accept(DeadLetter.of(event, 400, e.getMessage(), key.key()));
                LOG.warn("Session event {} ({}, index {}) of session {} cannot be written in Panther's layout: {};"
                        + " it went to {}", event.id(), event.type(), event.index(), sessionId, e.getMessage(),
                        DeadLetter.FILE_NAME);
            }
        }
        if (lines.isEmpty()) {
            return;
        }
        if (store.putIfAbsent(key.key(), GzipBody.of(lines)) == ObjectStore.PutOutcome.CREATED) {
            objectsWritten.incrementAndGet();
            LOG.debug("wrote {} ({} events)", key, lines.size());
        } else {
            objectsFoundWritten.incrementAndGet();
            LOG.info("{} was written before a restart; not writing it again", key);
        }
    }

    /** Objects written. */
    long objectsWritten() {
        return objectsWritten.get();
    }

    /** Objects a replay found already written (a crash came after the write, before the index was saved). */
    long objectsFoundWritten() {
        return objectsFoundWritten.get();
    }
}
