package dev.tee.demo;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fake cluster's Proxy web port with TLS routing (teleport-wire.md §2.4): it reads the TLS
 * ClientHello of each connection without terminating TLS and routes on it, as Teleport's ALPN router
 * does. A first ALPN value {@code teleport-auth@<hex cluster name>.teleport.cluster.local} naming this
 * cluster is piped byte for byte to the Auth Service, so mutual TLS runs end to end between client
 * and Auth; a plain HTTPS client (no ALPN, {@code http/1.1} or {@code h2}, and a server name outside
 * {@code teleport.cluster.local}) is piped to the web listener that serves {@code /webapi/find};
 * every other connection is closed, as Teleport drops what it cannot route.
 */
final class FakeProxy implements AutoCloseable {

    static final String AUTH_PROTOCOL_PREFIX = "teleport-auth@";
    static final String CLUSTER_LOCAL = "teleport.cluster.local";

    /** A client that has not sent its ClientHello by then is dropped, as a Go server's read deadline does. */
    private static final int HELLO_TIMEOUT_MILLIS = 10_000;

    private static final Logger LOG = LoggerFactory.getLogger(FakeProxy.class);

    /** Where a connection goes: to Auth, to the web listener, or nowhere (with the reason). */
    record Route(Destination destination, String reason) {
        enum Destination { AUTH, WEB, REFUSED }

        static Route refused(String reason) {
            return new Route(Destination.REFUSED, reason);
        }
    }

    private final String clusterName;
    private final boolean tlsRouting;
    private final IntSupplier authPort;
    private final IntSupplier webPort;
    private final List<String> refusals = new CopyOnWriteArrayList<>();
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private ExecutorService threads;
    private ServerSocket listener;
    private int port;

    /** {@code tlsRouting} false: a Proxy in separate-listener mode, which routes no Auth traffic. */
    FakeProxy(String clusterName, boolean tlsRouting, IntSupplier authPort, IntSupplier webPort) {
        this.clusterName = clusterName;
        this.tlsRouting = tlsRouting;
        this.authPort = authPort;
        this.webPort = webPort;
    }

    synchronized int port() {
        return port;
    }

    /** Why each closed connection was refused, in order. */
    List<String> refusals() {
        return List.copyOf(refusals);
    }

    /** Listens on {@code requestedPort} of 127.0.0.1 (0: any free port, kept for later starts). */
    synchronized void start(int requestedPort) {
        if (listener != null) {
            return;
        }
        AtomicInteger threadNumber = new AtomicInteger();
        ThreadFactory daemons = runnable -> {
            Thread thread = new Thread(runnable, "fake-proxy-" + threadNumber.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
        threads = Executors.newCachedThreadPool(daemons);
        try {
            listener = new ServerSocket();
            listener.setReuseAddress(true);
            listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), requestedPort));
        } catch (IOException e) {
            threads.shutdownNow();
            throw new UncheckedIOException("cannot listen on 127.0.0.1:" + requestedPort, e);
        }
        port = listener.getLocalPort();
        ServerSocket accepting = listener;
        threads.execute(() -> accept(accepting));
    }

    /** Stops listening and drops every connection it carries. */
    synchronized void stop() {
        if (listener == null) {
            return;
        }
        closeQuietly(listener);
        listener = null;
        sockets.forEach(FakeProxy::closeQuietly);
        threads.shutdownNow();
        try {
            threads.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        stop();
    }

    /**
     * The route for {@code hello}: Teleport's Proxy routes Auth traffic on the first ALPN value only
     * ({@code lib/srv/alpnproxy/auth}); the web port takes whatever does not claim
     * {@code teleport.cluster.local}.
     */
    static Route route(ClientHello hello, String clusterName, boolean tlsRouting) {
        List<String> protocols = hello.protocols();
        String first = protocols.isEmpty() ? null : protocols.get(0);
        if (first != null && first.startsWith(AUTH_PROTOCOL_PREFIX)) {
            if (!tlsRouting) {
                return Route.refused("TLS routing is disabled on this proxy");
            }
            String suffix = "." + CLUSTER_LOCAL;
            if (!first.endsWith(suffix) || first.length() < AUTH_PROTOCOL_PREFIX.length() + suffix.length()) {
                return Route.refused("ALPN value \"" + first + "\" does not end with " + suffix);
            }
            String hex = first.substring(AUTH_PROTOCOL_PREFIX.length(), first.length() - suffix.length());
            Optional<String> requested = decodeClusterName(hex);
            if (requested.isEmpty()) {
                return Route.refused("cluster name \"" + hex + "\" in ALPN is not hex-encoded UTF-8");
            }
            if (!requested.get().equals(clusterName)) {
                return Route.refused("cluster \"" + requested.get() + "\" is not served by this proxy");
            }
            return new Route(Route.Destination.AUTH, "auth");
        }
        String serverName = hello.serverName().orElse("");
        if (serverName.equals(CLUSTER_LOCAL) || serverName.endsWith("." + CLUSTER_LOCAL)) {
            return Route.refused("no route for server name " + serverName + " with ALPN " + protocols);
        }
        if (first == null || first.equals("http/1.1") || first.equals("h2")) {
            return new Route(Route.Destination.WEB, "web");
        }
        return Route.refused("no route for ALPN " + protocols);
    }

    private static Optional<String> decodeClusterName(String hex) {
        try {
            byte[] bytes = HexFormat.of().parseHex(hex);
            if (bytes.length == 0) {
                return Optional.empty();
            }
            return Optional.of(StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString());
        } catch (IllegalArgumentException | CharacterCodingException e) {
            return Optional.empty();
        }
    }

    private void accept(ServerSocket accepting) {
        while (!accepting.isClosed()) {
            try {
                Socket client = accepting.accept();
                sockets.add(client);
                threads.execute(() -> serve(client));
            } catch (IOException e) {
                if (!accepting.isClosed()) {
                    LOG.warn("fake proxy: accept failed: {}", e.getMessage());
                }
            } catch (RejectedExecutionException e) {
                return; // stopping
            }
        }
    }

    private void serve(Socket client) {
        byte[] buffer = new byte[ClientHello.MAX_BYTES];
        int length = 0;
        try {
            client.setSoTimeout(HELLO_TIMEOUT_MILLIS);
            InputStream in = client.getInputStream();
            Optional<ClientHello> hello = Optional.empty();
            while (hello.isEmpty()) {
                if (length == buffer.length) {
                    throw new ClientHello.MalformedException("no complete ClientHello in the first "
                            + buffer.length + " bytes");
                }
                int read = in.read(buffer, length, buffer.length - length);
                if (read < 0) {
                    refuse(client, "connection closed before a complete ClientHello");
                    return;
                }
                length += read;
                hello = ClientHello.parse(buffer, length);
            }
            client.setSoTimeout(0);
            Route route = route(hello.get(), clusterName, tlsRouting);
            if (route.destination() == Route.Destination.REFUSED) {
                refuse(client, route.reason());
                return;
            }
            int target = route.destination() == Route.Destination.AUTH ? authPort.getAsInt() : webPort.getAsInt();
            Socket upstream = new Socket(InetAddress.getLoopbackAddress(), target);
            sockets.add(upstream);
            upstream.getOutputStream().write(buffer, 0, length); // the ClientHello, untouched
            AtomicInteger openDirections = new AtomicInteger(2);
            threads.execute(() -> pipe(upstream, client, upstream, openDirections));
            pipe(client, upstream, upstream, openDirections);
        } catch (ClientHello.MalformedException e) {
            refuse(client, e.getMessage());
        } catch (SocketTimeoutException e) {
            refuse(client, "no ClientHello within " + HELLO_TIMEOUT_MILLIS + " ms");
        } catch (IOException e) {
            close(client);
        }
    }

    /**
     * Copies {@code from} to {@code to} until {@code from} ends, then half-closes {@code to} so the far
     * end sees the end too; the connection is closed once both directions ended (or one failed).
     */
    private void pipe(Socket from, Socket to, Socket upstream, AtomicInteger openDirections) {
        Socket client = from == upstream ? to : from;
        byte[] buffer = new byte[64 * 1024];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            for (int read = in.read(buffer); read >= 0; read = in.read(buffer)) {
                out.write(buffer, 0, read);
            }
            to.shutdownOutput();
            if (openDirections.decrementAndGet() == 0) {
                close(client);
                close(upstream);
            }
        } catch (IOException e) {
            close(client);
            close(upstream);
        }
    }

    private void refuse(Socket client, String reason) {
        refusals.add(reason);
        LOG.debug("fake proxy: closing a connection: {}", reason);
        close(client);
    }

    private void close(Socket socket) {
        sockets.remove(socket);
        closeQuietly(socket);
    }

    private static void closeQuietly(Closeable closeable) {
        try {
            closeable.close();
        } catch (IOException e) {
            // already closed or reset: nothing left to release
        }
    }
}
