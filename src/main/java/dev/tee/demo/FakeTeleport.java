package dev.tee.demo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.X509ExtendedTrustManager;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tee.teleport.proto.auditlog.AuditLogServiceGrpc;
import dev.tee.teleport.proto.auditlog.EventUnstructured;
import dev.tee.teleport.proto.auth.AuthServiceGrpc;
import dev.tee.teleport.proto.types.LockV2;
import dev.tee.tls.Certificate;
import dev.tee.tls.CertificateAuthority;
import dev.tee.tls.KeyKind;
import dev.tee.tls.TlsMaterial;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A wire-compatible stand-in for a Teleport cluster on 127.0.0.1, for tests and the demo: the Auth
 * Service's two gRPC services on one mutual-TLS port, serving an audit log it is given or that grows
 * while it runs (paged search, and bulk export when enabled) and session recordings, with Teleport's
 * rules and errors; optionally a Proxy port with TLS routing in front; fault injection and restart.
 */
public final class FakeTeleport implements AutoCloseable {

    public static final String DEFAULT_CLUSTER_NAME = "demo.example.com";
    public static final String DEFAULT_SERVER_VERSION = "17.4.2";
    public static final int DEFAULT_EVENTS_PER_CHUNK = 1000;

    private static final Logger LOG = LoggerFactory.getLogger(FakeTeleport.class);

    /** The Go client pings every 60 s without calls; a stricter server would answer GOAWAY too_many_pings. */
    private static final long PERMIT_KEEPALIVE_SECONDS = 30;

    private final String clusterName;
    /** Signs the server's certificate; identities trust it. Teleport's host CA. */
    private final CertificateAuthority hostCa;
    /** Signs client identities; the server trusts only it. Teleport's user CA. */
    private final CertificateAuthority userCa;
    private final Certificate hostCertificate;
    private final FakeAuditLog log = new FakeAuditLog();
    private final FakeExport export;
    private final FakeRecordings recordings = new FakeRecordings();
    private final AtomicInteger openStreams = new AtomicInteger();
    private final AtomicReference<X509Certificate> lastClientCertificate = new AtomicReference<>();
    private final FakeAuthService auth;
    private final FaultInjector faults;
    private final FakeWebApi webApi;
    private final FakeProxy proxy;
    /** Volatile: the proxy's threads read the ports while stop() holds this object's lock. */
    private volatile int port;
    private volatile int proxyPort;
    private Server server;

    private FakeTeleport(Builder builder) {
        this.clusterName = builder.clusterName;
        Duration caValidity = Duration.ofDays(3650);
        this.hostCa = CertificateAuthority.create(clusterName + " host CA", KeyKind.EC, 0, caValidity);
        this.userCa = CertificateAuthority.create(clusterName + " user CA", KeyKind.EC, 0, caValidity);
        this.hostCertificate = hostCa.leaf("auth." + clusterName)
                .organization("Auth")
                .teleportCluster(clusterName)
                .dnsNames("teleport.cluster.local", "*.teleport.cluster.local", "localhost")
                .ipAddresses("127.0.0.1")
                .forServer()
                .validFor(caValidity)
                .issue();
        this.auth = new FakeAuthService(clusterName, builder.serverVersion);
        this.faults = new FaultInjector(methodNames());
        this.port = builder.port;
        Random random = new Random(builder.seed);
        this.export = builder.bulkExport ? new FakeExport(
                new FakeExportChunks(builder.eventsPerChunk, builder.unorderedChunks, random),
                builder.cutExportStreams, builder.cutExportStreamsAfter, random) : null;
        if (builder.proxy) {
            SSLContext webTls = TlsMaterial.sslContext(TlsMaterial.keyManager(List.of(hostCertificate.x509()),
                    hostCertificate.keyPair().getPrivate()), TlsMaterial.trustManager(List.of(hostCaCertificate())));
            this.webApi = new FakeWebApi(clusterName, builder.serverVersion, builder.proxyTlsRouting,
                    this::proxyPort, webTls);
            this.proxy = new FakeProxy(clusterName, builder.proxyTlsRouting, this::port, webApi::port);
            this.proxyPort = builder.proxyPort;
        } else {
            this.webApi = null;
            this.proxy = null;
        }
        builder.events.forEach(this::append);
        builder.recordings.forEach(recordings::add);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A fake cluster with the default name and no events, listening on an ephemeral port. */
    public static FakeTeleport start() {
        return builder().start();
    }

    /** Settings of a fake cluster; {@link #start()} starts it, {@link #build()} only creates it. */
    public static final class Builder {
        private String clusterName = DEFAULT_CLUSTER_NAME;
        private String serverVersion = DEFAULT_SERVER_VERSION;
        private int port;
        private final List<ObjectNode> events = new ArrayList<>();
        private final List<SessionRecording> recordings = new ArrayList<>();
        private boolean bulkExport;
        private int eventsPerChunk = DEFAULT_EVENTS_PER_CHUNK;
        private boolean unorderedChunks;
        private double cutExportStreams;
        private int cutExportStreamsAfter;
        private long seed = 1;
        private boolean proxy;
        private boolean proxyTlsRouting = true;
        private int proxyPort;

        private Builder() {
        }

        public Builder clusterName(String clusterName) {
            this.clusterName = clusterName;
            return this;
        }

        public Builder serverVersion(String serverVersion) {
            this.serverVersion = serverVersion;
            return this;
        }

        /** The port on 127.0.0.1; 0 (the default) picks a free one. */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        public Builder events(Collection<? extends ObjectNode> events) {
            this.events.addAll(events);
            return this;
        }

        /**
         * Whether to serve the bulk-export API as Teleport's Athena backend does (default false: it
         * answers UNIMPLEMENTED, like DynamoDB, and clients take the search path).
         */
        public Builder bulkExport(boolean bulkExport) {
            this.bulkExport = bulkExport;
            return this;
        }

        /** With bulk export: how many events fill a chunk (default {@value FakeTeleport#DEFAULT_EVENTS_PER_CHUNK}). */
        public Builder eventsPerChunk(int eventsPerChunk) {
            this.eventsPerChunk = eventsPerChunk;
            return this;
        }

        /** With bulk export: serve each chunk's events in random order rather than by time. */
        public Builder unorderedChunks(boolean unorderedChunks) {
            this.unorderedChunks = unorderedChunks;
            return this;
        }

        /** With bulk export: the share (0 to 1) of export streams broken midway with UNAVAILABLE. */
        public Builder cutExportStreams(double fraction) {
            this.cutExportStreams = fraction;
            return this;
        }

        /**
         * With bulk export: every export stream with more than {@code events} events to send broken
         * with UNAVAILABLE after that many (instead of {@link #cutExportStreams}'s random share and place).
         */
        public Builder cutExportStreamsAfter(int events) {
            this.cutExportStreamsAfter = events;
            return this;
        }

        /** Seeds the randomness: chunk names, listing and event order, which streams break and where. */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** A session recording served from the start; {@link FakeTeleport#addRecording} adds one later. */
        public Builder recording(SessionRecording recording) {
            this.recordings.add(recording);
            return this;
        }

        /** Also runs a Proxy web port with TLS routing in front of the Auth Service ({@link #proxyAddress()}). */
        public Builder proxy(boolean proxy) {
            this.proxy = proxy;
            return this;
        }

        /** With a proxy: whether TLS routing is on (default); off, it routes no Auth traffic and says so. */
        public Builder proxyTlsRouting(boolean tlsRouting) {
            this.proxyTlsRouting = tlsRouting;
            return this;
        }

        /** With a proxy: its port on 127.0.0.1; 0 (the default) picks a free one. */
        public Builder proxyPort(int proxyPort) {
            this.proxyPort = proxyPort;
            return this;
        }

        public FakeTeleport build() {
            return new FakeTeleport(this);
        }

        public FakeTeleport start() {
            FakeTeleport teleport = build();
            teleport.restart();
            return teleport;
        }
    }

    /** "127.0.0.1:PORT", the {@code teleport.addr} a client dials. */
    public String address() {
        return "127.0.0.1:" + port();
    }

    public int port() {
        return port;
    }

    public String clusterName() {
        return clusterName;
    }

    /** The CA identities must trust: it signed this server's certificate. */
    public X509Certificate hostCaCertificate() {
        return hostCa.certificate().x509();
    }

    /** Starts a client identity of this cluster, signed by its user CA. */
    public FakeIdentity identity(String user) {
        return new FakeIdentity(user, clusterName, userCa, hostCaCertificate());
    }

    /** Writes an identity file (RSA key, PKCS#1) for {@code user}, valid from a minute ago for {@code validity}. */
    public Path writeIdentityFile(Path file, String user, Duration validity) {
        return identity(user).validFor(validity).writeIdentityFile(file);
    }

    /**
     * Adds an event to the audit log, live; returns it as the server will serve it (with its unique id).
     * With bulk export it lands in an export chunk of its UTC date, listed from the next listing on.
     */
    public EventUnstructured append(ObjectNode event) {
        EventUnstructured served = log.append(event);
        if (export != null) {
            export.chunks().add(served);
        }
        return served;
    }

    public List<EventUnstructured> append(Collection<? extends ObjectNode> events) {
        return events.stream().map(this::append).toList();
    }

    /** The audit log in the order it is served (time, index, arrival). */
    public List<EventUnstructured> events() {
        return log.events();
    }

    public int eventCount() {
        return log.size();
    }

    /** How many export chunks exist (bulk export only; 0 otherwise). */
    public int exportChunkCount() {
        return export == null ? 0 : export.chunks().chunkCount();
    }

    /** Uploads a recording, from now on served to StreamUnstructuredSessionEvents (NOT_FOUND before). */
    public void addRecording(SessionRecording recording) {
        recordings.add(recording);
    }

    /**
     * Makes every stream of recording {@code sessionId} fail with {@code status} before any event, as
     * a recording Teleport cannot read (e.g. INTERNAL for a corrupt one).
     */
    public void breakRecording(String sessionId, Status status) {
        recordings.breakRecording(sessionId, status);
    }

    /** Makes the next stream of recording {@code sessionId} fail (UNAVAILABLE) after {@code afterEvents} events. */
    public void cutRecordingOnce(String sessionId, int afterEvents) {
        recordings.cutOnce(sessionId, afterEvents);
    }

    /**
     * Server-streaming calls (recordings, export chunks and listings) still open: neither ended nor
     * cancelled by the client. A client that closes its streams brings this back to 0.
     */
    public int openStreams() {
        return openStreams.get();
    }

    /** The client certificate of the last call received, as the Auth Service saw it in the TLS session. */
    public Optional<X509Certificate> lastClientCertificate() {
        return Optional.ofNullable(lastClientCertificate.get());
    }

    /** "127.0.0.1:PORT" of the Proxy web port with TLS routing; only with {@link Builder#proxy(boolean)}. */
    public String proxyAddress() {
        return "127.0.0.1:" + proxyPort();
    }

    public int proxyPort() {
        if (proxy == null) {
            throw new IllegalStateException("this fake Teleport runs no proxy: build it with proxy(true)");
        }
        return proxyPort;
    }

    /** Why the proxy closed each connection it could not route, in order. */
    public List<String> proxyRefusals() {
        return proxy == null ? List.of() : proxy.refusals();
    }

    /** The locks received by UpsertLock, in order. */
    public List<LockV2> locks() {
        return auth.locks();
    }

    /** Makes the next {@code times} calls of {@code method} (a bare name, e.g. "Ping") fail with {@code status}. */
    public void failNext(String method, int times, Status status) {
        faults.failNext(method, times, status);
    }

    /** How many calls of {@code method} (a bare name) arrived, failed ones included. */
    public int calls(String method) {
        return faults.calls(method);
    }

    public synchronized boolean isRunning() {
        return server != null;
    }

    /** Stops listening and drops every connection; the audit log and counters stay for {@link #restart()}. */
    public synchronized void stop() {
        if (server == null) {
            return;
        }
        if (proxy != null) {
            proxy.stop();
            webApi.stop();
        }
        server.shutdownNow();
        try {
            server.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        server = null;
    }

    /** Starts listening (again), on the same port as before once one was chosen. */
    public synchronized void restart() {
        if (server != null) {
            return;
        }
        ServerCredentials tls = TlsServerCredentials.newBuilder()
                .keyManager(TlsMaterial.keyManager(List.of(hostCertificate.x509()),
                        hostCertificate.keyPair().getPrivate()))
                .trustManager(new UserCaTrustManager(
                        (X509ExtendedTrustManager) TlsMaterial.trustManager(List.of(userCa.certificate().x509()))))
                .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE)
                .build();
        try {
            server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port), tls)
                    .addService(ServerInterceptors.intercept(auth, FakeAuthService.remoteAddress()))
                    .addService(new FakeAuditLogService(log, export, recordings, openStreams))
                    .intercept(faults)
                    .intercept(recordClientCertificate())
                    .permitKeepAliveWithoutCalls(true)
                    .permitKeepAliveTime(PERMIT_KEEPALIVE_SECONDS, TimeUnit.SECONDS)
                    .build()
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on 127.0.0.1:" + port, e);
        }
        port = server.getPort();
        LOG.info("Fake Teleport {} listening on 127.0.0.1:{} with {} events", clusterName, port, log.size());
        if (proxy != null) {
            webApi.start();
            proxy.start(proxyPort);
            proxyPort = proxy.port();
            LOG.info("Fake Teleport proxy with TLS routing on 127.0.0.1:{}", proxyPort);
        }
    }

    /** Keeps the certificate the caller authenticated with, to show what reached the Auth Service. */
    private ServerInterceptor recordClientCertificate() {
        return new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                    ServerCallHandler<Q, R> next) {
                SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
                try {
                    if (session != null && session.getPeerCertificates()[0] instanceof X509Certificate certificate) {
                        lastClientCertificate.set(certificate);
                    }
                } catch (SSLPeerUnverifiedException e) {
                    // the server requires client certificates: an unverified peer never gets this far
                }
                return next.startCall(call, headers);
            }
        };
    }

    @Override
    public void close() {
        stop();
    }

    private static Set<String> methodNames() {
        Set<String> names = new HashSet<>();
        for (ServiceDescriptor service : List.of(AuthServiceGrpc.getServiceDescriptor(),
                AuditLogServiceGrpc.getServiceDescriptor())) {
            for (MethodDescriptor<?, ?> method : service.getMethods()) {
                names.add(method.getBareMethodName());
            }
        }
        return names;
    }
}
