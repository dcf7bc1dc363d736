package dev.tee.event;

import java.math.BigDecimal;
import java.util.Iterator;
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
 * (fluentd-s3-panther.md §2.5b). {@link StructBytes} reproduces that output exactly, from the Struct's
 * wire bytes; {@link #goJson} is the same for a Struct object.
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

    /** The event as Go's protojson writes a Struct: compact, keys sorted at every level. */
    public static byte[] goJson(Struct struct) {
        return StructBytes.goJson(struct.toByteArray());
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
}
