package dev.tee.sink.s3;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;

/** The content of one S3 object: the Panther lines of one UTC minute, in order, capped in uncompressed size. */
public final class MinuteObject {

    /**
     * Default cap on an object's uncompressed size. Fluentd's chunks go up to 256 MiB (chunk_limit_size
     * in the Panther guide); a quarter of that keeps our memory per object modest and is still far
     * above what a minute of audit events usually makes.
     */
    public static final long DEFAULT_MAX_BYTES = 64L * 1024 * 1024;

    private final Instant minute;
    private final long maxBytes;
    private final List<PantherLine> lines = new ArrayList<>();
    private long bytes;

    public MinuteObject(Instant minute, long maxBytes) {
        if (maxBytes <= 0) {
            throw new IllegalArgumentException("maxBytes must be positive: " + maxBytes);
        }
        this.minute = minute;
        this.maxBytes = maxBytes;
    }

    /**
     * Splits {@code lines} into objects: one run per UTC minute, in minute order, each keeping the lines'
     * order and starting a further object of the same minute whenever the next line would pass
     * {@code maxBytes}.
     */
    static List<MinuteObject> group(Iterable<PantherLine> lines, long maxBytes) {
        Map<Instant, List<MinuteObject>> byMinute = new TreeMap<>();
        for (PantherLine line : lines) {
            List<MinuteObject> objects = byMinute.computeIfAbsent(line.minute(), m -> new ArrayList<>());
            MinuteObject last = objects.isEmpty() ? null : objects.get(objects.size() - 1);
            if (last == null || !last.accepts(line)) {
                last = new MinuteObject(line.minute(), maxBytes);
                objects.add(last);
            }
            last.add(line);
        }
        List<MinuteObject> all = new ArrayList<>();
        byMinute.values().forEach(all::addAll);
        return all;
    }

    /** The UTC minute all lines belong to. */
    public Instant minute() {
        return minute;
    }

    /**
     * Whether {@code line} may be added: it is of this minute and fits under the cap. An empty object
     * takes any line of its minute, however long, so that no event is ever refused for its size.
     */
    public boolean accepts(PantherLine line) {
        return line.minute().equals(minute) && (lines.isEmpty() || bytes + line.length() <= maxBytes);
    }

    public void add(PantherLine line) {
        if (!line.minute().equals(minute)) {
            throw new IllegalArgumentException("line of minute " + line.minute() + " added to object of " + minute);
        }
        if (!accepts(line)) {
            throw new IllegalStateException("object of " + minute + " is full (" + bytes + " bytes)");
        }
        lines.add(line);
        bytes += line.length();
    }

    public boolean isEmpty() {
        return lines.isEmpty();
    }

    public int lineCount() {
        return lines.size();
    }

    /** Uncompressed size: the sum of the lines' bytes, LFs included. */
    long uncompressedBytes() {
        return bytes;
    }

    /** Ids of the events whose lines the object holds, in line order. */
    List<String> eventIds() {
        List<String> ids = new ArrayList<>(lines.size());
        lines.forEach(line -> ids.add(line.eventId()));
        return Collections.unmodifiableList(ids);
    }

    /** The lines, in order. */
    public List<PantherLine> lines() {
        return Collections.unmodifiableList(lines);
    }

    /** The object's body: its lines in one gzip member ({@link GzipBody}). */
    public byte[] gzip() {
        return GzipBody.of(lines);
    }

    /**
     * The lines of an object's body, in order, without their LF. Used when a conditional write finds
     * the key taken, to learn which of our lines the object already holds: lines are compared whole,
     * so events without a uid are recognised too. The body may be several gzip members; lines are
     * split on LF only, as Panther reads them.
     *
     * @throws IllegalArgumentException when the body is not gzip
     */
    public static List<String> lines(byte[] gzipBody) {
        byte[] content;
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(gzipBody), GzipBody.BUFFER)) {
            content = in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalArgumentException("not a gzip body: " + e.getMessage(), e);
        }
        List<String> lines = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < content.length; i++) {
            if (content[i] == '\n') {
                lines.add(new String(content, start, i - start, StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        if (start < content.length) {
            lines.add(new String(content, start, content.length - start, StandardCharsets.UTF_8));
        }
        return lines;
    }
}
