package dev.tee.demo;

import java.time.Instant;
import java.time.LocalDate;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import com.google.protobuf.Timestamp;
import dev.tee.teleport.proto.auditlog.AuditLogServiceGrpc;
import dev.tee.teleport.proto.auditlog.EventExportChunk;
import dev.tee.teleport.proto.auditlog.EventUnstructured;
import dev.tee.teleport.proto.auditlog.EventsUnstructured;
import dev.tee.teleport.proto.auditlog.ExportEventUnstructured;
import dev.tee.teleport.proto.auditlog.ExportUnstructuredEventsRequest;
import dev.tee.teleport.proto.auditlog.GetEventExportChunksRequest;
import dev.tee.teleport.proto.auditlog.GetUnstructuredEventsRequest;
import dev.tee.teleport.proto.auditlog.Order;
import dev.tee.teleport.proto.auditlog.StreamUnstructuredSessionEventsRequest;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;

/**
 * {@code teleport.auditlog.v1.AuditLogService} as a Teleport Auth Service answers it: paged search
 * over the fake audit log, bulk export like the Athena backend (or UNIMPLEMENTED like DynamoDB), and
 * the uploaded session recordings.
 */
final class FakeAuditLogService extends AuditLogServiceGrpc.AuditLogServiceImplBase {

    /** Teleport's defaults: a page of 500 when no limit is given, at most 10000. */
    static final int DEFAULT_LIMIT = 500;
    static final int MAX_LIMIT = 10_000;

    private final FakeAuditLog log;
    private final FakeExport export;
    private final FakeRecordings recordings;
    private final AtomicInteger openStreams;

    /** {@code export} null: the backend cannot export (UNIMPLEMENTED), as DynamoDB. */
    FakeAuditLogService(FakeAuditLog log, FakeExport export, FakeRecordings recordings, AtomicInteger openStreams) {
        this.log = log;
        this.export = export;
        this.recordings = recordings;
        this.openStreams = openStreams;
    }

    @Override
    public void getUnstructuredEvents(GetUnstructuredEventsRequest request,
            StreamObserver<EventsUnstructured> responses) {
        if (!request.getNamespace().isEmpty() && !request.getNamespace().equals("default")) {
            responses.onError(invalid("namespace \"" + request.getNamespace() + "\" is not supported"));
            return;
        }
        if (request.getLimit() > MAX_LIMIT) {
            responses.onError(invalid("limit " + request.getLimit() + " exceeds " + MAX_LIMIT));
            return;
        }
        if (request.getOrder() == Order.UNRECOGNIZED) {
            responses.onError(invalid("unknown order " + request.getOrderValue()));
            return;
        }
        Instant from = instant(request.getStartDate());
        Instant to = instant(request.getEndDate());
        if (to.isBefore(from)) {
            responses.onError(invalid("end_date " + to + " is before start_date " + from));
            return;
        }
        PageKey after = null;
        if (!request.getStartKey().isEmpty()) {
            try {
                after = PageKey.decode(request.getStartKey());
            } catch (IllegalArgumentException e) {
                responses.onError(invalid(e.getMessage()));
                return;
            }
        }
        int limit = request.getLimit() <= 0 ? DEFAULT_LIMIT : request.getLimit();
        FakeAuditLog.Page page = log.search(from, to, Set.copyOf(request.getEventTypesList()), limit,
                request.getOrder() == Order.ORDER_ASCENDING, after);
        responses.onNext(EventsUnstructured.newBuilder().addAllItems(page.items()).setLastKey(page.lastKey()).build());
        responses.onCompleted();
    }

    @Override
    public void streamUnstructuredSessionEvents(StreamUnstructuredSessionEventsRequest request,
            StreamObserver<EventUnstructured> responses) {
        String sessionId = request.getSessionId();
        Optional<Status> breakage = recordings.breakage(sessionId);
        if (breakage.isPresent()) {
            responses.onError(breakage.get().asRuntimeException());
            return;
        }
        Optional<List<EventUnstructured>> recording = recordings.events(sessionId);
        if (recording.isEmpty()) {
            responses.onError(Status.NOT_FOUND.withDescription("session recording " + sessionId + " is not found")
                    .asRuntimeException());
            return;
        }
        Iterator<EventUnstructured> events = recording.get().stream()
                .filter(event -> event.getIndex() >= request.getStartIndex()).iterator();
        OutboundStream.Cut cut = recordings.takeCut(sessionId)
                .map(after -> new OutboundStream.Cut(after, Status.UNAVAILABLE
                        .withDescription("session stream cut midway (fault injection)")))
                .orElse(null);
        OutboundStream.serve(responses, events, cut, openStreams);
    }

    /** Athena's rules: the date is required, only its UTC date counts, a day without events is empty. */
    @Override
    public void getEventExportChunks(GetEventExportChunksRequest request, StreamObserver<EventExportChunk> responses) {
        if (export == null) {
            responses.onError(exportUnsupported());
            return;
        }
        if (isMissing(request.hasDate(), request.getDate())) {
            responses.onError(invalid("missing required parameter 'date'"));
            return;
        }
        Iterator<EventExportChunk> chunks = export.chunks().list(FakeExportChunks.date(instant(request.getDate())))
                .stream().map(name -> EventExportChunk.newBuilder().setChunk(name).build()).iterator();
        OutboundStream.serve(responses, chunks, null, openStreams);
    }

    @Override
    public void exportUnstructuredEvents(ExportUnstructuredEventsRequest request,
            StreamObserver<ExportEventUnstructured> responses) {
        if (export == null) {
            responses.onError(exportUnsupported());
            return;
        }
        if (isMissing(request.hasDate(), request.getDate())) {
            responses.onError(invalid("missing required parameter 'date'"));
            return;
        }
        if (request.getChunk().isEmpty()) {
            responses.onError(invalid("missing required parameter 'chunk'"));
            return;
        }
        LocalDate date = FakeExportChunks.date(instant(request.getDate()));
        Optional<FakeExportChunks.Chunk> found = export.chunks().chunk(date, request.getChunk());
        if (found.isEmpty()) {
            responses.onError(Status.NOT_FOUND.withDescription("export chunk " + request.getChunk() + " of " + date
                    + " is not found").asRuntimeException());
            return;
        }
        FakeExportChunks.Chunk chunk = found.get();
        int startRow;
        try {
            startRow = FakeExportChunks.startRow(request.getCursor(), chunk);
        } catch (IllegalArgumentException e) {
            responses.onError(invalid(e.getMessage()));
            return;
        }
        List<EventUnstructured> rows = chunk.events();
        Iterator<ExportEventUnstructured> events = IntStream.range(startRow, rows.size())
                .mapToObj(row -> ExportEventUnstructured.newBuilder().setEvent(rows.get(row))
                        .setCursor(FakeExportChunks.cursor(row + 1)).build())
                .iterator();
        OutboundStream.serve(responses, events, export.cutFor(rows.size() - startRow), openStreams);
    }

    /** A Timestamp that is absent or zero: Go's zero time.Time, which Teleport treats as "not given". */
    private static boolean isMissing(boolean present, Timestamp timestamp) {
        return !present || (timestamp.getSeconds() == 0 && timestamp.getNanos() == 0);
    }

    private static RuntimeException exportUnsupported() {
        return Status.UNIMPLEMENTED.withDescription("backend does not support streaming export").asRuntimeException();
    }

    private static RuntimeException invalid(String message) {
        return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
    }

    private static Instant instant(Timestamp timestamp) {
        return Instant.ofEpochSecond(timestamp.getSeconds(), timestamp.getNanos());
    }
}
