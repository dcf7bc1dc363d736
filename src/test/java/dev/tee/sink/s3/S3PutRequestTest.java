package dev.tee.sink.s3;

import static dev.tee.sink.s3.S3ObjectStore.GZIP_CONTENT_TYPE;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.GZIPOutputStream;

import com.sun.net.httpserver.HttpServer;
import dev.tee.sink.s3.ObjectStore.PutOutcome;
import dev.tee.sink.s3.S3ObjectStore.Settings;
import dev.tee.sink.s3.S3ObjectStore.StaticKeys;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What a PUT through camel-aws2-s3 looks like on the wire, seen by a plain HTTP server that accepts
 * everything: If-None-Match, fluent-plugin-s3's Content-Type, and exactly our bytes (the SDK may send
 * them in aws-chunked encoding, with chunk signatures and a trailing checksum).
 */
class S3PutRequestTest {

    private final Map<String, Map<String, List<String>>> puts = new ConcurrentHashMap<>();
    private final Map<String, byte[]> bodies = new ConcurrentHashMap<>();
    private HttpServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    @Test
    void aPutSendsThePlainBodyWithItsLengthAndIfNoneMatch() throws IOException {
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
        URI endpoint = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        ByteArrayOutputStream compressed = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(compressed)) {
            out.write("{\"event\":\"user.login\",\"time\":\"2026-11-23T17:22:05Z\"}\n".getBytes(StandardCharsets.UTF_8));
        }
        byte[] gzip = compressed.toByteArray();

        try (S3ObjectStore store = S3ObjectStore.open(new Settings("b-1", "us-east-1", endpoint, true,
                new StaticKeys("id", "secret"), null, null))) {
            assertThat(store.putIfAbsent("teleport/logs20261123172200_0.gz", gzip, GZIP_CONTENT_TYPE))
                    .isEqualTo(PutOutcome.CREATED);
        }

        Map<String, List<String>> headers = puts.get("/b-1/teleport/logs20261123172200_0.gz");
        assertThat(headers).as("the PUT reached the server").isNotNull();
        assertThat(headers.get("If-none-match")).containsExactly("*");
        assertThat(headers.get("Content-type")).containsExactly(GZIP_CONTENT_TYPE);
        byte[] received = bodies.get("/b-1/teleport/logs20261123172200_0.gz");
        boolean chunked = headers.getOrDefault("Content-encoding", List.of()).stream()
                .anyMatch(value -> value.contains("aws-chunked"));
        if (chunked) {
            assertThat(headers.get("X-amz-decoded-content-length")).containsExactly(Integer.toString(gzip.length));
            received = decodeAwsChunked(received);
        }
        assertThat(received).isEqualTo(gzip);
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
