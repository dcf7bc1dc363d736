package dev.tee.sink.s3;

import static dev.tee.sink.s3.TestEvents.event;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import java.util.zip.Inflater;

import org.junit.jupiter.api.Test;

class MinuteObjectTest {

    private static final Instant MINUTE = Instant.parse("2026-11-23T17:22:00Z");

    @Test
    void gzipsItsLinesAsOneMemberEachEndingInLf() throws Exception {
        MinuteObject object = new MinuteObject(MINUTE, MinuteObject.DEFAULT_MAX_BYTES);
        object.add(line("a", "17:22:01"));
        object.add(line("b", "17:22:59.5"));
        byte[] body = object.gzip();

        assertThat(TestEvents.gunzipLines(body)).containsExactly(
                "{\"event\":\"e\",\"uid\":\"a\",\"time\":\"2026-11-23T17:22:01Z\"}",
                "{\"event\":\"e\",\"uid\":\"b\",\"time\":\"2026-11-23T17:22:59Z\"}");
        assertThat(object.uncompressedBytes()).isEqualTo(2L * 54);
        assertThat(object.lineCount()).isEqualTo(2);
        assertThat(object.eventIds()).containsExactly("a", "b");

        // one member: a 10-byte header without optional fields, one deflate stream, then exactly the trailer
        assertThat(body[0] & 0xff).isEqualTo(0x1f);
        assertThat(body[1] & 0xff).isEqualTo(0x8b);
        assertThat(body[3]).isZero();
        // mtime 0: the same lines give the same body
        assertThat(ByteBuffer.wrap(body, 4, 4).getInt()).isZero();
        assertThat(object.gzip()).isEqualTo(body);
        Inflater inflater = new Inflater(true);
        inflater.setInput(body, 10, body.length - 10);
        byte[] out = new byte[4096];
        int inflated = inflater.inflate(out);
        assertThat(inflater.finished()).isTrue();
        assertThat(inflater.getRemaining()).isEqualTo(8);
        assertThat(inflated).isEqualTo(108);
        assertThat(ByteBuffer.wrap(body, body.length - 4, 4).order(ByteOrder.LITTLE_ENDIAN).getInt()).isEqualTo(108);
    }

    @Test
    void groupsLinesByMinuteKeepingTheirOrder() {
        List<PantherLine> lines = List.of(line("a", "17:23:00"), line("b", "17:22:30"), line("c", "17:23:59.9"),
                line("d", "17:22:00"));
        List<MinuteObject> objects = MinuteObject.group(lines, MinuteObject.DEFAULT_MAX_BYTES);
        assertThat(objects).extracting(MinuteObject::minute).containsExactly(MINUTE, MINUTE.plusSeconds(60));
        assertThat(objects).extracting(MinuteObject::eventIds).containsExactly(List.of("b", "d"), List.of("a", "c"));
    }

    @Test
    void startsAnotherObjectOfTheMinuteWhenTheCapWouldBePassed() {
        // each line is 54 bytes with its LF: two fit under 110, a third would not
        List<PantherLine> lines = new ArrayList<>();
        for (String uid : new String[] {"a", "b", "c", "d", "e"}) {
            lines.add(line(uid, "17:22:10"));
        }
        List<MinuteObject> objects = MinuteObject.group(lines, 110);
        assertThat(objects).extracting(MinuteObject::eventIds)
                .containsExactly(List.of("a", "b"), List.of("c", "d"), List.of("e"));
        assertThat(objects).extracting(MinuteObject::uncompressedBytes).containsExactly(108L, 108L, 54L);
    }

    @Test
    void takesALineLongerThanTheCapAlone() {
        MinuteObject object = new MinuteObject(MINUTE, 10);
        PantherLine line = line("a", "17:22:10");
        assertThat(object.accepts(line)).isTrue();
        object.add(line);
        assertThat(object.accepts(line("b", "17:22:11"))).isFalse();
        assertThatThrownBy(() -> object.add(line("b", "17:22:11"))).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void refusesALineOfAnotherMinute() {
        MinuteObject object = new MinuteObject(MINUTE, MinuteObject.DEFAULT_MAX_BYTES);
        PantherLine next = line("a", "17:23:00");
        assertThat(object.accepts(next)).isFalse();
        assertThatThrownBy(() -> object.add(next)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void readsAnObjectsLinesAcrossGzipMembers() throws Exception {
        MinuteObject first = new MinuteObject(MINUTE, MinuteObject.DEFAULT_MAX_BYTES);
        first.add(line("a", "17:22:01"));
        first.add(PantherLine.of(event("{\"event\":\"print\",\"time\":\"2026-11-23T17:22:02Z\"}"), Instant.EPOCH));
        MinuteObject second = new MinuteObject(MINUTE, MinuteObject.DEFAULT_MAX_BYTES);
        second.add(PantherLine.of(event("{\"a\":{\"uid\":\"nested\"},\"uid\":\"b\u2028\",\"time\":\"2026-11-23T17:22:03Z\"}"),
                Instant.EPOCH));
        ByteArrayOutputStream twoMembers = new ByteArrayOutputStream();
        twoMembers.write(first.gzip());
        twoMembers.write(second.gzip());

        List<String> lines = MinuteObject.lines(twoMembers.toByteArray());
        assertThat(lines).hasSize(3);
        assertThat(lines.get(1)).isEqualTo("{\"event\":\"print\",\"time\":\"2026-11-23T17:22:02Z\"}");
        assertThat(lines.get(2)).contains("\"uid\":\"b\u2028\"");
    }

    @Test
    void refusesABodyThatIsNotGzipped() throws Exception {
        assertThatThrownBy(() -> MinuteObject.lines("{\"uid\":\"a\"}\n".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("not a gzip body");
        assertThat(MinuteObject.lines(gzip("x\ny"))).containsExactly("x", "y");
    }

    private static byte[] gzip(String content) throws Exception {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(body)) {
            out.write(content.getBytes(StandardCharsets.UTF_8));
        }
        return body.toByteArray();
    }

    private static PantherLine line(String uid, String time) {
        return PantherLine.of(event("{\"event\":\"e\",\"uid\":\"" + uid + "\",\"time\":\"2026-11-23T" + time + "Z\"}"),
                Instant.EPOCH);
    }
}
