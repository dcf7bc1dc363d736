package dev.tee.event;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
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
 * <p>Every event passes through here, so the printer keeps its work per member small: the members of
 * all the structs it is printing share one stack of scratch arrays, keys are compared by their first
 * eight bytes as one number before byte by byte, and strings are checked eight bytes at a time and
 * copied in one piece where nothing needs escaping.
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
    private static final int LIST_VALUE = (1 << 3) | 2;
    private static final int VALUE_NULL = 1;
    private static final int VALUE_NUMBER = 2;
    private static final int VALUE_STRING = 3;
    private static final int VALUE_BOOL = 4;
    private static final int VALUE_STRUCT = 5;
    private static final int VALUE_LIST = 6;
    private static final double EXACT_INTEGERS = 0x1p53;
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private static final VarHandle BIG_ENDIAN_LONG = MethodHandles.byteArrayViewVarHandle(long[].class,
            ByteOrder.BIG_ENDIAN);
    private static final VarHandle LITTLE_ENDIAN_LONG = MethodHandles.byteArrayViewVarHandle(long[].class,
            ByteOrder.LITTLE_ENDIAN);
    /** 0x01 in each of a long's bytes, to repeat a byte over a long. */
    private static final long ONES = 0x0101010101010101L;

    /** By byte: what follows the backslash when it must be escaped ('u' for backslash-u00xx), 0 when not. */
    private static final byte[] ESCAPES = new byte[256];

    static {
        Arrays.fill(ESCAPES, 0, 0x20, (byte) 'u');
        ESCAPES['"'] = '"';
        ESCAPES['\\'] = '\\';
        ESCAPES['\b'] = 'b';
        ESCAPES['\t'] = 't';
        ESCAPES['\n'] = 'n';
        ESCAPES['\f'] = 'f';
        ESCAPES['\r'] = 'r';
    }

    private final byte[] in;
    private final Style style;
    private final Utf8Buffer out;
    private int pos;
    private StringBuilder scratch;

    // The members of the structs being printed, a stack: a nested struct's lie above its parent's.
    // Member m's key is in[spans[4m], spans[4m+1]), its Value in[spans[4m+2], spans[4m+3]) (-1 when
    // the entry has none), the first eight bytes of its key in prefixes[m] (see prefix); a struct's
    // slots of order hold its members' numbers in key order (see sort).
    private int[] spans = new int[0];
    private long[] prefixes = new long[0];
    private int[] order = new int[0];
    private int top;

    // where valueField found the content of the Value's field
    private int contentFrom;
    private int contentTo;

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
        if (reader.valueField((int) (range >>> 32), (int) range) != VALUE_STRING) {
            return null;
        }
        return new String(struct, reader.contentFrom, reader.contentTo - reader.contentFrom, StandardCharsets.UTF_8);
    }

    /** The boolean in the Value at {@code range} (from {@link #find}), or null when it holds no boolean. */
    public static Boolean bool(byte[] struct, long range) {
        StructBytes reader = new StructBytes(struct, Style.GO, null);
        if (reader.valueField((int) (range >>> 32), (int) range) != VALUE_BOOL) {
            return null;
        }
        reader.pos = reader.contentFrom;
        return reader.varint(reader.contentTo) != 0;
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
        int first = top;
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
            push(keyFrom, keyTo, valueFrom, valueTo);
        }
        int last = top - 1;
        sort(first, last);
        // a nested struct's members go above `last` while this loop runs (and may move the arrays)
        for (int i = first; i <= last; i++) {
            int member = order[i];
            // equal keys sit together in wire order: only the last one counts
            if (i < last && sameKey(member, order[i + 1])) {
                continue;
            }
            int keyFrom = spans[4 * member];
            int keyTo = spans[4 * member + 1];
            if (omitKey != null && Arrays.equals(in, keyFrom, keyTo, omitKey, 0, omitKey.length)) {
                continue;
            }
            string(keyFrom, keyTo);
            out.append((byte) ':');
            int valueFrom = spans[4 * member + 2];
            if (valueFrom < 0) {
                out.appendAscii("null");
            } else {
                value(valueFrom, spans[4 * member + 3]);
            }
            out.append((byte) ',');
        }
        top = first;
    }

    private void push(int keyFrom, int keyTo, int valueFrom, int valueTo) {
        if (top == prefixes.length) {
            int room = Math.max(32, 2 * top);
            spans = Arrays.copyOf(spans, 4 * room);
            prefixes = Arrays.copyOf(prefixes, room);
            order = Arrays.copyOf(order, room);
        }
        spans[4 * top] = keyFrom;
        spans[4 * top + 1] = keyTo;
        spans[4 * top + 2] = valueFrom;
        spans[4 * top + 3] = valueTo;
        prefixes[top] = prefix(keyFrom, keyTo);
        top++;
    }

    /**
     * Puts members {@code first..last} into {@code order[first..last]} sorted by key (insertion sort:
     * stable, so equal keys stay in wire order, and events have tens of keys).
     */
    private void sort(int first, int last) {
        for (int member = first; member <= last; member++) {
            int j = member - 1;
            while (j >= first && compareKeys(order[j], member) > 0) {
                order[j + 1] = order[j];
                j--;
            }
            order[j + 1] = member;
        }
    }

    /**
     * A key's first eight bytes as an unsigned big-endian number, zero-padded: when two keys' prefixes
     * differ, they order the keys as their bytes do; only keys that agree that far need a closer look.
     */
    private long prefix(int from, int to) {
        int length = Math.min(8, to - from);
        if (length == 0) {
            return 0;
        }
        if (in.length - from >= 8) {
            return (long) BIG_ENDIAN_LONG.get(in, from) & (-1L << (64 - 8 * length));
        }
        long prefix = 0;
        for (int i = 0; i < length; i++) {
            prefix |= (in[from + i] & 0xffL) << (56 - 8 * i);
        }
        return prefix;
    }

    private int compareKeys(int a, int b) {
        int byPrefix = Long.compareUnsigned(prefixes[a], prefixes[b]);
        if (byPrefix != 0) {
            return byPrefix;
        }
        return Arrays.compareUnsigned(in, spans[4 * a], spans[4 * a + 1], in, spans[4 * b], spans[4 * b + 1]);
    }

    private boolean sameKey(int a, int b) {
        return prefixes[a] == prefixes[b]
                && Arrays.equals(in, spans[4 * a], spans[4 * a + 1], in, spans[4 * b], spans[4 * b + 1]);
    }

    private void value(int from, int to) {
        switch (valueField(from, to)) {
            case VALUE_NUMBER -> number(Double.longBitsToDouble(fixed64(contentFrom)));
            case VALUE_STRING -> string(contentFrom, contentTo);
            case VALUE_BOOL -> {
                pos = contentFrom;
                out.appendAscii(varint(contentTo) != 0 ? "true" : "false");
            }
            case VALUE_STRUCT -> struct(contentFrom, contentTo, null);
            case VALUE_LIST -> list(contentFrom, contentTo);
            default -> out.appendAscii("null");
        }
        pos = to;
    }

    /**
     * Which field of the Value in {@code [from, to)} is set (the last one present; 0 when none is),
     * its content (after the tag, and after the length where there is one) left in
     * {@code [contentFrom, contentTo)}.
     */
    private int valueField(int from, int to) {
        int kind = 0;
        pos = from;
        while (pos < to) {
            int tag = (int) varint(to);
            int start = pos;
            if ((tag & 7) == 2) {
                int end = length(to);
                start = pos;
                pos = end;
            } else {
                skip(tag, to);
            }
            int field = field(tag);
            if (field != 0) {
                kind = field;
                contentFrom = start;
                contentTo = pos;
            }
        }
        return kind;
    }

    /** The field of a Value that {@code tag} sets, 0 for another field or one with the wrong wire type. */
    private static int field(int tag) {
        return switch (tag) {
            case VALUE_NULL << 3 -> VALUE_NULL;
            case (VALUE_NUMBER << 3) | 1 -> VALUE_NUMBER;
            case (VALUE_STRING << 3) | 2 -> VALUE_STRING;
            case VALUE_BOOL << 3 -> VALUE_BOOL;
            case (VALUE_STRUCT << 3) | 2 -> VALUE_STRUCT;
            case (VALUE_LIST << 3) | 2 -> VALUE_LIST;
            default -> 0;
        };
    }

    private void list(int from, int to) {
        out.append((byte) '[');
        boolean first = true;
        pos = from;
        while (pos < to) {
            int tag = (int) varint(to);
            if (tag != LIST_VALUE) {
                skip(tag, to);
                continue;
            }
            int end = length(to);
            if (!first) {
                out.append((byte) ',');
            }
            first = false;
            value(pos, end);
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
        int escape = nextEscape(from, to);
        if (escape == to) {
            out.appendQuoted(in, from, to);
            return;
        }
        out.append((byte) '"');
        int clean = from;
        while (escape < to) {
            out.append(in, clean, escape);
            int b = in[escape];
            out.append((byte) '\\');
            out.append(ESCAPES[b]);
            if (ESCAPES[b] == 'u') {
                out.appendAscii("00");
                out.append(HEX[b >> 4]);
                out.append(HEX[b & 0xf]);
            }
            clean = escape + 1;
            escape = nextEscape(clean, to);
        }
        out.append(in, clean, to);
        out.append((byte) '"');
    }

    /** Where the first byte in {@code [from, to)} that must be escaped is, {@code to} when none is. */
    private int nextEscape(int from, int to) {
        int i = from;
        // eight bytes at a time while the array has them (past the string's end when it is shorter)
        for (; i < to && in.length - i >= 8; i += 8) {
            long marks = escapeMarks((long) LITTLE_ENDIAN_LONG.get(in, i));
            if (to - i < 8) {
                marks &= (1L << (8 * (to - i))) - 1;   // the string's bytes only
            }
            if (marks != 0) {
                return i + Long.numberOfTrailingZeros(marks) / 8;
            }
        }
        // the array's last few bytes one at a time
        while (i < to && ESCAPES[in[i] & 0xff] == 0) {
            i++;
        }
        return Math.min(i, to);     // past `to` when the last eight bytes read reached beyond the string
    }

    /**
     * The top bit of each byte of {@code word} (eight bytes, the first lowest) set where that byte is
     * below 0x20, a quote or a backslash. A borrow can set more bits only above such a byte, so the
     * lowest bit set marks the first byte to escape, and none is set when there is none.
     */
    private static long escapeMarks(long word) {
        long quotes = word ^ (ONES * '"');
        long backslashes = word ^ (ONES * '\\');
        return ((word - ONES * 0x20) & ~word | (quotes - ONES) & ~quotes | (backslashes - ONES) & ~backslashes)
                & (ONES * 0x80);
    }

    // ---- wire primitives ----

    private long varint(int limit) {
        if (pos < limit && in[pos] >= 0) {
            return in[pos++];       // one byte, as tags and most lengths are
        }
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
