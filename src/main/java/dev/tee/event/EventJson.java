package dev.tee.event;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.io.schubfach.DoubleToDecimal;
import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ListValue;
import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;

/**
 * Converts events between JSON and the protobuf Struct Teleport sends them in, byte for byte as the
 * Go side does it.
 *
 * <p>Teleport marshals an event to JSON and parses that into a Struct, so every number becomes a
 * double (teleport-wire.md §1.1). The Go event handler re-serialises the Struct with protojson, which
 * writes object keys sorted at every level, numbers like JavaScript and strings with minimal escaping
 * (fluentd-s3-panther.md §2.5b). {@link #goJson} reproduces that output exactly.
 */
public final class EventJson {

    private EventJson() {
    }

    /** The Struct Teleport's server builds from an event's JSON. */
    public static Struct toStruct(JsonNode object) {
        if (!object.isObject()) {
            throw new IllegalArgumentException("an event must be a JSON object");
        }
        return toValue(object).getStructValue();
    }

    private static Value toValue(JsonNode node) {
        Value.Builder value = Value.newBuilder();
        switch (node.getNodeType()) {
            case OBJECT -> {
                Struct.Builder struct = Struct.newBuilder();
                for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> field = it.next();
                    struct.putFields(field.getKey(), toValue(field.getValue()));
                }
                value.setStructValue(struct);
            }
            case ARRAY -> {
                ListValue.Builder list = ListValue.newBuilder();
                node.forEach(element -> list.addValues(toValue(element)));
                value.setListValue(list);
            }
            case NUMBER -> value.setNumberValue(node.doubleValue());
            case BOOLEAN -> value.setBoolValue(node.booleanValue());
            case STRING -> value.setStringValue(node.textValue());
            default -> value.setNullValue(NullValue.NULL_VALUE);
        }
        return value.build();
    }

    /** How a printed Struct writes numbers: the one thing that tells its two styles apart. */
    @FunctionalInterface
    public interface NumberStyle {
        void write(double number, StringBuilder out);
    }

    /** Go's protojson numbers ({@link #goJson}); Fluentd's are {@code PantherLine}'s. */
    public static final NumberStyle GO_NUMBERS = EventJson::writeNumber;

    /** The event as Go's protojson writes a Struct: compact, keys sorted at every level. */
    public static byte[] goJson(Struct struct) {
        StringBuilder out = new StringBuilder(256);
        writeStruct(struct.getFieldsMap(), GO_NUMBERS, out);
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Keys in Go's order: by UTF-8 bytes, which is the order of code points. */
    public static List<String> sortedKeys(Map<String, ?> map) {
        List<String> keys = new ArrayList<>(map.keySet());
        keys.sort(EventJson::compareCodePoints);
        return keys;
    }

    private static int compareCodePoints(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }

    /**
     * Writes {@code value} compact, object keys sorted at every level, strings escaped as both protojson
     * and Fluentd's Oj write them, numbers in {@code numbers}' style.
     */
    public static void writeValue(Value value, NumberStyle numbers, StringBuilder out) {
        switch (value.getKindCase()) {
            case STRUCT_VALUE -> writeStruct(value.getStructValue().getFieldsMap(), numbers, out);
            case LIST_VALUE -> {
                out.append('[');
                List<Value> values = value.getListValue().getValuesList();
                for (int i = 0; i < values.size(); i++) {
                    if (i > 0) {
                        out.append(',');
                    }
                    writeValue(values.get(i), numbers, out);
                }
                out.append(']');
            }
            case NUMBER_VALUE -> numbers.write(value.getNumberValue(), out);
            case STRING_VALUE -> writeString(value.getStringValue(), out);
            case BOOL_VALUE -> out.append(value.getBoolValue());
            default -> out.append("null");
        }
    }

    private static void writeStruct(Map<String, Value> fields, NumberStyle numbers, StringBuilder out) {
        out.append('{');
        boolean first = true;
        for (String key : sortedKeys(fields)) {
            if (!first) {
                out.append(',');
            }
            first = false;
            writeString(key, out);
            out.append(':');
            writeValue(fields.get(key), numbers, out);
        }
        out.append('}');
    }

    /**
     * A double as protojson prints it: shortest round-trip digits, plain notation, exponent notation
     * (sign always shown, no leading zero) below 1e-6 and from 1e21 up.
     */
    static void writeNumber(double number, StringBuilder out) {
        if (Double.isNaN(number)) {
            out.append("\"NaN\"");
            return;
        }
        if (Double.isInfinite(number)) {
            out.append(number > 0 ? "\"Infinity\"" : "\"-Infinity\"");
            return;
        }
        if (number == 0) {
            out.append(1 / number < 0 ? "-0" : "0");
            return;
        }
        BigDecimal shortest = new BigDecimal(DoubleToDecimal.toString(number)).stripTrailingZeros();
        double abs = Math.abs(number);
        if (abs >= 1e-6 && abs < 1e21) {
            out.append(shortest.toPlainString());
            return;
        }
        String digits = shortest.unscaledValue().abs().toString();
        int exponent = digits.length() - 1 - shortest.scale();
        if (number < 0) {
            out.append('-');
        }
        out.append(digits.charAt(0));
        if (digits.length() > 1) {
            out.append('.').append(digits, 1, digits.length());
        }
        out.append('e').append(exponent < 0 ? '-' : '+').append(Math.abs(exponent));
    }

    /**
     * A string as protojson escapes it, which is also how Oj writes it in compat mode (its "JSON
     * standard" escape table): '"', '\\' and the control characters are escaped, \b \t \n \f \r in
     * short form, the others as six-character escapes in lowercase hex; everything else, including '/',
     * '<', '&', DEL, U+2028 and all non-ASCII, is written raw.
     */
    public static void writeString(String text, StringBuilder out) {
        out.append('"');
        int clean = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c >= 0x20 && c != '"' && c != '\\') {
                continue;
            }
            out.append(text, clean, i);
            clean = i + 1;
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\b' -> out.append("\\b");
                case '\t' -> out.append("\\t");
                case '\n' -> out.append("\\n");
                case '\f' -> out.append("\\f");
                case '\r' -> out.append("\\r");
                default -> out.append("\\u00").append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 0xf, 16));
            }
        }
        out.append(text, clean, text.length()).append('"');
    }
}
