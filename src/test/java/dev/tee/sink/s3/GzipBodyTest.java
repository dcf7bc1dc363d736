package dev.tee.sink.s3;

import static dev.tee.sink.s3.TestEvents.event;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import org.junit.jupiter.api.Test;

class GzipBodyTest {

    @Test
    void isWhatJavasGzipWritesForTheLinesInOrderWhoeverAsks() throws Exception {
        List<PantherLine> lines = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 2000; i++) { // more than one 64 KiB buffer of input
            PantherLine line = PantherLine.of(event("{\"event\":\"e\",\"uid\":\"u" + i + "\",\"n\":" + i
                    + ",\"time\":\"2026-11-23T17:22:01Z\"}"), Instant.EPOCH);
            lines.add(line);
            text.append(line).append('\n');
        }
        MinuteObject object = new MinuteObject(lines.get(0).minute(), MinuteObject.DEFAULT_MAX_BYTES);
        lines.forEach(object::add);

        byte[] body = GzipBody.of(lines);
        assertThat(body).isEqualTo(plainGzip(text.toString()));
        assertThat(object.gzip()).isEqualTo(body);
        assertThat(GzipBody.of(List.copyOf(lines))).isEqualTo(body);
        assertThat(MinuteObject.lines(body)).hasSize(2000).first()
                .isEqualTo("{\"event\":\"e\",\"n\":0,\"uid\":\"u0\",\"time\":\"2026-11-23T17:22:01Z\"}");
        assertThat(lines.get(0).bytes()).as("the lines are left as they were")
                .isEqualTo((lines.get(0) + "\n").getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void noLinesMakeAnEmptyMember() throws Exception {
        assertThat(GzipBody.of(List.of())).isEqualTo(plainGzip(""));
        assertThat(MinuteObject.lines(GzipBody.of(List.of()))).isEmpty();
    }

    private static byte[] plainGzip(String content) throws Exception {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(body)) {
            out.write(content.getBytes(StandardCharsets.UTF_8));
        }
        return body.toByteArray();
    }
}
