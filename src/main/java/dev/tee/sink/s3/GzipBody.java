package dev.tee.sink.s3;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.zip.GZIPOutputStream;

/**
 * The body of an object of Panther lines, audit or session: one gzip member holding every line, each
 * ending in LF, as out_s3's {@code store_as gzip} writes it (fluentd-s3-panther.md §2.4). Java writes
 * the header's mtime as 0, so the same lines always give the same bytes.
 */
public final class GzipBody {

    /** What {@link java.util.zip.GZIPInputStream} and {@link GZIPOutputStream} buffer, read or written. */
    static final int BUFFER = 64 * 1024;

    private GzipBody() {
    }

    /** The gzip body of {@code lines}, in order. */
    public static byte[] of(List<PantherLine> lines) {
        long size = 0;
        for (PantherLine line : lines) {
            size += line.length();
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream((int) Math.min(size / 4 + 64, Integer.MAX_VALUE - 8));
        try (GZIPOutputStream gzip = new GZIPOutputStream(body, BUFFER)) {
            for (PantherLine line : lines) {
                gzip.write(line.sharedBytes());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return body.toByteArray();
    }
}
