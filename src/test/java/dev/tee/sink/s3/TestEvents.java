package dev.tee.sink.s3;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.GZIPInputStream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Struct;
import dev.tee.event.AuditEvent;
import dev.tee.event.EventJson;

/** Events built from JSON the way the readers build them, and gzip bodies read back, for the S3 tests. */
final class TestEvents {

    private static final ObjectMapper JSON = new ObjectMapper();

    private TestEvents() {
    }

    /** The event for one JSON object; its id is the uid, or Teleport's SHA-256 of the JSON when it has none. */
    static AuditEvent event(String json) {
        try {
            return event(JSON.readTree(json), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static AuditEvent event(JsonNode node, long sequence) {
        Struct struct = EventJson.toStruct(node);
        String id = node.hasNonNull("uid") ? node.get("uid").asText() : sha256(EventJson.goJson(struct));
        return new AuditEvent(id, node.path("event").asText(), readerTime(node.path("time").asText()),
                node.path("ei").asLong(0), struct);
    }

    /** The reader's parse of {@code time}; the tests feed odd times the reader would not see, and the line ignores it. */
    private static Instant readerTime(String time) {
        try {
            return OffsetDateTime.parse(time).toInstant();
        } catch (DateTimeParseException e) {
            return Instant.EPOCH;
        }
    }

    static String line(String json) {
        return PantherLine.of(event(json), Instant.EPOCH).toString();
    }

    /** The gunzipped content of {@code body} split on LF only; the last line's LF is required. */
    static List<String> gunzipLines(byte[] body) {
        String content;
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(body))) {
            content = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (!content.isEmpty() && !content.endsWith("\n")) {
            throw new AssertionError("content does not end in LF");
        }
        List<String> lines = new ArrayList<>(List.of(content.split("\n", -1)));
        lines.remove(lines.size() - 1);
        return lines;
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
