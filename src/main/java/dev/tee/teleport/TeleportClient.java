package dev.tee.teleport;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import com.google.protobuf.Timestamp;
import dev.tee.teleport.proto.auditlog.AuditLogServiceGrpc;
import dev.tee.teleport.proto.auditlog.EventExportChunk;
import dev.tee.teleport.proto.auditlog.EventUnstructured;
import dev.tee.teleport.proto.auditlog.EventsUnstructured;
import dev.tee.teleport.proto.auditlog.ExportEventUnstructured;
import dev.tee.teleport.proto.auditlog.ExportUnstructuredEventsRequest;
import dev.tee.teleport.proto.auditlog.GetEventExportChunksRequest;
import dev.tee.teleport.proto.auditlog.GetUnstructuredEventsRequest;
import dev.tee.teleport.proto.auditlog.StreamUnstructuredSessionEventsRequest;
import dev.tee.teleport.proto.auth.AuthServiceGrpc;
import dev.tee.teleport.proto.auth.PingRequest;
import dev.tee.teleport.proto.auth.PingResponse;
import dev.tee.teleport.proto.types.LockV2;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * The Teleport Auth Service calls the exporter makes, over one mutual-TLS gRPC channel. Failures come
 * out as {@link TeleportException} (or {@link dev.tee.config.ConfigException} when the credentials
 * cannot work with this server). Thread-safe.
 */
public final class TeleportClient implements AutoCloseable {

    public static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofSeconds(30);

    private final String address;
    private final Duration callTimeout;
    private final ManagedChannel channel;
    private final AuthServiceGrpc.AuthServiceBlockingStub auth;
    private final AuditLogServiceGrpc.AuditLogServiceBlockingStub auditLog;
    private final TeleportErrors errors;

    public TeleportClient(String address, TeleportCredentials credentials) {
        this(address, credentials, DEFAULT_CALL_TIMEOUT);
    }

    /** {@code callTimeout} is the deadline of each unary call; streams have none (close them instead). */
    public TeleportClient(String address, TeleportCredentials credentials, Duration callTimeout) {
        this.address = address;
        this.callTimeout = callTimeout;
        this.channel = TeleportDialer.dial(address, credentials);
        this.auth = AuthServiceGrpc.newBlockingStub(channel);
        this.auditLog = AuditLogServiceGrpc.newBlockingStub(channel);
        this.errors = new TeleportErrors(address, credentials, callTimeout);
    }

    public String address() {
        return address;
    }

    public PingResponse ping() {
        return unary("Ping", () -> withDeadline(auth).ping(PingRequest.getDefaultInstance()));
    }

    /** One page of the audit log (the legacy read path); page on with the response's last_key. */
    public EventsUnstructured getUnstructuredEvents(GetUnstructuredEventsRequest request) {
        return unary("GetUnstructuredEvents", () -> withDeadline(auditLog).getUnstructuredEvents(request));
    }

    /** The events of one recorded session with index ≥ {@code startIndex}; NOT_FOUND while it is not uploaded. */
    public ServerStream<EventUnstructured> streamSessionEvents(String sessionId, int startIndex) {
        StreamUnstructuredSessionEventsRequest request = StreamUnstructuredSessionEventsRequest.newBuilder()
                .setSessionId(sessionId).setStartIndex(startIndex).build();
        return stream("StreamUnstructuredSessionEvents", () -> auditLog.streamUnstructuredSessionEvents(request));
    }

    /** The export chunks of the UTC date of {@code date}; UNIMPLEMENTED when the backend cannot export. */
    public ServerStream<EventExportChunk> getEventExportChunks(Instant date) {
        GetEventExportChunksRequest request = GetEventExportChunksRequest.newBuilder().setDate(timestamp(date)).build();
        return stream("GetEventExportChunks", () -> auditLog.getEventExportChunks(request));
    }

    /** The events of one export chunk, after {@code cursor} (empty: from the start of the chunk). */
    public ServerStream<ExportEventUnstructured> exportUnstructuredEvents(Instant date, String chunk, String cursor) {
        ExportUnstructuredEventsRequest request = ExportUnstructuredEventsRequest.newBuilder()
                .setDate(timestamp(date)).setChunk(chunk).setCursor(cursor == null ? "" : cursor).build();
        return stream("ExportUnstructuredEvents", () -> auditLog.exportUnstructuredEvents(request));
    }

    public void upsertLock(LockV2 lock) {
        unary("UpsertLock", () -> withDeadline(auth).upsertLock(lock));
    }

    /** Closes the channel, cancelling calls still running after a short grace period. */
    @Override
    public void close() {
        channel.shutdown();
        try {
            if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
                channel.shutdownNow();
            }
        } catch (InterruptedException e) {
            channel.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    private <S extends io.grpc.stub.AbstractStub<S>> S withDeadline(S stub) {
        return stub.withDeadlineAfter(callTimeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private <T> T unary(String method, Supplier<T> call) {
        try {
            return call.get();
        } catch (StatusRuntimeException e) {
            throw failure(method, e);
        }
    }

    private <T> ServerStream<T> stream(String method, Supplier<java.util.Iterator<T>> start) {
        return ServerStream.open(start, e -> failure(method, e));
    }

    private RuntimeException failure(String method, StatusRuntimeException e) {
        if (e.getStatus().getCode() == Status.Code.UNAVAILABLE) {
            // gRPC backs reconnects off up to 2 minutes; the caller's retry schedule should decide instead.
            channel.resetConnectBackoff();
        }
        return errors.translate(method, e);
    }

    private static Timestamp timestamp(Instant instant) {
        return Timestamp.newBuilder().setSeconds(instant.getEpochSecond()).setNanos(instant.getNano()).build();
    }
}
