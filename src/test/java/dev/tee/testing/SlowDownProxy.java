package dev.tee.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy on 127.0.0.1 in front of an S3 server that can play S3 throttling: while slowing down,
 * every request gets {@code 503 SlowDown} in S3's XML error format, as AWS answers when a prefix gets
 * more requests than it can take. Otherwise bytes pass through unchanged, so request signatures stay
 * valid. S3Proxy cannot answer 503 by itself.
 */
public final class SlowDownProxy implements AutoCloseable {

    private static final String SLOW_DOWN = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code>"
            + "<Message>Please reduce your request rate.</Message><RequestId>FAULT</RequestId></Error>";

    private final int targetPort;
    private final ServerSocket server;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger refused = new AtomicInteger();
    private volatile boolean slowingDown;
    private volatile long latencyMillis;

    private SlowDownProxy(int targetPort) throws IOException {
        this.targetPort = targetPort;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread accept = new Thread(this::accept, "slow-down-proxy");
        accept.setDaemon(true);
        accept.start();
    }

    /** Listens on a free port and passes connections on to 127.0.0.1:{@code targetPort}. */
    public static SlowDownProxy to(int targetPort) {
        try {
            return new SlowDownProxy(targetPort);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen", e);
        }
    }

    public String endpoint() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    /**
     * From now on every request gets 503 SlowDown; connections passed through so far are closed, so a
     * client's pooled connection cannot slip past.
     */
    public void slowDown() {
        slowingDown = true;
        open.forEach(SlowDownProxy::closeQuietly);
    }

    /**
     * Each answer waits {@code latency} before it passes (a real S3 region answers a PUT in tens of
     * milliseconds; S3Proxy on the same machine in about one).
     */
    public SlowDownProxy latency(Duration latency) {
        latencyMillis = latency.toMillis();
        return this;
    }

    /** Requests pass through again. */
    public void recover() {
        slowingDown = false;
    }

    /** How many requests got 503 SlowDown. */
    public int refusedCount() {
        return refused.get();
    }

    @Override
    public void close() {
        closeQuietly(server);
        open.forEach(SlowDownProxy::closeQuietly);
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Thread handler = new Thread(() -> handle(client), "slow-down-proxy-connection");
                handler.setDaemon(true);
                handler.start();
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void handle(Socket client) {
        try (client) {
            if (slowingDown) {
                refuse(client);
                return;
            }
            try (Socket target = new Socket()) {
                target.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort));
                open.add(client);
                open.add(target);
                try {
                    Thread back = new Thread(() -> pipeAnswers(target, client), "slow-down-proxy-back");
                    back.setDaemon(true);
                    back.start();
                    pipe(client, target);
                    back.join();
                } finally {
                    open.remove(client);
                    open.remove(target);
                }
            }
        } catch (IOException | InterruptedException e) {
            // the client or the server went away: so does the connection
        }
    }

    /** Reads the request head, answers 503 SlowDown before any body (as to Expect: 100-continue), closes. */
    private void refuse(Socket client) throws IOException {
        InputStream in = client.getInputStream();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        int b;
        while (matched < 4 && (b = in.read()) >= 0) {
            head.write(b);
            matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
        }
        if (head.size() == 0) {
            return;
        }
        refused.incrementAndGet();
        byte[] body = SLOW_DOWN.getBytes(StandardCharsets.UTF_8);
        OutputStream out = client.getOutputStream();
        out.write(("HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\nContent-Length: " + body.length
                + "\r\nx-amz-request-id: FAULT\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(body);
        out.flush();
        client.shutdownOutput();
        client.setSoTimeout(1000);
        try {
            in.transferTo(OutputStream.nullOutputStream()); // let the client finish sending, then see our close
        } catch (IOException e) {
            // it stopped sending or reset: either way it has the answer
        }
    }

    /** The server's answers to the client, each burst of bytes after the latency. */
    private void pipeAnswers(Socket from, Socket to) {
        if (latencyMillis == 0) {
            pipe(from, to);
            return;
        }
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            byte[] buffer = new byte[16384];
            for (int n; (n = in.read(buffer)) >= 0; ) {
                Thread.sleep(latencyMillis);
                out.write(buffer, 0, n);
                out.flush();
            }
            to.shutdownOutput();
        } catch (IOException | InterruptedException e) {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private static void pipe(Socket from, Socket to) {
        try {
            from.getInputStream().transferTo(to.getOutputStream());
            to.shutdownOutput();
        } catch (IOException e) {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            // closing anyway
        }
    }
}
