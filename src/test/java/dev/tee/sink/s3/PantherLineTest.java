package dev.tee.sink.s3;

import static dev.tee.sink.s3.TestEvents.event;
import static dev.tee.sink.s3.TestEvents.line;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

import org.junit.jupiter.api.Test;

class PantherLineTest {

    @Test
    void movesTimeLastFlooredToTheSecondAndSortsKeysAtEveryLevel() {
        PantherLine line = PantherLine.of(event(
                "{\"uid\":\"u-1\",\"time\":\"2026-11-23T17:22:20.987654321Z\",\"event\":\"user.login\","
                        + "\"z\":{\"time\":\"kept\",\"b\":1,\"a\":[{\"d\":1,\"c\":2}]},\"code\":\"T1000I\"}"),
                Instant.EPOCH);
        assertThat(line.bytes()).isEqualTo(("{\"code\":\"T1000I\",\"event\":\"user.login\",\"uid\":\"u-1\","
                + "\"z\":{\"a\":[{\"c\":2,\"d\":1}],\"b\":1,\"time\":\"kept\"},\"time\":\"2026-11-23T17:22:20Z\"}\n")
                .getBytes(StandardCharsets.UTF_8));
        assertThat(line.time()).isEqualTo(Instant.parse("2026-11-23T17:22:20Z"));
        assertThat(line.minute()).isEqualTo(Instant.parse("2026-11-23T17:22:00Z"));
        assertThat(line.eventId()).isEqualTo("u-1");
        assertThat(line.length()).isEqualTo(line.bytes().length);
    }

    @Test
    void readsTheWallClockOfTheTimeAndIgnoresItsOffsetAsFluentdsStrptimeDoes() {
        assertThat(line("{\"time\":\"2026-11-23T19:22:30+02:00\"}")).isEqualTo("{\"time\":\"2026-11-23T19:22:30Z\"}");
        assertThat(line("{\"time\":\"2026-11-23T19:22:30 trailing text\"}"))
                .isEqualTo("{\"time\":\"2026-11-23T19:22:30Z\"}");
    }

    @Test
    void normalisesTimesTheWayTheStrptimeGemAccepts() {
        assertThat(line("{\"time\":\"2026-1-2T3:4:5Z\"}")).isEqualTo("{\"time\":\"2026-01-02T03:04:05Z\"}");
        assertThat(line("{\"time\":\"2026-02-30T00:00:00Z\"}")).isEqualTo("{\"time\":\"2026-03-02T00:00:00Z\"}");
        assertThat(line("{\"time\":\"2026-12-31T23:59:60Z\"}")).isEqualTo("{\"time\":\"2027-01-01T00:00:00Z\"}");
        assertThat(line("{\"time\":\"+999-01-01T00:00:00Z\"}")).isEqualTo("{\"time\":\"0999-01-01T00:00:00Z\"}");
    }

    @Test
    void usesTheReceiptTimeForAnEventWithoutTime() {
        PantherLine line = PantherLine.of(event("{\"event\":\"x\"}"), Instant.parse("2026-11-23T17:22:59.999Z"));
        assertThat(line.toString()).isEqualTo("{\"event\":\"x\",\"time\":\"2026-11-23T17:22:59Z\"}");
        assertThat(line.minute()).isEqualTo(Instant.parse("2026-11-23T17:22:00Z"));
    }

    @Test
    void refusesATimeThatIsNotAStringWithFluentdsMessage() {
        assertThatThrownBy(() -> line("{\"time\":1694}"))
                .isInstanceOf(InvalidEventTimeException.class).hasMessage("value must be string: 1694");
        assertThatThrownBy(() -> line("{\"time\":2.5}")).hasMessage("value must be string: 2.5");
        assertThatThrownBy(() -> line("{\"time\":null}")).hasMessage("value must be string: ");
        assertThatThrownBy(() -> line("{\"time\":true}")).hasMessage("value must be string: true");
    }

    @Test
    void refusesATimeStrptimeCannotReadWithFluentdsMessage() {
        for (String time : new String[] {"yesterday", "", "2026-11-23", "2026-13-01T00:00:00Z", "2026-11-23 17:22:20Z",
                "2026-11-23T24:00:00Z", "2026-11-23T17:60:00Z", "2026-11-23T17:22:61Z", "2026-11-00T00:00:00Z"}) {
            assertThatThrownBy(() -> line("{\"time\":\"" + time + "\"}"))
                    .isInstanceOf(InvalidEventTimeException.class)
                    .hasMessage("invalid time format: value = " + time
                            + ", error_class = ArgumentError, error = string doesn't match");
        }
    }

    @Test
    void keepsIntegersAsGoPrintedThem() {
        assertThat(numbers("0,1694,-7,4294968064,9007199254740993,100000000000000000000,123456789012345678"))
                .isEqualTo("[0,1694,-7,4294968064,9007199254740992,100000000000000000000,123456789012345680]");
        // Go prints -0 as "-0"; Ruby reads that as the Integer 0
        assertThat(numbers("-0.0")).isEqualTo("[0]");
    }

    @Test
    void printsOtherNumbersAsRubyFloats() {
        assertThat(numbers("2.5,-0.1,0.30000000000000004,123456.789,1234567890.125,0.001,0.0001"))
                .isEqualTo("[2.5,-0.1,0.30000000000000004,123456.789,1234567890.125,0.001,0.0001]");
        assertThat(numbers("0.00001,0.000015,1e-7,-1.5e-7,1e21,1.5e22,-1e21,1e100,1.7976931348623157e308"))
                .isEqualTo("[1.0e-05,1.5e-05,1.0e-07,-1.5e-07,1.0e+21,1.5e+22,-1.0e+21,1.0e+100,1.7976931348623157e+308]");
        assertThat(numbers("2.2250738585072014e-308,4.9e-324,1e-300")).isEqualTo("[2.2250738585072014e-308,5.0e-324,1.0e-300]");
    }

    @Test
    void escapesStringsLikeOjCompatMode() {
        String json = "{\"s\":\"q\\\" b\\\\ /<>&' \\u2028\\u2029 é 日本 \\ud83d\\ude00 \\u007f"
                + " \\b\\t\\n\\u000b\\f\\r \\u0000\\u001b\\u001f\"}";
        byte[] bytes = PantherLine.of(event(json), Instant.EPOCH).bytes();
        assertThat(new String(bytes, StandardCharsets.UTF_8)).isEqualTo("{\"s\":\"q\\\" b\\\\ /<>&' \u2028\u2029 é 日本 \ud83d\ude00 \u007f"
                + " \\b\\t\\n\\u000b\\f\\r \\u0000\\u001b\\u001f\",\"time\":\"1970-01-01T00:00:00Z\"}\n");
        // raw UTF-8, e.g. é as C3 A9 and U+2028 as E2 80 A8
        assertThat(indexOf(bytes, new byte[] {(byte) 0xC3, (byte) 0xA9})).isPositive();
        assertThat(indexOf(bytes, new byte[] {(byte) 0xE2, (byte) 0x80, (byte) 0xA8})).isPositive();
        assertThat(count(bytes, (byte) '\n')).isEqualTo(1);
    }

    @Test
    void escapesKeysLikeValues() {
        assertThat(line("{\"a\\\"b\\n\":1,\"addr.remote\":\"x\"}"))
                .isEqualTo("{\"a\\\"b\\n\":1,\"addr.remote\":\"x\",\"time\":\"1970-01-01T00:00:00Z\"}");
    }

    private static String numbers(String list) {
        String line = line("{\"n\":[" + list + "],\"time\":\"2026-11-23T17:22:20Z\"}");
        return line.substring("{\"n\":".length(), line.indexOf(",\"time\""));
    }

    private static int indexOf(byte[] bytes, byte[] part) {
        outer:
        for (int i = 0; i + part.length <= bytes.length; i++) {
            for (int j = 0; j < part.length; j++) {
                if (bytes[i + j] != part[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static long count(byte[] bytes, byte b) {
        long n = 0;
        for (byte x : bytes) {
            n += x == b ? 1 : 0;
        }
        return n;
    }
}
