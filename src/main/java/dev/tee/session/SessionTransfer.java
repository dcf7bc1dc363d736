package dev.tee.session;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;

import com.google.protobuf.Timestamp;
import dev.tee.event.AuditEvent;
import dev.tee.event.Batch;
import dev.tee.sink.OutputUnavailableException;
import dev.tee.teleport.ServerStream;
import dev.tee.teleport.TeleportClient;
import dev.tee.teleport.TeleportException;
import dev.tee.teleport.proto.auditlog.EventUnstructured;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies one session recording from Teleport to the output, from a saved index to its end:
 * {@code StreamUnstructuredSessionEvents(sid, index)}, events of the skipped types passed over,
 * the others delivered in batches, the index moved past each batch only once it is delivered.
 *
 * <p>While the output or Teleport is unreachable the stream is closed and the transfer waits and
 * tries again, from the index, without limit: an outage is never a reason to give a recording up.
 * Every stream is closed on every path (try-with-resources), which is what the Go handler failed to
 * do before #68282: its abandoned streams piled up on the Auth Service until it ran out of memory.
 *
 * <p>Batches are cut by event count and size only, never by time or by a failure, so reading again
 * from a saved index cuts the same batches: an object output then finds each one already written.
 */
final class SessionTransfer {

    /** Most bytes (of the events as Teleport sent them) in one batch; at least one event always goes. */
    static final long MAX_BATCH_BYTES = 4L * 1024 * 1024;

    private static final Logger LOG = LoggerFactory.getLogger(SessionTransfer.class);
    private static final long WARN_EVERY_NANOS = Duration.ofMinutes(1).toNanos();

    /** Hears about progress; called on the transfer's thread. */
    interface Progress {
        /** Every event before {@code nextIndex} is delivered or skipped. */
        void reached(long nextIndex);

        /** The output acknowledged {@code events} events. */
        void sent(int events);
    }

    /** Waits between tries; true when the exporter is stopping and the transfer should give way. */
    interface Pause {
        boolean sleep(Duration duration) throws InterruptedException;
    }

    /** Where the transfer stopped, and why. */
    enum Outcome {
        /** The recording was copied to its end. */
        FINISHED,
        /** The exporter is stopping; the index says where to resume. */
        STOPPED
    }

    private final TeleportClient teleport;
    private final SessionOutput output;
    private final Set<String> skipTypes;
    private final String sessionId;
    private final Progress progress;
    private final Pause pause;
    private final RetryDelay outageDelay;
    private final BooleanSupplier stopping;

    private long next;
    private Batch pending;
    private long afterPending;
    private long lastWarning;
    private boolean warned;

    SessionTransfer(TeleportClient teleport, SessionOutput output, Set<String> skipTypes, String sessionId,
            long fromIndex, Progress progress, Pause pause, RetryDelay outageDelay, BooleanSupplier stopping) {
        this.teleport = teleport;
        this.output = output;
        this.skipTypes = skipTypes;
        this.sessionId = sessionId;
        this.next = fromIndex;
        this.progress = progress;
        this.pause = pause;
        this.outageDelay = outageDelay;
        this.stopping = stopping;
    }

    /**
     * Copies the recording to its end, unless the exporter stops first.
     *
     * @throws TeleportException NOT_FOUND when there is no such recording (yet), or another error
     *     that waiting does not cure
     */
    Outcome run() throws InterruptedException {
        while (!stopping.getAsBoolean()) {
            try {
                if (pending != null) {
                    send(pending, afterPending);
                }
                if (copy()) {
                    return Outcome.FINISHED;
                }
            } catch (OutputUnavailableException e) {
                report("the output is unavailable: " + e.getMessage());
            } catch (TeleportException e) {
                if (!e.isRetryable() || stopping.getAsBoolean()) {
                    throw e;
                }
                report(e.getMessage());
            }
            if (!stopping.getAsBoolean() && pause.sleep(outageDelay.next())) {
                break;
            }
        }
        return Outcome.STOPPED;
    }

    /** The first index not yet delivered or skipped. */
    long nextIndex() {
        return next;
    }

    /** Streams from {@link #next} to the end; false if asked to stop. */
    private boolean copy() {
        List<AuditEvent> events = new ArrayList<>();
        long bytes = 0;
        long afterLast = next;
        try (ServerStream<EventUnstructured> stream = teleport.streamSessionEvents(sessionId, startIndex(next))) {
            while (stream.hasNext()) {
                if (stopping.getAsBoolean()) {
                    return false;
                }
                EventUnstructured item = stream.next();
                afterLast = Math.max(afterLast, item.getIndex() + 1);
                if (skipTypes.contains(item.getType())) {
                    if (events.isEmpty()) {
                        reach(afterLast);
                    }
                    continue;
                }
                events.add(toEvent(item));
                bytes += item.getUnstructured().getSerializedSize();
                if (events.size() >= output.batchEvents() || bytes >= MAX_BATCH_BYTES) {
                    send(new Batch(events), afterLast);
                    events = new ArrayList<>();
                    bytes = 0;
                }
            }
        }
        if (!events.isEmpty()) {
            send(new Batch(events), afterLast); // the stream is closed already: nothing waits on it
        }
        return true;
    }

    /** Delivers, or keeps the batch for the next try when the output cannot take it now. */
    private void send(Batch batch, long after) {
        try {
            output.deliver(sessionId, batch);
        } catch (OutputUnavailableException e) {
            pending = batch;
            afterPending = after;
            throw e;
        }
        pending = null;
        progress.sent(batch.size());
        outageDelay.reset();
        reach(after);
    }

    private void reach(long index) {
        next = index;
        progress.reached(index);
    }

    /** One warning a minute at most while an outage lasts; the rest at DEBUG. */
    private void report(String why) {
        long now = System.nanoTime();
        if (warned && now - lastWarning < WARN_EVERY_NANOS) {
            LOG.debug("Session {}: {}; trying again from index {}", sessionId, why, next);
            return;
        }
        LOG.warn("Session {}: {}; waiting and trying again from index {} for as long as it takes",
                sessionId, why, next);
        warned = true;
        lastWarning = now;
    }

    private static int startIndex(long index) {
        if (index > Integer.MAX_VALUE) {
            throw new IllegalStateException("index " + index + " is beyond what StreamUnstructuredSessionEvents takes");
        }
        return (int) index;
    }

    private static AuditEvent toEvent(EventUnstructured item) {
        Timestamp time = item.getTime();
        return new AuditEvent(item.getId(), item.getType(), Instant.ofEpochSecond(time.getSeconds(), time.getNanos()),
                item.getIndex(), item.getUnstructured());
    }
}
