package dev.tee.teleport;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
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
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Teleport Auth Service calls the exporter makes, over one mutual-TLS gRPC channel, straight to
 * the Auth Service or through a Proxy with TLS routing ({@link TeleportRoute}), optionally with an
 * identity file re-read while running. Given only an address, the first connection races both ways
 * ({@link DialRace}) and the winner is kept for every later connection (a restart races again).
 *
 * <p>Failures come out as {@link TeleportException}, or as a {@link dev.tee.config.ConfigException}
 * when the address or the credentials cannot work: a {@link TeleportRefusal} when Teleport refuses
 * them. Once Teleport has answered this client, such a refusal means something changed while running
 * (a certificate expired, a CA rotated, a role was edited): it is then logged once at ERROR, handed
 * to the refusal listener, and thrown as a retryable {@link TeleportException#isRefusal() refusal},
 * so that the exporter keeps trying until a renewed identity or a fixed role cures it. Thread-safe.
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

    private static final Logger LOG = LoggerFactory.getLogger(TeleportClient.class);

    private final String address;
    /** With a race: teleport.cluster-name, if given. */
    private final Optional<String> clusterName;
    private final Duration callTimeout;
    private final LiveCredentials credentials;
    private final List<ClientInterceptor> interceptors;
    private final Consumer<Optional<String>> refusals;
    /** The route in use: the one given, or the race's winner; null until the race is won. */
    private volatile TeleportRoute route;
    private volatile DialRace race;
    private ManagedChannel channel;
    /** Channels replaced after an identity change, still carrying the calls that began on them. */
    private final List<ManagedChannel> retired = new ArrayList<>();
    private String proxyClusterName;
    private boolean closed;
    /** Whether Teleport has ever answered a call of this client: refusals after that are retried. */
    private volatile boolean answered;
    /** The refusal reported last, until Teleport answers again; under its own lock, as a race holds the client's. */
    private final AtomicReference<String> refusal = new AtomicReference<>();

    /** A client straight to the Auth Service at {@code address} (host:port). */
    public TeleportClient(String address, TeleportCredentials credentials) {
        this(address, credentials, DEFAULT_CALL_TIMEOUT);
    }

    /** {@code callTimeout} is the deadline of each unary call; streams have none (close them instead). */
    public TeleportClient(String address, TeleportCredentials credentials, Duration callTimeout) {
        this(TeleportRoute.direct(address), null, Optional.empty(), LiveCredentials.fixed(credentials), callTimeout,
                List.of(), refusal -> { });
    }

    private TeleportClient(TeleportRoute route, String address, Optional<String> clusterName,
            LiveCredentials credentials, Duration callTimeout, List<ClientInterceptor> interceptors,
            Consumer<Optional<String>> refusals) {
        this.route = route;
        this.address = route != null ? route.address() : address;
        this.clusterName = clusterName;
        this.callTimeout = callTimeout;
        this.credentials = credentials;
        List<ClientInterceptor> all = new ArrayList<>(interceptors);
        all.add(new AnswerWatch());
        this.interceptors = List.copyOf(all);
        this.refusals = refusals;
        credentials.onChange(this::reconnect);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Settings of a client: a route, credentials (fixed or an identity file re-read), a call timeout. */
    public static final class Builder {
        private TeleportRoute route;
        private String address;
        private Optional<String> clusterName = Optional.empty();
        private Consumer<Optional<String>> refusals = refusal -> { };
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

        /** Exactly this way to the Auth Service, without a race. */
        public Builder route(TeleportRoute route) {
            this.route = route;
            this.address = null;
            return this;
        }

        /**
         * {@code teleport.addr} and {@code teleport.cluster-name}: the first connection races the direct
         * dial and the Proxy route at {@code address}, as Teleport's client does, and keeps the winner.
         *
         * @throws dev.tee.config.ConfigException when {@code address} is not host:port
         */
        public Builder address(String address, Optional<String> clusterName) {
            TeleportDialer.checkAddress(address);
            this.address = address;
            this.clusterName = clusterName.map(String::strip).filter(name -> !name.isEmpty());
            this.route = null;
            return this;
        }

        /**
         * Told of each refusal of a client Teleport had answered before (its message), and told
         * {@code Optional.empty()} once Teleport answers again: for the health check.
         */
        public Builder onRefusal(Consumer<Optional<String>> refusals) {
            this.refusals = refusals;
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

        /** The identity file, already read into {@code loaded} (and re-read with {@link #refreshEvery}). */
        public Builder identityFile(Path identityFile, TeleportCredentials loaded) {
            this.identityFile = identityFile;
            this.credentials = loaded;
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
            if (route == null && address == null) {
                throw new IllegalStateException("a TeleportClient needs a route or an address");
            }
            LiveCredentials live;
            if (identityFile != null) {
                Path file = identityFile;
                TeleportCredentials initial = credentials != null ? credentials : IdentityFile.load(file);
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
            return new TeleportClient(route, address, clusterName, live, callTimeout, interceptors, refusals);
        }
    }

    public String address() {
        return address;
    }

    /** The way to the Auth Service in use; empty while a race has not been won yet. */
    public Optional<TeleportRoute> route() {
        return Optional.ofNullable(route);
    }

    /** The identity in use now: the latest successfully read one when the identity file is refreshed. */
    public TeleportCredentials credentials() {
        return credentials.current();
    }

    /**
     * Uses {@code renewed} (read again on SIGHUP) for every new connection: the next call connects
     * anew, calls in progress finish on the old connection. False when it is the identity in use.
     */
    public boolean useCredentials(TeleportCredentials renewed) {
        return credentials.replace(renewed);
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
        DialRace running = race;
        if (running != null) {
            running.cancel(); // a race holds the client's lock while it runs: end it first
        }
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
     * The channel, opened on first use with the identity in use then. Without a route yet, the race
     * picks one (and its channel); through a Proxy without a cluster name, the first channel asks the
     * Proxy's /webapi/find for it (the ALPN routing value needs it).
     */
    private synchronized ManagedChannel channel() {
        if (closed) {
            throw new TeleportException(Status.Code.CANCELLED, "the Teleport client is closed", null);
        }
        if (channel == null && route == null) {
            race = new DialRace(address, clusterName, credentials.current(), callTimeout, this::open, this::errors);
            try {
                DialRace.Winner winner = race.run();
                route = winner.route();
                channel = winner.channel();
                LOG.info(winner.report());
            } finally {
                race = null;
            }
        }
        if (channel == null) {
            if (route.viaProxy() && proxyClusterName == null) {
                proxyClusterName = route.clusterName().orElseGet(
                        () -> WebFind.ask(route.address(), credentials.current(), callTimeout).clusterName());
            }
            channel = open(route.viaProxy() ? TeleportRoute.proxy(route.address(), proxyClusterName) : route);
        }
        return channel;
    }

    /** A channel for {@code route} (with its cluster name, through a Proxy) and the identity in use now. */
    private ManagedChannel open(TeleportRoute route) {
        TeleportCredentials identity = credentials.current();
        return TeleportDialer.dial(route.address(), TeleportRoute.protocols(route.clusterName()),
                TlsMaterial.keyManager(identity.certificateChain(), identity.privateKey()),
                TlsMaterial.trustManager(identity.trustedAuthorities()), interceptors);
    }

    private TeleportErrors errors(TeleportRoute route) {
        return new TeleportErrors(route, credentials::current, credentials.isReloading(), callTimeout);
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
        } catch (TeleportRefusal e) {
            throw refused(e); // the race to a new route, refused
        }
    }

    private <Q, T> ServerStream<T> stream(String name, MethodDescriptor<Q, T> method, Q request) {
        try {
            return ServerStream.open(channel(), method, request, e -> failure(name, e));
        } catch (TeleportRefusal e) {
            throw refused(e);
        }
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
        RuntimeException failure = errors(route).translate(method, e);
        if (failure instanceof TeleportRefusal refusal) {
            return refused(refusal);
        }
        if (answered && failure instanceof TeleportException teleport
                && teleport.code() == Status.Code.PERMISSION_DENIED && !method.equals("UpsertLock")
                && !String.valueOf(e.getStatus().getDescription()).contains("client version")) {
            // the role lost a right it had: reading waits for the fix (locking says so on its own)
            report(teleport.getMessage());
            return TeleportException.refusal(Status.Code.PERMISSION_DENIED, teleport.getMessage(), e);
        }
        return failure;
    }

    /**
     * A refusal: as it is before Teleport ever answered (the configuration cannot work); after that,
     * reported and turned into a retryable refusal.
     */
    private RuntimeException refused(TeleportRefusal refusal) {
        if (!answered) {
            return refusal;
        }
        report(refusal.getMessage());
        return TeleportException.refusal(Status.Code.UNAUTHENTICATED, refusal.getMessage(), refusal);
    }

    /** One ERROR line per refusal while it lasts (a new message is a new one), and the listener told. */
    private void report(String message) {
        if (message.equals(refusal.getAndSet(message))) {
            return;
        }
        LOG.error("Teleport refuses the exporter: {}. Retrying until that is fixed", message);
        refusals.accept(Optional.of(message));
    }

    /** Teleport answered a call: a refusal reported before is over. */
    private void answeredNow() {
        answered = true;
        if (refusal.get() != null && refusal.getAndSet(null) != null) {
            LOG.info("Teleport accepts the exporter again");
            refusals.accept(Optional.empty());
        }
    }

    /** Notices every call Teleport answers (a message, or a status other than a failure to reach it). */
    private final class AnswerWatch implements ClientInterceptor {
        @Override
        public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
            return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
                @Override
                public void start(Listener<R> listener, Metadata headers) {
                    super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
                        @Override
                        public void onHeaders(Metadata headers) {
                            answeredNow();
                            super.onHeaders(headers);
                        }
                    }, headers);
                }
            };
        }
    }

    private static <Q, T, R extends com.google.protobuf.Message> MethodDescriptor<Q, R> rawAnswers(
            MethodDescriptor<Q, T> method, R answer) {
        return method.toBuilder(method.getRequestMarshaller(), ProtoUtils.marshaller(answer)).build();
    }

    private static Timestamp timestamp(Instant instant) {
        return Timestamp.newBuilder().setSeconds(instant.getEpochSecond()).setNanos(instant.getNano()).build();
    }
}
