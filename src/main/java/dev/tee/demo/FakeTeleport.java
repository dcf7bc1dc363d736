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
import java.util.Set;
import java.util.concurrent.TimeUnit;

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
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptors;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A wire-compatible stand-in for a Teleport Auth Service on 127.0.0.1, for tests and the demo: both
 * gRPC services on one mutual-TLS port, serving an audit log it is given or that grows while it runs,
 * with Teleport's paging rules and errors, plus fault injection and restart for tests.
 */
public final class FakeTeleport implements AutoCloseable {

    public static final String DEFAULT_CLUSTER_NAME = "demo.example.com";
    public static final String DEFAULT_SERVER_VERSION = "17.4.2";

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
    private final FakeAuthService auth;
    private final FaultInjector faults;
    private int port;
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
        builder.events.forEach(log::append);
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

    public synchronized int port() {
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

    /** Adds an event to the audit log, live; returns it as the server will serve it (with its unique id). */
    public EventUnstructured append(ObjectNode event) {
        return log.append(event);
    }

    public List<EventUnstructured> append(Collection<? extends ObjectNode> events) {
        return events.stream().map(log::append).toList();
    }

    /** The audit log in the order it is served (time, index, arrival). */
    public List<EventUnstructured> events() {
        return log.events();
    }

    public int eventCount() {
        return log.size();
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
                    .addService(new FakeAuditLogService(log))
                    .intercept(faults)
                    .permitKeepAliveWithoutCalls(true)
                    .permitKeepAliveTime(PERMIT_KEEPALIVE_SECONDS, TimeUnit.SECONDS)
                    .build()
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on 127.0.0.1:" + port, e);
        }
        port = server.getPort();
        LOG.info("Fake Teleport {} listening on 127.0.0.1:{} with {} events", clusterName, port, log.size());
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
