package dev.tee.demo;

import java.time.Instant;
import java.util.Set;

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
 * {@code teleport.auditlog.v1.AuditLogService} as a Teleport Auth Service with a backend without
 * streaming export (DynamoDB-like) answers it: paged search over the fake audit log, UNIMPLEMENTED
 * bulk export, and no session recordings.
 */
final class FakeAuditLogService extends AuditLogServiceGrpc.AuditLogServiceImplBase {

    /** Teleport's defaults: a page of 500 when no limit is given, at most 10000. */
    static final int DEFAULT_LIMIT = 500;
    static final int MAX_LIMIT = 10_000;

    private final FakeAuditLog log;

    FakeAuditLogService(FakeAuditLog log) {
        this.log = log;
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
        responses.onError(Status.NOT_FOUND
                .withDescription("session recording " + request.getSessionId() + " is not found")
                .asRuntimeException());
    }

    @Override
    public void getEventExportChunks(GetEventExportChunksRequest request, StreamObserver<EventExportChunk> responses) {
        responses.onError(exportUnsupported());
    }

    @Override
    public void exportUnstructuredEvents(ExportUnstructuredEventsRequest request,
            StreamObserver<ExportEventUnstructured> responses) {
        responses.onError(exportUnsupported());
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
