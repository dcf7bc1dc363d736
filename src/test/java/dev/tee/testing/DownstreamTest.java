package dev.tee.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.zip.GZIPOutputStream;

import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;

/** The kill loop's count of what arrived is only as good as {@link Downstream}'s. */
class DownstreamTest {

    private static final String KEY = "teleport/logs20261207010000_0.gz";

    /**
     * While S3Proxy writes an object it lists the body, whole once received, under {@code <key>-<uuid>}
     * as well (its file stores link that file to the key, then delete it). Counted, an object read in
     * that moment holds its events twice: "events in two objects" in a kill loop where the exporter
     * wrote each once. Here such a file is put under that name for good, to check it is not counted.
     */
    @Test
    void countsAnObjectOnceWhileS3ProxyListsItsTemporaryFileToo() throws Exception {
        try (S3ProxyServer s3 = S3ProxyServer.start();
             Downstream downstream = Downstream.s3(s3, s3.endpoint().toString())) {
            byte[] body = gzip("{\"uid\":\"event-1\",\"time\":\"2026-12-07T01:00:00Z\"}\n");
            s3.client().putObject(b -> b.bucket(Downstream.BUCKET).key(KEY + "-" + UUID.randomUUID()),
                    RequestBody.fromBytes(body));
            s3.client().putObject(b -> b.bucket(Downstream.BUCKET).key(KEY), RequestBody.fromBytes(body));

            assertThat(downstream.ids()).containsExactly("event-1");
            assertThat(downstream.repeated()).isZero();
        }
    }

    private static byte[] gzip(String text) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
        return bytes.toByteArray();
    }
}
