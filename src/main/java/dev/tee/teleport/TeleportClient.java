package dev.tee.teleport;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import com.google.protobuf.Timestamp;
import dev.tee.teleport.proto.auditlog.AuditLogServiceGrpc;
import dev.tee.teleport.proto.auditlog.EventExportChunk;
import dev.tee.teleport.proto.auditlog.ExportUnstructuredEventsRequest;
import dev.tee.teleport.proto.auditlog.GetEventExportChunksRequest;
import dev.tee.teleport.proto.auditlog.GetUnstructuredEventsRequest;
import dev.tee.teleport.proto.auditlog.StreamUnstructuredSessionEventsRequest;
import dev.tee.teleport.proto.auth.AuthServiceGrpc;
import dev.tee.teleport.proto.raw.RawEvent;
import dev.tee.teleport.proto.raw.RawEvents;
import dev.tee.teleport.proto.raw.RawExportEvent;
import dev.tee.teleport.proto.auth.PingRequest;
import dev.tee.teleport.proto.auth.PingResponse;
import dev.tee.teleport.proto.types.LockV2;
import dev.tee.tls.TlsMaterial;
import io.grpc.CallOptions;
import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;

/**
 * The Teleport Auth Service calls the exporter makes, over one mutual-TLS gRPC channel, straight to
 * the Auth Service or through a Proxy with TLS routing ({@link TeleportRoute}), optionally with an
 * identity file re-read while running. Failures come out as {@link TeleportException} (or
 * {@link dev.tee.config.ConfigException} when the credentials or the address cannot work).
 * Thread-safe.
 */
public final class TeleportClient implements AutoCloseable {

    public static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofSeconds(30);

    // Teleport's methods, answered in the raw twins of its messages (raw_events.proto): each event's
    // Struct stays bytes until it is printed, off the reading thread.
    private static final MethodDescriptor<GetUnstructuredEventsRequest, RawEvents> SEARCH =
            rawAnswers(AuditLogServiceGrpc.getGetUnstructuredEventsMethod(), RawEvents.getDefaultInstance());
    private static final MethodDescriptor<StreamUnstructuredSessionEventsRequest, RawEvent> SESSION =
            rawAnswers(AuditLogServiceGrpc.getStreamUnstructuredSessionEventsMethod(), RawEvent.getDefaultInstance());
    private static final MethodDescriptor<ExportUnstructuredEventsRequest, RawExportEvent> EXPORT =
            rawAnswers(AuditLogServiceGrpc.getExportUnstructuredEventsMethod(), RawExportEvent.getDefaultInstance());

    private final TeleportRoute route;
    private final Duration callTimeout;
    private final LiveCredentials credentials;
    private final List<ClientInterceptor> interceptors;
    private final TeleportErrors errors;
    private ManagedChannel channel;
    /** Channels replaced after an identity change, still carrying the calls that began on them. */
    private final List<ManagedChannel> retired = new ArrayList<>();
    private String proxyClusterName;
    private boolean closed;

    /** A client straight to the Auth Service at {@code address} (host:port). */
    public TeleportClient(String address, TeleportCredentials credentials) {
        this(address, credentials, DEFAULT_CALL_TIMEOUT);
    }

    /** {@code callTimeout} is the deadline of each unary call; streams have none (close them instead). */
    public TeleportClient(String address, TeleportCredentials credentials, Duration callTimeout) {
        this(TeleportRoute.direct(address), LiveCredentials.fixed(credentials), callTimeout, List.of());
    }

    private TeleportClient(TeleportRoute route, LiveCredentials credentials, Duration callTimeout,
            List<ClientInterceptor> interceptors) {
        this.route = route;
        this.callTimeout = callTimeout;
        this.credentials = credentials;
        this.interceptors = List.copyOf(interceptors);
        this.errors = new TeleportErrors(route, credentials::current, credentials.isReloading(), callTimeout);
        credentials.onChange(this::reconnect);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Settings of a client: a route, credentials (fixed or an identity file re-read), a call timeout. */
    public static final class Builder {
        private TeleportRoute route;
        private TeleportCredentials credentials;
        private Path identityFile;
        private Duration refreshInterval;
        private Duration callTimeout = DEFAULT_CALL_TIMEOUT;
        private final List<ClientInterceptor> interceptors = new ArrayList<>();

        private Builder() {
        }

        /** Sees every call the client makes, e.g. to tell whether Teleport answers (the health check). */
        public Builder interceptor(ClientInterceptor interceptor) {
            interceptors.add(interceptor);
            return this;
        }

        /** Where to connect; see {@link TeleportRoute#of} for the rule the configuration uses. */
        public Builder route(TeleportRoute route) {
            this.route = route;
            return this;
        }

        /** Fixed credentials (an identity file read once, or the cert/key/CA trio). */
        public Builder credentials(TeleportCredentials credentials) {
            this.credentials = credentials;
            this.identityFile = null;
            return this;
        }

        /** The identity file, read when the client is built (and re-read with {@link #refreshEvery}). */
        public Builder identityFile(Path identityFile) {
            this.identityFile = identityFile;
            this.credentials = null;
            return this;
        }

        /**
         * Re-reads the identity file every {@code interval} and uses a renewed certificate for new
         * connections ({@code teleport.refresh.enabled}, for tbot); null (the default) reads it once.
         */
        public Builder refreshEvery(Duration interval) {
            this.refreshInterval = interval;
            return this;
        }

        /** The deadline of each unary call (default 30 s), also the timeout of the Proxy's /webapi/find. */
        public Builder callTimeout(Duration callTimeout) {
            this.callTimeout = callTimeout;
            return this;
        }

        /**
         * The client; it connects on its first call.
         *
         * @throws dev.tee.config.ConfigException when the identity file cannot be used
         */
        public TeleportClient build() {
            if (route == null) {
                throw new IllegalStateException("a TeleportClient needs a route");
            }
            LiveCredentials live;
            if (identityFile != null) {
                Path file = identityFile;
                TeleportCredentials initial = IdentityFile.load(file);
                live = refreshInterval == null ? LiveCredentials.fixed(initial)
                        : LiveCredentials.reloading(initial, () -> IdentityFile.load(file), refreshInterval);
            } else if (credentials != null) {
                if (refreshInterval != null) {
                    throw new IllegalStateException("only an identity file can be refreshed");
                }
                live = LiveCredentials.fixed(credentials);
            } else {
                throw new IllegalStateException("a TeleportClient needs credentials or an identity file");
            }
            return new TeleportClient(route, live, callTimeout, interceptors);
        }
    }

    public String address() {
        return route.address();
    }

    public TeleportRoute route() {
        return route;
    }

    /** The identity in use now: the latest successfully read one when the identity file is refreshed. */
    public TeleportCredentials credentials() {
        return credentials.current();
    }

    /** How many re-reads of the identity file failed so far (each run of failures logs one warning). */
    public int failedIdentityRefreshes() {
        return credentials.failedReloads();
    }

    public PingResponse ping() {
        return unary("Ping", () -> withDeadline(auth()).ping(PingRequest.getDefaultInstance()));
    }

    /** One page of the audit log (the legacy read path); page on with the response's last_key. */
    public RawEvents getUnstructuredEvents(GetUnstructuredEventsRequest request) {
        return unary("GetUnstructuredEvents", () -> ClientCalls.blockingUnaryCall(channel(), SEARCH,
                CallOptions.DEFAULT.withDeadlineAfter(callTimeout.toMillis(), TimeUnit.MILLISECONDS), request));
    }

    /** The events of one recorded session with index ≥ {@code startIndex}; NOT_FOUND while it is not uploaded. */
    public ServerStream<RawEvent> streamSessionEvents(String sessionId, int startIndex) {
        StreamUnstructuredSessionEventsRequest request = StreamUnstructuredSessionEventsRequest.newBuilder()
                .setSessionId(sessionId).setStartIndex(startIndex).build();
        return stream("StreamUnstructuredSessionEvents", SESSION, request);
    }

    /** The export chunks of the UTC date of {@code date}; UNIMPLEMENTED when the backend cannot export. */
    public ServerStream<EventExportChunk> getEventExportChunks(Instant date) {
        GetEventExportChunksRequest request = GetEventExportChunksRequest.newBuilder().setDate(timestamp(date)).build();
        return stream("GetEventExportChunks", AuditLogServiceGrpc.getGetEventExportChunksMethod(), request);
    }

    /** The events of one export chunk, after {@code cursor} (empty: from the start of the chunk). */
    public ServerStream<RawExportEvent> exportUnstructuredEvents(Instant date, String chunk, String cursor) {
        ExportUnstructuredEventsRequest request = ExportUnstructuredEventsRequest.newBuilder()
                .setDate(timestamp(date)).setChunk(chunk).setCursor(cursor == null ? "" : cursor).build();
        return stream("ExportUnstructuredEvents", EXPORT, request);
    }

    public void upsertLock(LockV2 lock) {
        unary("UpsertLock", () -> withDeadline(auth()).upsertLock(lock));
    }

    /** Closes the channel, cancelling calls still running after a short grace period; stops the refresh. */
    @Override
    public void close() {
        List<ManagedChannel> open = new ArrayList<>();
        synchronized (this) {
            closed = true;
            if (channel != null) {
                open.add(channel);
            }
            open.addAll(retired);
            channel = null;
            retired.clear();
        }
        credentials.close();
        open.forEach(ManagedChannel::shutdown);
        try {
            for (ManagedChannel each : open) {
                if (!each.awaitTermination(5, TimeUnit.SECONDS)) {
                    each.shutdownNow();
                }
            }
        } catch (InterruptedException e) {
            open.forEach(ManagedChannel::shutdownNow);
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The channel, opened on first use with the identity in use then. Through a Proxy without a
     * configured cluster name, the first one asks the Proxy's /webapi/find for it (the ALPN routing
     * value needs it).
     */
    private synchronized ManagedChannel channel() {
        if (closed) {
            throw new TeleportException(Status.Code.CANCELLED, "the Teleport client is closed", null);
        }
        if (channel == null) {
            Optional<String> routedCluster = Optional.empty();
            if (route.viaProxy()) {
                if (proxyClusterName == null) {
                    proxyClusterName = route.clusterName().orElseGet(
                            () -> WebFind.ask(route.address(), credentials.current(), callTimeout).clusterName());
                }
                routedCluster = Optional.of(proxyClusterName);
            }
            TeleportCredentials identity = credentials.current();
            channel = TeleportDialer.dial(route.address(), TeleportRoute.protocols(routedCluster),
                    TlsMaterial.keyManager(identity.certificateChain(), identity.privateKey()),
                    TlsMaterial.trustManager(identity.trustedAuthorities()), interceptors);
        }
        return channel;
    }

    /**
     * After an identity change: the next call opens a new channel, hence new connections with the new
     * identity (a new TLS context, so no session of the old identity is resumed), while the calls in
     * progress finish on the old one, which closes once they have.
     */
    private void reconnect() {
        ManagedChannel old;
        synchronized (this) {
            old = channel;
            channel = null;
            retired.removeIf(ManagedChannel::isTerminated);
            if (old != null) {
                retired.add(old);
            }
        }
        if (old != null) {
            old.shutdown();
        }
    }

    private AuthServiceGrpc.AuthServiceBlockingStub auth() {
        return AuthServiceGrpc.newBlockingStub(channel());
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

    private <Q, T> ServerStream<T> stream(String name, MethodDescriptor<Q, T> method, Q request) {
        return ServerStream.open(channel(), method, request, e -> failure(name, e));
    }

    private RuntimeException failure(String method, StatusRuntimeException e) {
        if (e.getStatus().getCode() == Status.Code.UNAVAILABLE) {
            // gRPC backs reconnects off up to 2 minutes; the caller's retry schedule should decide instead.
            synchronized (this) {
                if (channel != null) {
                    channel.resetConnectBackoff();
                }
            }
        }
        return errors.translate(method, e);
    }

    private static <Q, T, R extends com.google.protobuf.Message> MethodDescriptor<Q, R> rawAnswers(
            MethodDescriptor<Q, T> method, R answer) {
        return method.toBuilder(method.getRequestMarshaller(), ProtoUtils.marshaller(answer)).build();
    }

    private static Timestamp timestamp(Instant instant) {
        return Timestamp.newBuilder().setSeconds(instant.getEpochSecond()).setNanos(instant.getNano()).build();
    }
}
