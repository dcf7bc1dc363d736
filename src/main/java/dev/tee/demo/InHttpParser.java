package dev.tee.demo;

import java.io.IOException;
import java.math.BigDecimal;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The body handling of in_http with the Teleport {@code <parse>} section ({@code @type json},
 * {@code time_type string}, {@code time_format %Y-%m-%dT%H:%M:%S}): fluentd-s3-panther.md §1.2–1.3.
 */
final class InHttpParser {

    /** Oj has no string length limit; Jackson's default (20 M chars) would silently drop a large body. */
    private static final ObjectMapper JSON = JsonMapper.builder(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE).build())
            .build()).build();
    private static final Pattern TIME = Pattern.compile("(\\d{4})-(\\d{2})-(\\d{2})T(\\d{2}):(\\d{2}):(\\d{2})");
    private static final Pattern LEADING_FLOAT = Pattern.compile("^\\s*[+-]?(\\d+(\\.\\d+)?|\\.\\d+)([eE][+-]?\\d+)?");

    /** One accepted element: its event time, its uid (or null) and its exact text in the body. */
    record Parsed(Instant time, String uid, String json) {
    }

    /** Fluentd's TimeParseError: the request is answered 400 with this message and nothing is emitted. */
    static final class TimeParseException extends Exception {
        TimeParseException(String message) {
            super(message);
        }
    }

    private InHttpParser() {
    }

    /**
     * The records of a body. Fluentd ≥ 1.17 drops a body that is not JSON (or is empty) with a 200, so
     * that gives an empty list; non-object array elements are skipped. The whole document is parsed
     * before any time is looked at, as Oj loads it first.
     */
    static List<Parsed> parse(byte[] body, Instant now) throws TimeParseException {
        List<int[]> objects = new ArrayList<>();
        try (JsonParser parser = JSON.getFactory().createParser(body)) {
            JsonToken root = parser.nextToken();
            if (root == JsonToken.START_OBJECT) {
                objects.add(span(parser));
            } else if (root == JsonToken.START_ARRAY) {
                for (JsonToken token = parser.nextToken(); token != JsonToken.END_ARRAY; token = parser.nextToken()) {
                    if (token == JsonToken.START_OBJECT) {
                        objects.add(span(parser));
                    } else {
                        parser.skipChildren();
                    }
                }
            } else if (root == null) {
                return List.of();
            }
            if (parser.nextToken() != null) {
                return List.of(); // trailing content: not one JSON document
            }
        } catch (JsonProcessingException e) {
            return List.of();
        } catch (IOException e) {
            throw new IllegalStateException("reading a byte array failed", e);
        }
        List<Parsed> records = new ArrayList<>(objects.size());
        for (int[] span : objects) {
            String text = new String(body, span[0], span[1] - span[0], StandardCharsets.UTF_8);
            ObjectNode record;
            try {
                record = (ObjectNode) JSON.readTree(text);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("an object that parsed once must parse again", e);
            }
            JsonNode time = record.remove("time");
            JsonNode uid = record.get("uid");
            Instant eventTime = time == null ? now : eventTime(time);
            records.add(new Parsed(eventTime, uid != null && uid.isTextual() ? uid.textValue() : null, text));
        }
        return records;
    }

    /** Byte offsets [start, end) of the object whose START_OBJECT the parser is on. */
    private static int[] span(JsonParser parser) throws IOException {
        int start = (int) parser.currentTokenLocation().getByteOffset();
        parser.skipChildren();
        int end = (int) parser.currentLocation().getByteOffset();
        return new int[] {start, end};
    }

    /**
     * Fluentd's string time parser: the strptime gem matches {@code %Y-%m-%dT%H:%M:%S} at the start
     * and ignores whatever follows (fractions, zone), on a UTC host.
     */
    static Instant eventTime(JsonNode value) throws TimeParseException {
        if (!value.isTextual()) {
            throw new TimeParseException("value must be string: " + rubyText(value));
        }
        String text = value.textValue();
        Matcher matcher = TIME.matcher(text);
        if (!matcher.lookingAt()) {
            throw notMatching(text);
        }
        int month = Integer.parseInt(matcher.group(2));
        int day = Integer.parseInt(matcher.group(3));
        int hour = Integer.parseInt(matcher.group(4));
        int minute = Integer.parseInt(matcher.group(5));
        int second = Integer.parseInt(matcher.group(6));
        if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
            throw notMatching(text);
        }
        // the gem range-checks each field but lets a day roll over into the next month, like timegm
        return LocalDateTime.of(Integer.parseInt(matcher.group(1)), month, 1, 0, 0)
                .plusDays(day - 1L).plusHours(hour).plusMinutes(minute).plusSeconds(second)
                .toInstant(ZoneOffset.UTC);
    }

    private static TimeParseException notMatching(String text) {
        return new TimeParseException("invalid time format: value = " + text
                + ", error_class = ArgumentError, error = string doesn't match");
    }

    /**
     * The {@code ?time=} query parameter (epoch seconds, Ruby's String#to_f): when present it overrides
     * every record's time, and 0 (or no number) means now. Null when the query has no {@code time}.
     */
    static Instant queryTime(String query, Instant now) {
        if (query == null) {
            return null;
        }
        for (String pair : query.split("[&;]")) {
            int equals = pair.indexOf('=');
            String name = URLDecoder.decode(equals < 0 ? pair : pair.substring(0, equals), StandardCharsets.UTF_8);
            if (name.equals("time")) {
                String value = equals < 0 ? "" : URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8);
                Matcher number = LEADING_FLOAT.matcher(value);
                double seconds = number.find() ? Double.parseDouble(number.group().trim()) : 0;
                if (seconds == 0) {
                    return now;
                }
                long whole = (long) Math.floor(seconds);
                return Instant.ofEpochSecond(whole, Math.round((seconds - whole) * 1e9));
            }
        }
        return null;
    }

    /** How Ruby's string interpolation prints a parsed JSON value (Fluentd builds its messages so). */
    static String rubyText(JsonNode value) {
        if (value.isNull()) {
            return "";
        }
        return value.isTextual() ? value.textValue() : rubyInspect(value);
    }

    private static String rubyInspect(JsonNode value) {
        if (value.isNull()) {
            return "nil";
        }
        if (value.isTextual()) {
            return quote(value.textValue());
        }
        if (value.isIntegralNumber()) {
            return value.bigIntegerValue().toString();
        }
        if (value.isNumber()) {
            return rubyFloat(value.doubleValue());
        }
        if (value.isArray()) {
            List<String> elements = new ArrayList<>();
            value.forEach(element -> elements.add(rubyInspect(element)));
            return "[" + String.join(", ", elements) + "]";
        }
        if (value.isObject()) {
            List<String> pairs = new ArrayList<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                pairs.add(quote(field.getKey()) + " => " + rubyInspect(field.getValue()));
            }
            return "{" + String.join(", ", pairs) + "}";
        }
        return value.asText();
    }

    private static String quote(String text) {
        return JSON.getNodeFactory().textNode(text).toString();
    }

    /** Ruby's Float#to_s: shortest digits, fixed notation for decimal exponents -4 < e <= 16, else d.ddde+XX. */
    static String rubyFloat(double value) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return Double.isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";
        }
        String sign = value < 0 || (value == 0 && 1 / value < 0) ? "-" : "";
        if (value == 0) {
            return sign + "0.0";
        }
        BigDecimal decimal = new BigDecimal(Double.toString(Math.abs(value))).stripTrailingZeros();
        String digits = decimal.unscaledValue().toString();
        int point = digits.length() - decimal.scale();
        if (point > 16 || point < -3) {
            int exponent = point - 1;
            String mantissa = digits.substring(0, 1) + "." + (digits.length() > 1 ? digits.substring(1) : "0");
            return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + String.format("%02d", Math.abs(exponent));
        }
        if (point <= 0) {
            return sign + "0." + "0".repeat(-point) + digits;
        }
        if (point >= digits.length()) {
            return sign + digits + "0".repeat(point - digits.length()) + ".0";
        }
        return sign + digits.substring(0, point) + "." + digits.substring(point);
    }
}
