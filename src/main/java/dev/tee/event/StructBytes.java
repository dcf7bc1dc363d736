package dev.tee.event;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Prints a {@code google.protobuf.Struct} as JSON straight from its wire bytes, keys sorted at every
 * level by their UTF-8 bytes (Go's order), in one of two {@link Style}s: Go's protojson (what the Go
 * event handler posts) or Fluentd's re-print of that (what out_s3 writes for Panther). No protobuf
 * objects are built: strings are copied as the UTF-8 they arrive in, escaped where needed.
 *
 * <p>The wire format (protobuf's struct.proto): a Struct is repeated map entries (field 1), each a key
 * (field 1, string) and a Value (field 2); a Value is one of null (1, varint), number (2, double),
 * string (3), bool (4, varint), Struct (5) or ListValue (6), the last one present winning; a ListValue
 * is repeated Values (field 1). A key that appears twice keeps its last value, as a protobuf map does.
 *
 * <p>The static methods are thread-safe; each makes its own printer.
 */
public final class StructBytes {

    /** How numbers come out; everything else is the same in both. */
    public enum Style {
        /** Go's protojson: shortest digits, exponent below 1e-6 and from 1e21; NaN and infinities as strings. */
        GO {
            @Override
            void fraction(double number, StringBuilder out) {
                EventJson.writeNumber(number, out);
            }
        },
        /** Fluentd (Oj reads what Go posted, Ruby prints it): integers as integers, others as Float#to_s. */
        FLUENTD {
            @Override
            void fraction(double number, StringBuilder out) {
                RubyNumbers.write(number, out);
            }
        };

        /** Any number the fast path (integers below 2^53, not -0) does not print. */
        abstract void fraction(double number, StringBuilder out);
    }

    private static final int STRUCT_ENTRY = (1 << 3) | 2;
    private static final int ENTRY_KEY = (1 << 3) | 2;
    private static final int ENTRY_VALUE = (2 << 3) | 2;
    private static final int VALUE_NULL = 1;
    private static final int VALUE_NUMBER = 2;
    private static final int VALUE_STRING = 3;
    private static final int VALUE_BOOL = 4;
    private static final int VALUE_STRUCT = 5;
    private static final int VALUE_LIST = 6;
    private static final double EXACT_INTEGERS = 0x1p53;
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    private final byte[] in;
    private final Style style;
    private final Utf8Buffer out;
    private int pos;
    private StringBuilder scratch;

    private StructBytes(byte[] in, Style style, Utf8Buffer out) {
        this.in = in;
        this.style = style;
        this.out = out;
    }

    /** The Struct in {@code struct} as Go's protojson prints it. */
    public static byte[] goJson(byte[] struct) {
        Utf8Buffer out = new Utf8Buffer(struct.length + struct.length / 4 + 16);
        new StructBytes(struct, Style.GO, out).struct(0, struct.length, null);
        return out.toByteArray();
    }

    /**
     * Appends the members of the Struct in {@code struct[from, to)} to {@code out} in {@code style}:
     * {@code "key":value} pairs in key order, each followed by a comma, without the braces and without
     * the top-level member {@code omitKey} (null for none). Callers add the braces (and what follows the
     * last comma), as Panther's line does with its {@code time}.
     */
    public static void members(byte[] struct, int from, int to, Style style, byte[] omitKey, Utf8Buffer out) {
        new StructBytes(struct, style, out).entries(from, to, omitKey);
    }

    /** Appends one Value (its message bytes in {@code value[from, to)}) in {@code style}. */
    public static void value(byte[] value, int from, int to, Style style, Utf8Buffer out) {
        new StructBytes(value, style, out).value(from, to);
    }

    /**
     * Where the Value of the top-level member {@code key} lies in {@code struct}: its start in the high
     * 32 bits and its end in the low 32, or -1 when there is no such member (the last of equal keys
     * counts). An entry without a value gives an empty range, which reads as null.
     */
    public static long find(byte[] struct, byte[] key) {
        return new StructBytes(struct, Style.GO, null).find(key);
    }

    /** The string in the Value at {@code range} (from {@link #find}), or null when it holds no string. */
    public static String string(byte[] struct, long range) {
        StructBytes reader = new StructBytes(struct, Style.GO, null);
        long kind = reader.kind((int) (range >>> 32), (int) range);
        if ((int) (kind >>> 32) != VALUE_STRING) {
            return null;
        }
        reader.pos = (int) kind;
        int end = reader.length((int) range);
        return new String(struct, reader.pos, end - reader.pos, StandardCharsets.UTF_8);
    }

    /** The boolean in the Value at {@code range} (from {@link #find}), or null when it holds no boolean. */
    public static Boolean bool(byte[] struct, long range) {
        StructBytes reader = new StructBytes(struct, Style.GO, null);
        long kind = reader.kind((int) (range >>> 32), (int) range);
        if ((int) (kind >>> 32) != VALUE_BOOL) {
            return null;
        }
        reader.pos = (int) kind;
        return reader.varint((int) range) != 0;
    }

    private long find(byte[] key) {
        long found = -1;
        pos = 0;
        int to = in.length;
        while (pos < to) {
            int tag = (int) varint(to);
            if (tag != STRUCT_ENTRY) {
                skip(tag, to);
                continue;
            }
            int end = length(to);
            boolean matches = key.length == 0;
            long value = -1;
            while (pos < end) {
                int field = (int) varint(end);
                if (field == ENTRY_KEY) {
                    int keyEnd = length(end);
                    matches = Arrays.equals(in, pos, keyEnd, key, 0, key.length);
                    pos = keyEnd;
                } else if (field == ENTRY_VALUE) {
                    int valueEnd = length(end);
                    value = ((long) pos << 32) | valueEnd;
                    pos = valueEnd;
                } else {
                    skip(field, end);
                }
            }
            if (matches) {
                found = value < 0 ? ((long) end << 32) | end : value;
            }
        }
        return found;
    }

    // ---- reading ----

    private void struct(int from, int to, byte[] omitKey) {
        out.append((byte) '{');
        int mark = out.length();
        entries(from, to, omitKey);
        if (out.length() > mark) {
            out.truncate(out.length() - 1);     // the last member's comma
        }
        out.append((byte) '}');
    }

    /** Writes {@code "key":value,} for each member, sorted, the last of equal keys winning. */
    private void entries(int from, int to, byte[] omitKey) {
        // four ints per member: key from, key to, value from, value to (-1 when the entry has none)
        int[] members = new int[32];
        int count = 0;
        pos = from;
        while (pos < to) {
            int tag = (int) varint(to);
            if (tag != STRUCT_ENTRY) {
                skip(tag, to);
                continue;
            }
            int end = length(to);
            int keyFrom = pos;
            int keyTo = pos;
            int valueFrom = -1;
            int valueTo = -1;
            while (pos < end) {
                int field = (int) varint(end);
                if (field == ENTRY_KEY) {
                    int keyEnd = length(end);
                    keyFrom = pos;
                    keyTo = keyEnd;
                    pos = keyEnd;
                } else if (field == ENTRY_VALUE) {
                    int valueEnd = length(end);
                    valueFrom = pos;
                    valueTo = valueEnd;
                    pos = valueEnd;
                } else {
                    skip(field, end);
                }
            }
            if (count * 4 == members.length) {
                members = Arrays.copyOf(members, members.length * 2);
            }
            int at = count * 4;
            members[at] = keyFrom;
            members[at + 1] = keyTo;
            members[at + 2] = valueFrom;
            members[at + 3] = valueTo;
            count++;
        }
        int[] order = sortedOrder(members, count);
        for (int i = 0; i < count; i++) {
            int at = order[i] * 4;
            // equal keys sit together in wire order: only the last one counts
            if (i + 1 < count && sameKey(members, at, order[i + 1] * 4)) {
                continue;
            }
            if (omitKey != null && Arrays.equals(in, members[at], members[at + 1], omitKey, 0, omitKey.length)) {
                continue;
            }
            string(members[at], members[at + 1]);
            out.append((byte) ':');
            if (members[at + 2] < 0) {
                out.appendAscii("null");
            } else {
                value(members[at + 2], members[at + 3]);
            }
            out.append((byte) ',');
        }
    }

    /** Member indexes in key order (insertion sort: stable, and events have tens of keys). */
    private int[] sortedOrder(int[] members, int count) {
        int[] order = new int[count];
        for (int i = 0; i < count; i++) {
            int candidate = i;
            int j = i - 1;
            while (j >= 0 && compareKeys(members, order[j] * 4, candidate * 4) > 0) {
                order[j + 1] = order[j];
                j--;
            }
            order[j + 1] = candidate;
        }
        return order;
    }

    private int compareKeys(int[] members, int a, int b) {
        return Arrays.compareUnsigned(in, members[a], members[a + 1], in, members[b], members[b + 1]);
    }

    private boolean sameKey(int[] members, int a, int b) {
        return Arrays.equals(in, members[a], members[a + 1], in, members[b], members[b + 1]);
    }

    private void value(int from, int to) {
        long kind = kind(from, to);
        int at = (int) kind;
        switch ((int) (kind >>> 32)) {
            case VALUE_NUMBER -> number(Double.longBitsToDouble(fixed64(at)));
            case VALUE_STRING -> {
                pos = at;
                int end = length(to);
                string(pos, end);
            }
            case VALUE_BOOL -> {
                pos = at;
                out.appendAscii(varint(to) != 0 ? "true" : "false");
            }
            case VALUE_STRUCT -> {
                pos = at;
                int end = length(to);
                struct(pos, end, null);
            }
            case VALUE_LIST -> {
                pos = at;
                int end = length(to);
                list(pos, end);
            }
            default -> out.appendAscii("null");
        }
        pos = to;
    }

    /**
     * Which field of the Value in {@code [from, to)} is set (the last one present) in the high 32
     * bits, where its content starts in the low 32; kind 0 when none is.
     */
    private long kind(int from, int to) {
        int kind = 0;
        int at = -1;
        pos = from;
        while (pos < to) {
            int tag = (int) varint(to);
            int field = tag >>> 3;
            if (field >= VALUE_NULL && field <= VALUE_LIST && (tag & 7) == expectedWireType(field)) {
                kind = field;
                at = pos;
            }
            skip(tag, to);
        }
        return ((long) kind << 32) | (at & 0xffffffffL);
    }

    private static int expectedWireType(int field) {
        return switch (field) {
            case VALUE_NULL, VALUE_BOOL -> 0;
            case VALUE_NUMBER -> 1;
            default -> 2;
        };
    }

    private void list(int from, int to) {
        out.append((byte) '[');
        boolean first = true;
        pos = from;
        while (pos < to) {
            int tag = (int) varint(to);
            if (tag != ((1 << 3) | 2)) {
                skip(tag, to);
                continue;
            }
            int end = length(to);
            if (!first) {
                out.append((byte) ',');
            }
            first = false;
            value(pos, end);
            pos = end;
        }
        out.append((byte) ']');
    }

    private void number(double number) {
        double abs = Math.abs(number);
        if (abs < EXACT_INTEGERS && number == (long) number && !(number == 0 && 1 / number < 0)) {
            out.appendLong((long) number);
            return;
        }
        if (scratch == null) {
            scratch = new StringBuilder(32);
        }
        scratch.setLength(0);
        style.fraction(number, scratch);
        out.appendAscii(scratch);
    }

    /**
     * A string as both protojson and Oj's compat mode escape it: '"', '\\' and control characters
     * (\b \t \n \f \r short, the rest as backslash-u00xx in lowercase hex), everything else as is.
     */
    private void string(int from, int to) {
        out.append((byte) '"');
        int clean = from;
        for (int i = from; i < to; i++) {
            int b = in[i];
            if (b >= 0x20 && b != '"' && b != '\\' || b < 0) {
                continue;
            }
            out.append(in, clean, i);
            clean = i + 1;
            switch (b) {
                case '"' -> out.appendAscii("\\\"");
                case '\\' -> out.appendAscii("\\\\");
                case '\b' -> out.appendAscii("\\b");
                case '\t' -> out.appendAscii("\\t");
                case '\n' -> out.appendAscii("\\n");
                case '\f' -> out.appendAscii("\\f");
                case '\r' -> out.appendAscii("\\r");
                default -> {
                    out.appendAscii("\\u00");
                    out.append(HEX[b >> 4]);
                    out.append(HEX[b & 0xf]);
                }
            }
        }
        out.append(in, clean, to);
        out.append((byte) '"');
    }

    // ---- wire primitives ----

    private long varint(int limit) {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos >= limit) {
                throw malformed();
            }
            byte b = in[pos++];
            result |= (long) (b & 0x7f) << shift;
            if (b >= 0) {
                return result;
            }
        }
        throw malformed();
    }

    /** Reads a length prefix and returns where the field ends. */
    private int length(int limit) {
        long length = varint(limit);
        if (length < 0 || length > limit - pos) {
            throw malformed();
        }
        return pos + (int) length;
    }

    private long fixed64(int at) {
        long value = 0;
        for (int i = 7; i >= 0; i--) {
            value = (value << 8) | (in[at + i] & 0xffL);
        }
        return value;
    }

    private void skip(int tag, int limit) {
        switch (tag & 7) {
            case 0 -> varint(limit);
            case 1 -> advance(8, limit);
            case 2 -> pos = length(limit);
            case 5 -> advance(4, limit);
            default -> throw malformed();
        }
    }

    private void advance(int bytes, int limit) {
        if (bytes > limit - pos) {
            throw malformed();
        }
        pos += bytes;
    }

    private static IllegalArgumentException malformed() {
        return new IllegalArgumentException("the event is not a well-formed protobuf Struct");
    }
}
