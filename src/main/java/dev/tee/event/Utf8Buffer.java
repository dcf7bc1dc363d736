package dev.tee.event;

import java.util.Arrays;

/** A growable byte array for building UTF-8 output without copies through String. Not thread-safe. */
public final class Utf8Buffer {

    private static final byte[] MIN_LONG = Long.toString(Long.MIN_VALUE).getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private byte[] bytes;
    private int length;

    public Utf8Buffer(int capacity) {
        bytes = new byte[Math.max(16, capacity)];
    }

    public int length() {
        return length;
    }

    /** Drops everything from {@code length} on. */
    public void truncate(int length) {
        this.length = length;
    }

    public void append(byte b) {
        if (length == bytes.length) {
            grow(1);
        }
        bytes[length++] = b;
    }

    public void append(byte[] source, int from, int to) {
        int count = to - from;
        if (count > bytes.length - length) {
            grow(count);
        }
        System.arraycopy(source, from, bytes, length, count);
        length += count;
    }

    /** Appends {@code source[from, to)} between double quotes, as it is. */
    public void appendQuoted(byte[] source, int from, int to) {
        int count = to - from;
        if (count + 2 > bytes.length - length) {
            grow(count + 2);
        }
        bytes[length] = '"';
        System.arraycopy(source, from, bytes, length + 1, count);
        length += count + 2;
        bytes[length - 1] = '"';
    }

    public void append(byte[] source) {
        append(source, 0, source.length);
    }

    /** Appends characters that are all ASCII (digits, literals, escapes). */
    public void appendAscii(CharSequence text) {
        int count = text.length();
        if (count > bytes.length - length) {
            grow(count);
        }
        for (int i = 0; i < count; i++) {
            bytes[length++] = (byte) text.charAt(i);
        }
    }

    public void appendLong(long value) {
        if (value == Long.MIN_VALUE) {
            append(MIN_LONG);
            return;
        }
        if (20 > bytes.length - length) {
            grow(20);
        }
        if (value < 0) {
            bytes[length++] = '-';
            value = -value;
        }
        int digits = 1;
        for (long rest = value / 10; rest != 0; rest /= 10) {
            digits++;
        }
        for (int i = length + digits - 1; i >= length; i--) {
            bytes[i] = (byte) ('0' + value % 10);
            value /= 10;
        }
        length += digits;
    }

    public byte[] toByteArray() {
        return Arrays.copyOf(bytes, length);
    }

    private void grow(int needed) {
        bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + needed));
    }
}
