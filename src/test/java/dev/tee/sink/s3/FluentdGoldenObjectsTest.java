package dev.tee.sink.s3;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tee.event.AuditEvent;
import dev.tee.testing.Fixtures;
import org.junit.jupiter.api.Test;

/**
 * Our objects for the 170 fixture events against what real Fluentd 1.18 + fluent-plugin-s3 1.8.5 wrote
 * for them (fixtures/fluentd-s3-golden): same keys, same line bytes, in the same order.
 */
class FluentdGoldenObjectsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String GOLDEN = "fluentd-s3-golden/";

    @Test
    void writesTheKeysAndLinesRealFluentdWroteForTheFixtureEvents() throws Exception {
        List<String> posted = Fixtures.lines(GOLDEN + "posted.jsonl");
        List<PantherLine> lines = new ArrayList<>();
        for (int i = 0; i < posted.size(); i++) {
            AuditEvent event = TestEvents.event(JSON.readTree(posted.get(i)), i);
            // the events are exactly the bodies the recording posted, in the order it posted them
            assertThat(new String(event.json(), StandardCharsets.UTF_8)).isEqualTo(posted.get(i));
            lines.add(PantherLine.of(event, Instant.EPOCH));
        }
        // Posted by time, then as posted; Fluentd appends to each minute's chunk in arrival order.
        lines.sort(Comparator.comparing(PantherLine::time));

        List<String> keys = new ArrayList<>();
        List<List<String>> contents = new ArrayList<>();
        Map<Instant, Integer> nextIndex = new HashMap<>();
        for (MinuteObject object : MinuteObject.group(lines, MinuteObject.DEFAULT_MAX_BYTES)) {
            int index = nextIndex.merge(object.minute(), 1, Integer::sum) - 1;
            keys.add(PantherObjectKey.of(PantherObjectKey.DEFAULT_PREFIX, object.minute(), index).key());
            contents.add(TestEvents.gunzipLines(object.gzip()));
        }

        List<String> goldenKeys = new ArrayList<>();
        List<List<String>> goldenContents = new ArrayList<>();
        for (String object : Fixtures.lines(GOLDEN + "objects.jsonl")) {
            JsonNode node = JSON.readTree(object);
            goldenKeys.add(node.get("key").asText());
            List<String> objectLines = new ArrayList<>();
            node.get("lines").forEach(line -> objectLines.add(line.asText()));
            goldenContents.add(objectLines);
        }

        assertThat(goldenKeys).hasSize(71);
        assertThat(goldenContents.stream().mapToInt(List::size).sum()).isEqualTo(170);
        assertThat(keys).containsExactlyElementsOf(goldenKeys);
        for (int i = 0; i < keys.size(); i++) {
            assertThat(contents.get(i)).as(keys.get(i)).containsExactlyElementsOf(goldenContents.get(i));
        }
    }

    @Test
    void readsTheLinesBackFromFluentdsObjects() throws Exception {
        for (String object : Fixtures.lines(GOLDEN + "objects.jsonl")) {
            JsonNode node = JSON.readTree(object);
            StringBuilder content = new StringBuilder();
            List<String> lines = new ArrayList<>();
            for (JsonNode line : node.get("lines")) {
                content.append(line.asText()).append('\n');
                lines.add(line.asText());
            }
            assertThat(MinuteObject.lines(gzip(content.toString())))
                    .as(node.get("key").asText()).containsExactlyElementsOf(lines);
        }
    }

    private static byte[] gzip(String content) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(body)) {
            out.write(content.getBytes(StandardCharsets.UTF_8));
        }
        return body.toByteArray();
    }
}
