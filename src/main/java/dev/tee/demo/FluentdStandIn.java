package dev.tee.demo;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.GZIPInputStream;
import java.util.zip.InflaterInputStream;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509TrustManager;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.tee.config.ConfigException;
import dev.tee.tls.Certificate;
import dev.tee.tls.Pem;
import dev.tee.tls.PemException;
import dev.tee.tls.TlsMaterial;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An HTTPS server that answers exactly like Fluentd 1.18 {@code in_http} configured as Teleport's
 * guide does ({@code <parse> @type json}, {@code <transport tls> client_cert_auth true}), records
 * what it accepts and can be told to fail (fluentd-s3-panther.md §1 and §7).
 *
 * <p>Its TLS behaves like Fluentd's OpenSSL server too: TLS 1.2 only, a client resuming a session
 * is refused, and every connection it closes ends in a TCP reset. FluentdStandInTest lists what was
 * compared with the real Fluentd 1.18.0.
 */
public final class FluentdStandIn implements AutoCloseable {

    /** in_http's {@code body_size_limit} default. */
    public static final long BODY_SIZE_LIMIT = 32L * 1024 * 1024;
    /** in_http's {@code keepalive_timeout} default. */
    public static final Duration KEEPALIVE_TIMEOUT = Duration.ofSeconds(10);
    /** in_http's {@code decompression_size_limit} default. */
    private static final long DECOMPRESSED_SIZE_LIMIT = 256L * 1024 * 1024;
    private static final int MAX_CONNECTIONS = 64;
    /** A TLS 1.2 record holding a fatal internal_error alert, as OpenSSL sends it before any ServerHello. */
    private static final byte[] INTERNAL_ERROR_ALERT = {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x50};
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Logger LOG = LoggerFactory.getLogger(FluentdStandIn.class);

    private final X509ExtendedKeyManager keyManager;
    private final X509TrustManager trustManager;
    private final String bind;
    private final Duration keepAliveTimeout;
    private final Path recordFile;
    private volatile int port;

    private final Object lifecycle = new Object();
    private ServerSocket server;
    private ExecutorService workers;
    private Thread acceptor;
    private final Set<Socket> openSockets = ConcurrentHashMap.newKeySet();

    private final Map<String, List<ReceivedEvent>> received = new LinkedHashMap<>();
    private OutputStream recordOut;
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong connections = new AtomicLong();
    private final AtomicLong handshakes = new AtomicLong();
    private final AtomicLong refusedResumptions = new AtomicLong();
    private final AtomicReference<X509Certificate> lastClientCertificate = new AtomicReference<>();

    private int failuresLeft;
    private int failureStatus;
    private String failureMessage;
    private final Map<String, Integer> rejectedIds = new ConcurrentHashMap<>();
    private volatile Duration latency = Duration.ZERO;

    private FluentdStandIn(Builder builder) {
        this.keyManager = TlsMaterial.keyManager(builder.serverChain, builder.serverKey);
        this.trustManager = TlsMaterial.trustManager(builder.clientCas);
        this.bind = builder.bind;
        this.port = builder.port;
        this.keepAliveTimeout = builder.keepAliveTimeout;
        this.recordFile = builder.recordFile;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Binds the port (the same one again after {@link #stop()}) and starts answering, with new TLS
     * session state, as a restarted Fluentd has: the tickets it issued before are no longer valid.
     */
    public FluentdStandIn start() {
        synchronized (lifecycle) {
            if (server != null) {
                return this;
            }
            try {
                if (recordFile != null) {
                    recordOut = new BufferedOutputStream(Files.newOutputStream(recordFile,
                            StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE));
                }
                ServerSocket socket = new ServerSocket();
                socket.setReuseAddress(true);
                socket.bind(new InetSocketAddress(bind, port), 128);
                server = socket;
                port = socket.getLocalPort();
            } catch (IOException e) {
                throw new IllegalStateException(
                        "Fluentd stand-in cannot listen on " + bind + ":" + port + ": " + e.getMessage(), e);
            }
            workers = new ThreadPoolExecutor(0, MAX_CONNECTIONS, 30, TimeUnit.SECONDS, new SynchronousQueue<>(),
                    task -> daemon(task, "fluentd-stand-in-" + port + "-connection"));
            ServerSocket listening = server;
            ExecutorService pool = workers;
            TlsState tls = new TlsState(TlsMaterial.sslContext(keyManager, trustManager), new AtomicBoolean());
            acceptor = daemon(() -> accept(listening, pool, tls), "fluentd-stand-in-" + port + "-accept");
            acceptor.start();
            return this;
        }
    }

    /**
     * Closes the port and every open connection (a TLS one with close_notify, then the reset), as a
     * stopped Fluentd does; {@link #start()} reopens it.
     */
    public void stop() {
        synchronized (lifecycle) {
            if (server == null) {
                return;
            }
            closeQuietly(server);
            openSockets.forEach(FluentdStandIn::closeQuietly);
            workers.shutdownNow();
            try {
                acceptor.join(5_000);
                workers.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            synchronized (received) {
                if (recordOut != null) {
                    closeQuietly(recordOut);
                    recordOut = null;
                }
            }
            server = null;
        }
    }

    @Override
    public void close() {
        stop();
    }

    public int port() {
        return port;
    }

    /** The https URL of {@code path} (which starts with "/") on this stand-in. */
    public String url(String path) {
        String host = bind.equals("0.0.0.0") ? "127.0.0.1" : bind;
        return "https://" + host + ":" + port + path;
    }

    // ---- what it accepted ------------------------------------------------------------------

    /** The records accepted under {@code tag}, in arrival order. */
    public List<ReceivedEvent> events(String tag) {
        synchronized (received) {
            return List.copyOf(received.getOrDefault(tag, List.of()));
        }
    }

    /** The {@code uid}s of the records accepted under {@code tag}, in arrival order. */
    public List<String> eventIds(String tag) {
        return events(tag).stream().map(ReceivedEvent::uid).toList();
    }

    /** How many records were accepted under any tag. */
    public int eventCount() {
        synchronized (received) {
            return received.values().stream().mapToInt(List::size).sum();
        }
    }

    /** How many records were accepted under {@code tag}. */
    public int eventCount(String tag) {
        synchronized (received) {
            return received.getOrDefault(tag, List.of()).size();
        }
    }

    /** The tags seen so far, in order of first arrival. */
    public Set<String> tags() {
        synchronized (received) {
            return new LinkedHashSet<>(received.keySet());
        }
    }

    /** Requests read (any method, any answer). */
    public long requestCount() {
        return requests.get();
    }

    /** TCP connections accepted, whether or not their TLS handshake succeeded. */
    public long connectionCount() {
        return connections.get();
    }

    /** TLS handshakes completed: one per connection a client could use. */
    public long handshakeCount() {
        return handshakes.get();
    }

    /** The client certificate of the last TLS handshake completed. */
    public Optional<X509Certificate> lastClientCertificate() {
        return Optional.ofNullable(lastClientCertificate.get());
    }

    /** Connections refused because their ClientHello offered to resume a TLS session this run issued. */
    public long refusedResumptionCount() {
        return refusedResumptions.get();
    }

    // ---- fault injection -------------------------------------------------------------------

    /**
     * Answers the next {@code count} POSTs with {@code status} before looking at them (nothing is
     * recorded). Error statuses get Fluentd's body shape, {@code "<status line>\n<message>\n"}.
     */
    public synchronized void failNext(int count, int status, String message) {
        failuresLeft = count;
        failureStatus = status;
        failureMessage = message;
    }

    public void failNext(int count, int status) {
        failNext(count, status, "injected failure");
    }

    /**
     * Answers {@code status} to every request holding an event whose uid is {@code uid} (nothing of
     * that request is recorded), as Fluentd does for an event it cannot parse.
     */
    public void rejectEvent(String uid, int status) {
        rejectedIds.put(uid, status);
    }

    /** Waits this long before answering each POST. */
    public void latency(Duration latency) {
        this.latency = latency;
    }

    /** Forgets every injected failure and latency. */
    public synchronized void clearFaults() {
        failuresLeft = 0;
        rejectedIds.clear();
        latency = Duration.ZERO;
    }

    private synchronized Reply takeFailure(boolean keepAlive) {
        if (failuresLeft <= 0) {
            return null;
        }
        failuresLeft--;
        String body = failureStatus >= 400 ? errorBody(failureStatus, failureMessage) : "";
        return Reply.fromCallback(failureStatus, keepAlive, body);
    }

    // ---- connections -----------------------------------------------------------------------

    /**
     * What a Fluentd restart renews: the SSL context (its session ticket key and session cache) and
     * whether a session ticket was issued since.
     */
    private record TlsState(SSLContext context, AtomicBoolean ticketIssued) {
    }

    private void accept(ServerSocket listening, ExecutorService pool, TlsState tls) {
        while (true) {
            Socket socket;
            try {
                socket = listening.accept();
            } catch (IOException e) {
                return; // closed by stop()
            }
            connections.incrementAndGet();
            openSockets.add(socket);
            try {
                pool.execute(() -> serve(socket, tls));
            } catch (RejectedExecutionException e) {
                openSockets.remove(socket);
                closeQuietly(socket);
            }
        }
    }

    private void serve(Socket tcp, TlsState tls) {
        SSLSocket socket = null;
        try (tcp) {
            // Fluentd's server helper sets SO_LINGER 0 (linger_timeout): every close it makes is a TCP reset
            tcp.setSoLinger(true, 0);
            tcp.setTcpNoDelay(true);
            socket = handshake(tcp, tls);
            if (socket == null) {
                return;
            }
            openSockets.add(socket); // for stop(), which closes it with close_notify
            openSockets.remove(tcp);
            // in_http closes a connection idle for keepalive_timeout (any bytes read count as activity)
            socket.setSoTimeout((int) keepAliveTimeout.toMillis());
            converse(socket);
        } catch (IOException e) {
            LOG.debug("Fluentd stand-in closed a connection: {}", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            openSockets.remove(tcp);
            if (socket != null) {
                openSockets.remove(socket);
            }
        }
    }

    /** Answers requests until the client, an answer or the keep-alive timeout closes the connection. */
    private void converse(SSLSocket socket) throws IOException, InterruptedException {
        InputStream in = new BufferedInputStream(socket.getInputStream());
        OutputStream out = new BufferedOutputStream(socket.getOutputStream());
        try {
            while (true) {
                InHttpRequest request = InHttpRequest.readHead(in);
                if (request == null) {
                    socket.close(); // answers the client's close_notify with ours
                    return;
                }
                requests.incrementAndGet();
                if (!exchange(request, in, out)) {
                    // Fluentd closes right after the answer: its close_notify, held back by Nagle
                    // behind the answer, is dropped by the reset
                    return;
                }
            }
        } catch (SocketTimeoutException e) {
            socket.close(); // close_notify, then the reset
        }
    }

    /**
     * Reads the ClientHello, refuses a resumption, else completes the TLS handshake over the same
     * connection; null when refused. No deadline: Fluentd waits for a handshake as long as it takes,
     * its keep-alive timer starts after it.
     */
    private SSLSocket handshake(Socket tcp, TlsState tls) throws IOException {
        ByteArrayOutputStream consumed = new ByteArrayOutputStream();
        ClientHello hello = readClientHello(tcp.getInputStream(), consumed);
        // Fluentd's TLS server verifies client certificates but sets no session id context
        // (fluent/fluentd#3632), so OpenSSL refuses a client offering a session ticket it can decrypt
        // with a fatal alert (logged as "session id context uninitialized"). Java's server does not
        // say which tickets it issued: any ticket counts as this run's once it has issued one.
        if (hello != null && hello.offersSessionTicket() && tls.ticketIssued().get()) {
            refusedResumptions.incrementAndGet();
            tcp.getOutputStream().write(INTERNAL_ERROR_ALERT);
            tcp.getOutputStream().flush();
            return null;
        }
        SSLSocket socket = (SSLSocket) tls.context().getSocketFactory()
                .createSocket(tcp, new ByteArrayInputStream(consumed.toByteArray()), true);
        // <transport tls> defaults: version TLSv1_2 pins min and max; client_cert_auth true; no ALPN
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setProtocols(new String[] {"TLSv1.2"});
        parameters.setNeedClientAuth(true);
        socket.setSSLParameters(parameters);
        socket.startHandshake();
        // needClientAuth: a completed handshake has the client's certificate
        lastClientCertificate.set((X509Certificate) socket.getSession().getPeerCertificates()[0]);
        handshakes.incrementAndGet();
        tls.ticketIssued().set(true);
        // nor does OpenSSL cache a session without a session id context when it verifies clients: a
        // client offering only the session's id gets a full handshake, so Java's server forgets it
        socket.getSession().invalidate();
        return socket;
    }

    /**
     * Reads until a whole ClientHello arrived, keeping every byte read in {@code consumed}; null when
     * the bytes are something else or the client stops first, for the TLS engine to answer.
     */
    private static ClientHello readClientHello(InputStream in, ByteArrayOutputStream consumed) throws IOException {
        byte[] buffer = new byte[ClientHello.MAX_BYTES];
        int length = 0;
        ClientHello hello = null;
        while (hello == null && length < buffer.length) {
            int read = in.read(buffer, length, buffer.length - length);
            if (read < 0) {
                break;
            }
            length += read;
            try {
                hello = ClientHello.parse(buffer, length).orElse(null);
            } catch (ClientHello.MalformedException e) {
                break;
            }
        }
        consumed.write(buffer, 0, length);
        return hello;
    }

    /** One request and its answer; false when the connection must close afterwards. */
    private boolean exchange(InHttpRequest request, InputStream in, OutputStream out)
            throws IOException, InterruptedException {
        String expect = request.header("expect");
        if (expect != null) {
            if (!expect.equals("100-continue")) {
                send(out, Reply.closing(417, ""));
                return false;
            }
            if (request.contentLength() >= BODY_SIZE_LIMIT) {
                send(out, Reply.closing(413, "Too large"));
                return false;
            }
            out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }
        byte[] body;
        try {
            body = request.readBody(in, BODY_SIZE_LIMIT);
        } catch (InHttpRequest.TooLargeException e) {
            send(out, Reply.closing(413, "Too large"));
            return false;
        }
        Reply reply = handle(request, body, request.keepAlive());
        send(out, reply);
        return !reply.close();
    }

    private Reply handle(InHttpRequest request, byte[] body, boolean keepAlive)
            throws InterruptedException, IOException {
        // in_http answers GET (health checks) with an empty 200 and OPTIONS (CORS off) with 403, then closes
        if (request.method().equals("GET")) {
            return Reply.closing(200, "");
        }
        if (request.method().equals("OPTIONS")) {
            return Reply.closing(403, "");
        }
        Duration delay = latency;
        if (!delay.isZero()) {
            Thread.sleep(delay.toMillis());
        }
        Reply failure = takeFailure(keepAlive);
        if (failure != null) {
            return failure;
        }
        byte[] decoded;
        try {
            decoded = decode(body, request.header("content-encoding"));
        } catch (IOException e) {
            return Reply.closing(400, "");
        }
        Instant now = Instant.now();
        List<InHttpParser.Parsed> parsed;
        try {
            parsed = InHttpParser.parse(decoded, now);
        } catch (InHttpParser.TimeParseException e) {
            return Reply.fromCallback(400, keepAlive, errorBody(400, e.getMessage()));
        }
        for (InHttpParser.Parsed record : parsed) {
            Integer status = record.uid() == null ? null : rejectedIds.get(record.uid());
            if (status != null) {
                return Reply.fromCallback(status, keepAlive, errorBody(status, "rejected event " + record.uid()));
            }
        }
        Instant queryTime = InHttpParser.queryTime(request.query(), now);
        record(tag(request.path()), parsed, queryTime);
        return Reply.fromCallback(200, keepAlive, "");
    }

    /**
     * in_http's tag: the path without its leading "/", every "/" turned into "." (Ruby's split drops
     * trailing empty parts, as Java's does).
     */
    static String tag(String path) {
        String relative = path.startsWith("/") ? path.substring(1) : path;
        return String.join(".", relative.split("/"));
    }

    /** Content-Encoding gzip and deflate (zlib) are decoded; anything else is taken as is, as in_http does. */
    private static byte[] decode(byte[] body, String encoding) throws IOException {
        InputStream decoder;
        if ("gzip".equals(encoding)) {
            decoder = new GZIPInputStream(new ByteArrayInputStream(body));
        } else if ("deflate".equals(encoding)) {
            decoder = new InflaterInputStream(new ByteArrayInputStream(body));
        } else {
            return body;
        }
        try (decoder) {
            byte[] decoded = decoder.readNBytes((int) DECOMPRESSED_SIZE_LIMIT + 1);
            if (decoded.length > DECOMPRESSED_SIZE_LIMIT) {
                throw new IOException("decompressed body too large");
            }
            return decoded;
        }
    }

    private void record(String tag, List<InHttpParser.Parsed> parsed, Instant queryTime) throws IOException {
        synchronized (received) {
            List<ReceivedEvent> events = received.computeIfAbsent(tag, t -> new ArrayList<>());
            for (InHttpParser.Parsed record : parsed) {
                Instant time = queryTime != null ? queryTime : record.time();
                events.add(new ReceivedEvent(tag, time, record.uid(), record.json()));
            }
            if (recordOut != null && !parsed.isEmpty()) {
                for (InHttpParser.Parsed record : parsed) {
                    String event = record.json().indexOf('\n') < 0 && record.json().indexOf('\r') < 0
                            ? record.json() : JSON.readTree(record.json()).toString();
                    String line = "{\"tag\":" + new TextNode(tag) + ",\"event\":" + event + "}\n";
                    recordOut.write(line.getBytes(StandardCharsets.UTF_8));
                }
                recordOut.flush();
            }
        }
    }

    // ---- responses -------------------------------------------------------------------------

    /** An answer's bytes, and whether the connection closes after it. */
    private record Reply(byte[] bytes, boolean close) {

        /**
         * What in_http's on_request answers: its headers (Content-Type, none for 204), then
         * {@code Connection: Keep-Alive} on a kept-alive connection, then the Content-Length (and
         * Content-Type) send_response adds; closed after when not kept alive.
         */
        static Reply fromCallback(int status, boolean keepAlive, String body) {
            Map<String, String> headers = new LinkedHashMap<>();
            if (status != 204) {
                headers.put("Content-Type", "text/plain");
            }
            if (keepAlive) {
                headers.put("Connection", "Keep-Alive");
            }
            return new Reply(bytes(status, headers, body), !keepAlive);
        }

        /**
         * What the connection handler sends by itself before closing (413, 417, GET, OPTIONS, an
         * undecodable body): only send_response's default headers.
         */
        static Reply closing(int status, String body) {
            return new Reply(bytes(status, new LinkedHashMap<>(), body), true);
        }

        private static byte[] bytes(int status, Map<String, String> headers, String body) {
            byte[] content = body.getBytes(StandardCharsets.UTF_8);
            headers.putIfAbsent("Content-Length", Integer.toString(content.length));
            headers.putIfAbsent("Content-Type", "text/plain");
            StringBuilder head = new StringBuilder("HTTP/1.1 ").append(status).append(' ').append(reason(status))
                    .append("\r\n");
            headers.forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
            head.append("\r\n");
            byte[] headBytes = head.toString().getBytes(StandardCharsets.US_ASCII);
            byte[] all = new byte[headBytes.length + content.length];
            System.arraycopy(headBytes, 0, all, 0, headBytes.length);
            System.arraycopy(content, 0, all, headBytes.length, content.length);
            return all;
        }
    }

    /** Fluentd's error body: the status line, then the message, each ending in a newline. */
    private static String errorBody(int status, String message) {
        return status + " " + reason(status) + "\n" + message + "\n";
    }

    private static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 201 -> "Created";
            case 202 -> "Accepted";
            case 204 -> "No Content";
            case 301 -> "Moved Permanently";
            case 302 -> "Found";
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 408 -> "Request Timeout";
            case 413 -> "Request Entity Too Large";
            case 417 -> "Expectation Failed";
            case 429 -> "Too Many Requests";
            case 500 -> "Internal Server Error";
            case 502 -> "Bad Gateway";
            case 503 -> "Service Unavailable";
            case 504 -> "Gateway Timeout";
            default -> "Status " + status;
        };
    }

    private static void send(OutputStream out, Reply reply) throws IOException {
        out.write(reply.bytes());
        out.flush();
    }

    private static Thread daemon(Runnable task, String name) {
        Thread thread = new Thread(task, name);
        thread.setDaemon(true);
        return thread;
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            LOG.debug("closing {} failed: {}", closeable, e.toString());
        }
    }

    /** How the stand-in listens and which certificates it uses, as in {@code <transport tls>}. */
    public static final class Builder {
        private int port;
        private String bind = "127.0.0.1";
        private List<X509Certificate> clientCas;
        private List<X509Certificate> serverChain;
        private PrivateKey serverKey;
        private Duration keepAliveTimeout = KEEPALIVE_TIMEOUT;
        private Path recordFile;

        private Builder() {
        }

        /** The port; 0 (the default) picks a free one at the first start. */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /** The address to listen on; 127.0.0.1 by default. */
        public Builder bind(String address) {
            this.bind = address;
            return this;
        }

        /** The CA(s) client certificates must be signed by ({@code ca_path}). */
        public Builder clientCa(List<X509Certificate> authorities) {
            this.clientCas = List.copyOf(authorities);
            return this;
        }

        /** The CA file client certificates must be signed by ({@code ca_path}). */
        public Builder clientCa(Path caPem) {
            try {
                List<X509Certificate> authorities = Pem.readCertificates(read(caPem));
                if (authorities.isEmpty()) {
                    throw new ConfigException(caPem + ": no certificate found");
                }
                return clientCa(authorities);
            } catch (PemException e) {
                throw new ConfigException(caPem + ": " + e.getMessage());
            }
        }

        /** The server certificate and its key, for instance as just issued by a test CA. */
        public Builder serverCertificate(Certificate certificate) {
            this.serverChain = List.of(certificate.x509());
            this.serverKey = certificate.keyPair().getPrivate();
            return this;
        }

        /**
         * The server certificate and key files ({@code cert_path}, {@code private_key_path},
         * {@code private_key_passphrase}); Teleport's `configure` always encrypts the server key.
         */
        public Builder serverCertificate(Path certPem, Path keyPem, char[] passphrase) {
            try {
                List<X509Certificate> chain = Pem.readCertificates(read(certPem));
                if (chain.isEmpty()) {
                    throw new ConfigException(certPem + ": no certificate found");
                }
                this.serverChain = chain;
            } catch (PemException e) {
                throw new ConfigException(certPem + ": " + e.getMessage());
            }
            try {
                this.serverKey = Pem.readPrivateKey(read(keyPem), passphrase);
            } catch (PemException e) {
                throw new ConfigException(keyPem + ": " + e.getMessage());
            }
            return this;
        }

        /** How long an idle connection stays open; in_http's default is 10 s. */
        public Builder keepAliveTimeout(Duration timeout) {
            this.keepAliveTimeout = timeout;
            return this;
        }

        /**
         * Also appends every accepted record to {@code file} as one JSON line
         * {@code {"tag":...,"event":{...}}}, flushed per request, so another process can count deliveries.
         */
        public Builder recordTo(Path file) {
            this.recordFile = file;
            return this;
        }

        public FluentdStandIn build() {
            if (clientCas == null || clientCas.isEmpty()) {
                throw new IllegalStateException("the Fluentd stand-in needs the CA that signs client certificates");
            }
            if (serverChain == null || serverKey == null) {
                throw new IllegalStateException("the Fluentd stand-in needs a server certificate and key");
            }
            return new FluentdStandIn(this);
        }

        private static String read(Path file) {
            try {
                return Files.readString(file, StandardCharsets.UTF_8);
            } catch (NoSuchFileException e) {
                throw new ConfigException(file + ": no such file");
            } catch (IOException e) {
                throw new ConfigException(file + ": cannot read: " + e.getMessage());
            }
        }
    }
}
