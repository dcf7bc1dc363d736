package dev.tee.session;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;

import com.google.protobuf.Timestamp;
import dev.tee.event.AuditEvent;
import dev.tee.event.Batch;
import dev.tee.teleport.ServerStream;
import dev.tee.teleport.TeleportClient;
import dev.tee.teleport.proto.raw.RawEvent;

/**
 * Copies one session recording from Teleport to the output, from an index to its end:
 * {@code StreamUnstructuredSessionEvents(sid, index)}, events of the skipped types passed over,
 * the others delivered in batches, the index moved past each batch only once it is delivered.
 *
 * <p>A failure ends the transfer (the session-recordings route decides what comes next); the stream
 * is closed on every path (try-with-resources), which is what the Go handler failed to do before
 * #68282: its abandoned streams piled up on the Auth Service until it ran out of memory.
 *
 * <p>Batches are cut by event count and size only, never by time or by a failure, so reading again
 * from a saved index cuts the same batches: an object output then finds each one already written.
 */
final class SessionTransfer {

    /** Most bytes (of the events as Teleport sent them) in one batch; at least one event always goes. */
    static final long MAX_BATCH_BYTES = 4L * 1024 * 1024;

    /** Hears about progress; called on the transfer's thread. */
    interface Progress {
        /** Every event before {@code nextIndex} is delivered or skipped. */
        void reached(long nextIndex);

        /** The output acknowledged {@code events} events. */
        void sent(int events);
    }

    /** Where the transfer stopped. */
    enum Outcome {
        /** The recording was copied to its end. */
        FINISHED,
        /** The exporter is stopping; the index reached says where to resume. */
        STOPPED
    }

    private final TeleportClient teleport;
    private final SessionOutput output;
    private final Set<String> skipTypes;
    private final String sessionId;
    private final Progress progress;
    private final BooleanSupplier stopping;
    private final long fromIndex;
    private final BatchRoom room;

    /** @param room shared by the transfers that run side by side: what their batches may hold in all */
    SessionTransfer(TeleportClient teleport, SessionOutput output, Set<String> skipTypes, String sessionId,
            long fromIndex, Progress progress, BooleanSupplier stopping, BatchRoom room) {
        this.teleport = teleport;
        this.room = room;
        this.output = output;
        this.skipTypes = skipTypes;
        this.sessionId = sessionId;
        this.fromIndex = fromIndex;
        this.progress = progress;
        this.stopping = stopping;
    }

    /**
     * Copies the recording to its end, unless the exporter stops first.
     *
     * @throws dev.tee.teleport.TeleportException NOT_FOUND when there is no such recording (yet),
     *     UNAVAILABLE when Teleport cannot be reached or the stream was cut, or another error
     * @throws dev.tee.sink.OutputUnavailableException when the output cannot take a batch now
     */
    Outcome run() {
        List<AuditEvent> events = new ArrayList<>();
        long bytes = 0;
        long afterLast = fromIndex;
        BatchRoom.Share share = room.share();
        try {
            try (ServerStream<RawEvent> stream = teleport.streamSessionEvents(sessionId, startIndex(fromIndex))) {
                while (stream.hasNext()) {
                    if (stopping.getAsBoolean()) {
                        return Outcome.STOPPED;
                    }
                    RawEvent item = stream.next();
                    afterLast = Math.max(afterLast, item.getIndex() + 1);
                    if (skipTypes.contains(item.getType())) {
                        if (events.isEmpty()) {
                            progress.reached(afterLast);
                        }
                        continue;
                    }
                    int size = item.getUnstructured().size();
                    if (!share.take(size, stopping)) {
                        return Outcome.STOPPED;
                    }
                    events.add(toEvent(item));
                    bytes += size;
                    if (events.size() >= output.batchEvents() || bytes >= MAX_BATCH_BYTES) {
                        send(new Batch(events), afterLast);
                        share.release();
                        events = new ArrayList<>();
                        bytes = 0;
                    }
                }
            }
            if (!events.isEmpty()) {
                send(new Batch(events), afterLast); // the stream is closed already: nothing waits on it
            }
            return Outcome.FINISHED;
        } finally {
            share.release();
        }
    }

    private void send(Batch batch, long after) {
        output.deliver(sessionId, batch);
        progress.sent(batch.size());
        progress.reached(after);
    }

    private static int startIndex(long index) {
        if (index > Integer.MAX_VALUE) {
            throw new IllegalStateException("index " + index + " is beyond what StreamUnstructuredSessionEvents takes");
        }
        return (int) index;
    }

    private static AuditEvent toEvent(RawEvent item) {
        Timestamp time = item.getTime();
        return new AuditEvent(item.getId(), item.getType(), Instant.ofEpochSecond(time.getSeconds(), time.getNanos()),
                item.getIndex(), item.getUnstructured().toByteArray(), dev.tee.state.Receipt.NONE);
    }
}
