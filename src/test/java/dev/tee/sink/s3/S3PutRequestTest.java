package dev.tee.sink.s3;

import static dev.tee.sink.s3.S3ObjectStore.GZIP_CONTENT_TYPE;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.zip.GZIPOutputStream;

import com.sun.net.httpserver.HttpServer;
import dev.tee.event.AuditEvent;
import dev.tee.event.Batch;
import dev.tee.sink.s3.ObjectStore.PutOutcome;
import dev.tee.sink.s3.S3ObjectStore.Settings;
import dev.tee.sink.s3.S3ObjectStore.StaticKeys;
import dev.tee.source.AuditSource;
import dev.tee.testing.ObjectRoutes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What our PUTs look like on the wire, the routes' aws2-s3 step (audit objects) and the store's own
 * (session recordings), seen by a plain HTTP server that accepts everything: If-None-Match, storage
 * class STANDARD, the configured encryption, fluent-plugin-s3's Content-Type, and exactly our bytes (the
 * SDK may send them in aws-chunked encoding, with chunk signatures and a trailing checksum).
 */
class S3PutRequestTest {

    private final Map<String, Map<String, List<String>>> puts = new ConcurrentHashMap<>();
    private final Map<String, byte[]> bodies = new ConcurrentHashMap<>();
    private HttpServer server;

    private static final String KEY = "teleport/logs20261123172200_0.gz";
    private static final String KMS_KEY = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

    @TempDir
    Path dir;

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    @Test
    void aPutSendsThePlainBodyWithItsLengthAndIfNoneMatch() throws IOException {
        URI endpoint = startServer();
        byte[] gzip = gzip("{\"event\":\"user.login\",\"time\":\"2026-11-23T17:22:05Z\"}\n");

        try (S3ObjectStore store = S3ObjectStore.open(new Settings("b-1", "us-east-1", endpoint, true,
                new StaticKeys("id", "secret"), null, null))) {
            assertThat(store.putIfAbsent(KEY, gzip, GZIP_CONTENT_TYPE)).isEqualTo(PutOutcome.CREATED);
        }

        Map<String, List<String>> headers = puts.get("/b-1/" + KEY);
        assertThat(headers).as("the PUT reached the server").isNotNull();
        assertThat(headers.get("If-none-match")).containsExactly("*");
        assertThat(headers.get("Content-type")).containsExactly(GZIP_CONTENT_TYPE);
        assertThat(headers.get("X-amz-storage-class")).containsExactly("STANDARD");
        assertThat(received(KEY, gzip.length)).isEqualTo(gzip);
    }

    @Test
    void theRoutesPutIsConditionalStandardAndEncryptedAsConfigured() throws Exception {
        URI endpoint = startServer();
        byte[] gzip = putThroughTheRoutes(endpoint, Map.of("s3-use-kms", "true", "forward.s3.sse-kms-key-id", KMS_KEY));

        assertThat(puts).as("one PUT, of the object: no bucket created").containsOnlyKeys("/b-1/" + KEY);
        Map<String, List<String>> headers = puts.get("/b-1/" + KEY);
        assertThat(headers.get("If-none-match")).containsExactly("*");
        assertThat(headers.get("Content-type")).containsExactly(GZIP_CONTENT_TYPE);
        assertThat(headers.getOrDefault("Content-encoding", List.of())).noneMatch(value -> value.contains("gzip"));
        assertThat(headers.get("X-amz-storage-class")).containsExactly("STANDARD");
        assertThat(headers.get("X-amz-server-side-encryption")).containsExactly("aws:kms");
        assertThat(headers.get("X-amz-server-side-encryption-aws-kms-key-id")).containsExactly(KMS_KEY);
        assertThat(received(KEY, gzip.length)).isEqualTo(gzip);
    }

    @Test
    void theRoutesPutAsksForSseS3OrForNoEncryption() throws Exception {
        URI endpoint = startServer();
        putThroughTheRoutes(endpoint, Map.of("s3-use-sse-s3", "true"));
        assertThat(puts.get("/b-1/" + KEY).get("X-amz-server-side-encryption")).containsExactly("AES256");

        puts.clear();
        server.stop(0);
        endpoint = startServer();
        putThroughTheRoutes(endpoint, Map.of());
        Map<String, List<String>> headers = puts.get("/b-1/" + KEY);
        assertThat(headers).doesNotContainKeys("X-amz-server-side-encryption",
                "X-amz-server-side-encryption-aws-kms-key-id");
        assertThat(headers.get("If-none-match")).containsExactly("*");
    }

    /** One object of one event through the object routes (output=s3); returns its body. */
    private byte[] putThroughTheRoutes(URI endpoint, Map<String, String> properties) throws Exception {
        AuditEvent event = TestEvents.event("{\"event\":\"user.login\",\"uid\":\"u-1\",\"time\":\"2026-11-23T17:22:05Z\"}");
        MinuteObject expected = new MinuteObject(Instant.parse("2026-11-23T17:22:00Z"), MinuteObject.DEFAULT_MAX_BYTES);
        expected.add(PantherLine.of(event, Instant.EPOCH));
        List<String> committed = new CopyOnWriteArrayList<>();
        AuditSource caughtUp = new AuditSource() {
            @Override
            public Instant readPosition() {
                return Instant.parse("2026-11-23T18:00:00Z");
            }

            @Override
            public boolean caughtUp() {
                return true;
            }

            @Override
            public boolean idle() {
                return true;
            }

            @Override
            public long unsettled() {
                return 0;
            }
        };
        try (S3ObjectStore store = S3ObjectStore.open(new Settings("b-1", "us-east-1", endpoint, true,
                new StaticKeys("id", "secret"), null, null))) {
            PantherWriter writer = new PantherWriter("teleport/logs", MinuteObject.DEFAULT_MAX_BYTES, Duration.ZERO,
                    store, caughtUp, Clock.systemUTC());
            try (ObjectRoutes routes = ObjectRoutes.s3(writer, caughtUp, store.client(), "b-1", properties, committed,
                    dir.resolve("state-" + System.nanoTime()))) {
                routes.deliver(new Batch(List.of(event)));
            }
        }
        assertThat(committed).containsExactly(event.id());
        return expected.gzip();
    }

    private URI startServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            try (InputStream in = exchange.getRequestBody()) {
                byte[] body = in.readAllBytes();
                if (exchange.getRequestMethod().equals("PUT")) {
                    puts.put(exchange.getRequestURI().getPath(), Map.copyOf(exchange.getRequestHeaders()));
                    bodies.put(exchange.getRequestURI().getPath(), body);
                }
            }
            exchange.getResponseHeaders().add("ETag", "\"0\"");
            exchange.sendResponseHeaders(200, -1); // HEAD bucket, PUT object: all fine
            exchange.close();
        });
        server.start();
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    private static byte[] gzip(String text) throws IOException {
        ByteArrayOutputStream compressed = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(compressed)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
        return compressed.toByteArray();
    }

    /** The object's bytes as the server received them, aws-chunked framing (if any) removed. */
    private byte[] received(String key, int length) {
        Map<String, List<String>> headers = puts.get("/b-1/" + key);
        byte[] received = bodies.get("/b-1/" + key);
        boolean chunked = headers.getOrDefault("Content-encoding", List.of()).stream()
                .anyMatch(value -> value.contains("aws-chunked"));
        if (chunked) {
            assertThat(headers.get("X-amz-decoded-content-length")).containsExactly(Integer.toString(length));
            received = decodeAwsChunked(received);
        }
        return received;
    }

    /** The data of an aws-chunked body: "<hex length>[;extensions]\r\n<data>\r\n" until a zero length. */
    private static byte[] decodeAwsChunked(byte[] body) {
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        int at = 0;
        while (true) {
            int lineEnd = indexOfCrLf(body, at);
            String header = new String(body, at, lineEnd - at, StandardCharsets.US_ASCII);
            int length = Integer.parseInt(header.split(";", 2)[0].strip(), 16);
            if (length == 0) {
                return data.toByteArray();
            }
            data.write(body, lineEnd + 2, length);
            at = lineEnd + 2 + length + 2;
        }
    }

    private static int indexOfCrLf(byte[] bytes, int from) {
        for (int i = from; i + 1 < bytes.length; i++) {
            if (bytes[i] == '\r' && bytes[i + 1] == '\n') {
                return i;
            }
        }
        throw new AssertionError("no chunk header line at " + from);
    }

}
