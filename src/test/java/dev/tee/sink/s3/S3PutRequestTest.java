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
 * What a PUT looks like on the wire, seen by a plain HTTP server that accepts everything: one
 * request with the whole body and its length, If-None-Match, and no aws-chunked encoding with a
 * trailing checksum (the SDK's default for streamed bodies, which ran the 1,000,000-event benchmark
 * out of its heap).
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
        assertThat(bodies.get("/b-1/teleport/logs20261123172200_0.gz")).isEqualTo(gzip);
        assertThat(headers.get("If-none-match")).containsExactly("*");
        assertThat(headers.get("Content-type")).containsExactly(GZIP_CONTENT_TYPE);
        assertThat(headers.get("Content-length")).containsExactly(Integer.toString(gzip.length));
        assertThat(headers).doesNotContainKeys("X-amz-trailer", "X-amz-decoded-content-length");
        assertThat(headers.getOrDefault("Content-encoding", List.of())).noneMatch(value -> value.contains("aws-chunked"));
    }
}
