package dev.tee.demo;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.IntSupplier;

import javax.net.ssl.SSLContext;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;

/**
 * The fake Proxy's web API, reached through the proxy port like Teleport's web listener: only
 * {@code GET /webapi/find}, the unauthenticated call clients make to learn the cluster name and
 * whether TLS routing is on. It listens on an internal port of 127.0.0.1 that {@link FakeProxy} pipes
 * plain HTTPS connections to.
 */
final class FakeWebApi implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String clusterName;
    private final String serverVersion;
    private final boolean tlsRouting;
    private final IntSupplier proxyPort;
    private final SSLContext tls;
    private HttpsServer server;
    private ExecutorService threads;

    /** {@code tls}: the web certificate; {@code proxyPort}: the public port the answer advertises. */
    FakeWebApi(String clusterName, String serverVersion, boolean tlsRouting, IntSupplier proxyPort, SSLContext tls) {
        this.clusterName = clusterName;
        this.serverVersion = serverVersion;
        this.tlsRouting = tlsRouting;
        this.proxyPort = proxyPort;
        this.tls = tls;
    }

    synchronized int port() {
        return server.getAddress().getPort();
    }

    synchronized void start() {
        if (server != null) {
            return;
        }
        try {
            server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the fake web API", e);
        }
        server.setHttpsConfigurator(new HttpsConfigurator(tls));
        server.createContext("/", this::handle);
        threads = Executors.newFixedThreadPool(2, runnable -> {
            Thread thread = new Thread(runnable, "fake-webapi");
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(threads);
        server.start();
    }

    synchronized void stop() {
        if (server != null) {
            server.stop(0);
            threads.shutdownNow();
            server = null;
        }
    }

    @Override
    public void close() {
        stop();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            if (!path.equals("/webapi/find")) {
                respond(exchange, 404, error("not found"));
            } else if (!exchange.getRequestMethod().equals("GET")) {
                respond(exchange, 405, error("method not allowed"));
            } else {
                respond(exchange, 200, find());
            }
        }
    }

    /** The fields of Teleport's find response a client reads, with the proxy's listener addresses. */
    private ObjectNode find() {
        String publicAddress = "127.0.0.1:" + proxyPort.getAsInt();
        ObjectNode find = JSON.createObjectNode();
        ObjectNode auth = find.putObject("auth");
        auth.put("type", "local");
        auth.put("second_factor", "otp");
        ObjectNode proxy = find.putObject("proxy");
        ObjectNode ssh = proxy.putObject("ssh");
        ssh.put("listen_addr", "0.0.0.0:3023");
        ssh.put("tunnel_listen_addr", "0.0.0.0:3024");
        ssh.put("web_listen_addr", publicAddress);
        ssh.put("public_addr", publicAddress);
        proxy.put("tls_routing_enabled", tlsRouting);
        find.put("server_version", serverVersion);
        find.put("min_client_version", "16.0.0-aa");
        find.put("cluster_name", clusterName);
        return find;
    }

    private static ObjectNode error(String message) {
        ObjectNode body = JSON.createObjectNode();
        body.putObject("error").put("message", message);
        return body;
    }

    private static void respond(HttpExchange exchange, int status, ObjectNode body) throws IOException {
        byte[] bytes;
        try {
            bytes = JSON.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IOException(e);
        }
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
