package dev.tee.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.ListValue;
import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import org.junit.jupiter.api.Test;

/** The Struct printer and reader that work on the wire bytes. */
class StructBytesTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void printsRandomStructsAsJsonThatReadsBackToTheSameStructWithKeysSortedByTheirBytes() throws Exception {
        Random random = new Random(20261206);
        for (int i = 0; i < 1_000; i++) {
            Struct struct = randomStruct(random, 0);
            byte[] json = StructBytes.goJson(struct.toByteArray());
            JsonNode read = JSON.readTree(json);
            assertThat(EventJson.toStruct(read)).as("struct %d: %s", i, new String(json, StandardCharsets.UTF_8))
                    .isEqualTo(withoutNanAndInfinities(struct));
            assertSorted(read);
        }
    }

    @Test
    void keepsTheLastOfEqualKeysAndTheLastFieldOfAValueAsProtobufDoes() throws Exception {
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        entry(wire, "b", Value.newBuilder().setStringValue("first").build().toByteArray());
        entry(wire, "a", Value.newBuilder().setBoolValue(true).build().toByteArray());
        // a Value with both number and string set: the string comes last and wins
        byte[] both = concat(Value.newBuilder().setNumberValue(1).build().toByteArray(),
                Value.newBuilder().setStringValue("s").build().toByteArray());
        entry(wire, "c", both);
        entry(wire, "b", Value.newBuilder().setStringValue("second").build().toByteArray());
        byte[] struct = wire.toByteArray();
        // what protobuf-java makes of the same bytes
        Struct parsed = Struct.parseFrom(struct);
        assertThat(parsed.getFieldsMap().get("b").getStringValue()).isEqualTo("second");
        assertThat(new String(StructBytes.goJson(struct), StandardCharsets.UTF_8))
                .isEqualTo("{\"a\":true,\"b\":\"second\",\"c\":\"s\"}")
                .isEqualTo(new String(EventJson.goJson(parsed), StandardCharsets.UTF_8));
        assertThat(StructBytes.string(struct, StructBytes.find(struct, bytes("b")))).isEqualTo("second");
        assertThat(StructBytes.bool(struct, StructBytes.find(struct, bytes("a")))).isTrue();
        assertThat(StructBytes.string(struct, StructBytes.find(struct, bytes("a")))).isNull();
        assertThat(StructBytes.find(struct, bytes("missing"))).isNegative();
    }

    @Test
    void readsTopLevelMembersOnly() {
        Struct struct = Struct.newBuilder()
                .putFields("user", Value.newBuilder().setStringValue("alice").build())
                .putFields("nested", Value.newBuilder().setStructValue(Struct.newBuilder()
                        .putFields("sid", Value.newBuilder().setStringValue("inner").build())).build())
                .putFields("success", Value.newBuilder().setBoolValue(false).build())
                .build();
        AuditEvent event = new AuditEvent("id", "user.login", java.time.Instant.EPOCH, 0, struct);
        assertThat(event.stringField("user")).isEqualTo("alice");
        assertThat(event.stringField("sid")).isNull();
        assertThat(event.boolField("success")).isFalse();
        assertThat(event.boolField("user")).isNull();
    }

    @Test
    void refusesBytesThatAreNotAStruct() {
        byte[] truncated = Struct.newBuilder().putFields("key", Value.newBuilder().setStringValue("value").build())
                .build().toByteArray();
        byte[] cut = java.util.Arrays.copyOf(truncated, truncated.length - 3);
        assertThatThrownBy(() -> StructBytes.goJson(cut)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a well-formed protobuf Struct");
        assertThatThrownBy(() -> StructBytes.goJson(new byte[] {(byte) 0x0f}))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void printsAnEmptyStructAndNestedEmptyValues() {
        Struct struct = Struct.newBuilder()
                .putFields("o", Value.newBuilder().setStructValue(Struct.getDefaultInstance()).build())
                .putFields("l", Value.newBuilder().setListValue(ListValue.getDefaultInstance()).build())
                .putFields("n", Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build())
                .putFields("unset", Value.getDefaultInstance())
                .build();
        assertThat(new String(StructBytes.goJson(struct.toByteArray()), StandardCharsets.UTF_8))
                .isEqualTo("{\"l\":[],\"n\":null,\"o\":{},\"unset\":null}");
        assertThat(StructBytes.goJson(new byte[0])).isEqualTo(bytes("{}"));
    }

    @Test
    void sortsKeysThatAgreeInTheirFirstEightBytesByTheRestAndKeepsTheLastOfEqualOnes() throws Exception {
        List<String> keys = List.of("aaaaaaaab", "aaaaaaaa", "aaaaaaaa\u0000", "aaaaaaa", "aaaaaaaaa",
                "aaaaaaa\u00ff", "resource_namespace", "resource_kind", "a\u0000", "a", "", "\u00e9", "z", "aaaaaaaab",
                "aaaaaaaa\u0000");
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        for (int i = 0; i < keys.size(); i++) {
            entry(wire, keys.get(i), Value.newBuilder().setNumberValue(i).build().toByteArray());
        }
        // by bytes: a key before the longer keys it begins, "\u00ff" (c3 bf) after every 'a'; each with its last value
        assertThat(new String(StructBytes.goJson(wire.toByteArray()), StandardCharsets.UTF_8)).isEqualTo("{\"\":10,"
                + "\"a\":9,\"a\\u0000\":8,\"aaaaaaa\":3,\"aaaaaaaa\":1,\"aaaaaaaa\\u0000\":14,\"aaaaaaaaa\":4,"
                + "\"aaaaaaaab\":13,\"aaaaaaa\u00ff\":5,\"resource_kind\":7,\"resource_namespace\":6,\"z\":12,"
                + "\"\u00e9\":11}");
    }

    @Test
    void escapesEveryByteThatNeedsItWhereverItSitsInAStringAndAtTheEndOfTheBytes() {
        for (char special : new char[] {'"', '\\', '\n', '\u0000', '\u001f', '\u007f', '\u00e9'}) {
            for (int length = 1; length <= 20; length++) {
                for (int at = 0; at < length; at++) {
                    String text = "x".repeat(at) + special + "y".repeat(length - at - 1);
                    // the string as a key and as the last bytes of the Struct, where fewer than eight follow
                    Struct struct = Struct.newBuilder().putFields(text, Value.newBuilder().setStringValue(text).build())
                            .build();
                    String expected = "{" + quoted(text) + ":" + quoted(text) + "}";
                    assertThat(new String(StructBytes.goJson(struct.toByteArray()), StandardCharsets.UTF_8))
                            .as("%s at %d of %d", (int) special, at, length).isEqualTo(expected);
                }
            }
        }
    }

    @Test
    void printsStructsWithManyMembersNestedInEachOther() throws Exception {
        Struct.Builder top = Struct.newBuilder();
        for (int i = 0; i < 40; i++) {
            Struct.Builder inner = Struct.newBuilder();
            for (int j = 0; j < 40; j++) {
                inner.putFields("inner key " + (j * 7 % 40), Value.newBuilder().setNumberValue(j).build());
            }
            ListValue list = ListValue.newBuilder().addValues(Value.newBuilder().setStructValue(inner)).build();
            top.putFields("key " + (i * 13 % 40), Value.newBuilder().setStructValue(inner).build());
            top.putFields("list " + i, Value.newBuilder().setListValue(list).build());
        }
        Struct struct = top.build();
        byte[] json = StructBytes.goJson(struct.toByteArray());
        JsonNode read = JSON.readTree(json);
        assertThat(EventJson.toStruct(read)).isEqualTo(struct);
        assertThat(read.size()).isEqualTo(80);
        assertSorted(read);
    }

    /** A string as protojson escapes it, one character at a time. */
    private static String quoted(String text) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\b' -> out.append("\\b");
                case '\t' -> out.append("\\t");
                case '\n' -> out.append("\\n");
                case '\f' -> out.append("\\f");
                case '\r' -> out.append("\\r");
                default -> out.append(c < 0x20 ? String.format("\\u%04x", (int) c) : String.valueOf(c));
            }
        }
        return out.append('"').toString();
    }

    private static void assertSorted(JsonNode node) {
        if (node.isObject()) {
            List<String> keys = new ArrayList<>();
            for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
                keys.add(it.next());
            }
            for (int i = 1; i < keys.size(); i++) {
                assertThat(java.util.Arrays.compareUnsigned(bytes(keys.get(i - 1)), bytes(keys.get(i))))
                        .as("%s before %s", keys.get(i - 1), keys.get(i)).isNegative();
            }
            node.forEach(StructBytesTest::assertSorted);
        } else if (node.isArray()) {
            node.forEach(StructBytesTest::assertSorted);
        }
    }

    private static Struct randomStruct(Random random, int depth) {
        Struct.Builder struct = Struct.newBuilder();
        int members = random.nextInt(depth == 0 ? 12 : 5);
        for (int i = 0; i < members; i++) {
            struct.putFields(randomString(random), randomValue(random, depth + 1));
        }
        return struct.build();
    }

    private static Value randomValue(Random random, int depth) {
        int kind = random.nextInt(depth > 3 ? 4 : 6);
        return switch (kind) {
            case 0 -> Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build();
            case 1 -> Value.newBuilder().setNumberValue(randomNumber(random)).build();
            case 2 -> Value.newBuilder().setStringValue(randomString(random)).build();
            case 3 -> Value.newBuilder().setBoolValue(random.nextBoolean()).build();
            case 4 -> Value.newBuilder().setStructValue(randomStruct(random, depth)).build();
            default -> {
                ListValue.Builder list = ListValue.newBuilder();
                for (int i = random.nextInt(4); i > 0; i--) {
                    list.addValues(randomValue(random, depth + 1));
                }
                yield Value.newBuilder().setListValue(list).build();
            }
        };
    }

    private static double randomNumber(Random random) {
        return switch (random.nextInt(6)) {
            case 0 -> random.nextInt(2_000_000) - 1_000_000;
            case 1 -> random.nextDouble() * Math.pow(10, random.nextInt(40) - 20);
            case 2 -> Double.longBitsToDouble(random.nextLong());
            case 3 -> -0.0;
            case 4 -> (double) (random.nextLong() >> random.nextInt(64));
            default -> 0x1p53 + random.nextInt(10);
        };
    }

    private static String randomString(Random random) {
        String alphabet = "ab\"\\\n\t\u0001\u001f\u007fé日\u2028😀 /<&>";
        StringBuilder text = new StringBuilder();
        for (int i = random.nextInt(8); i > 0; i--) {
            int at = random.nextInt(alphabet.length());
            if (Character.isHighSurrogate(alphabet.charAt(at))) {
                text.append(alphabet, at, at + 2);
            } else if (!Character.isLowSurrogate(alphabet.charAt(at))) {
                text.append(alphabet.charAt(at));
            }
        }
        return text.toString();
    }

    /** NaN and the infinities come out as strings (protojson cannot print them as numbers), -0 as 0. */
    private static Struct withoutNanAndInfinities(Struct struct) {
        Struct.Builder copy = Struct.newBuilder();
        struct.getFieldsMap().forEach((key, value) -> copy.putFields(key, withoutNanAndInfinities(value)));
        return copy.build();
    }

    private static Value withoutNanAndInfinities(Value value) {
        return switch (value.getKindCase()) {
            case NUMBER_VALUE -> {
                double number = value.getNumberValue();
                if (Double.isNaN(number) || Double.isInfinite(number)) {
                    yield Value.newBuilder().setStringValue(Double.isNaN(number) ? "NaN"
                            : number > 0 ? "Infinity" : "-Infinity").build();
                }
                // "-0" reads back as the integer 0
                yield number == 0 ? Value.newBuilder().setNumberValue(0.0).build() : value;
            }
            case STRUCT_VALUE -> Value.newBuilder().setStructValue(withoutNanAndInfinities(value.getStructValue())).build();
            case LIST_VALUE -> {
                ListValue.Builder list = ListValue.newBuilder();
                value.getListValue().getValuesList().forEach(element -> list.addValues(withoutNanAndInfinities(element)));
                yield Value.newBuilder().setListValue(list).build();
            }
            default -> value;
        };
    }

    private static void entry(ByteArrayOutputStream wire, String key, byte[] value) throws Exception {
        ByteArrayOutputStream entry = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(entry);
        out.writeString(1, key);
        out.writeByteArray(2, value);
        out.flush();
        CodedOutputStream struct = CodedOutputStream.newInstance(wire);
        struct.writeByteArray(1, entry.toByteArray());
        struct.flush();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] both = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, both, a.length, b.length);
        return both;
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
