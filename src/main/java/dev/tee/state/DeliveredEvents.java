package dev.tee.state;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;

import dev.tee.config.ConfigException;
import dev.tee.event.AuditEvent;
import dev.tee.event.Batch;
import org.apache.camel.spi.IdempotentRepository;
import org.apache.camel.support.service.ServiceSupport;

/**
 * The idempotent repository of event ids the output has acknowledged: a Camel
 * {@link IdempotentRepository} backed by an append-only file in the state directory.
 *
 * <p>Ids are appended once per acknowledged batch, before the cursor may move past them, so after a
 * crash the replay from the last saved cursor skips what was already delivered. Only ids newer than
 * the saved cursor matter, so the file is kept in two rotating segments of {@code segmentSize} ids.
 */
public final class DeliveredEvents extends ServiceSupport implements IdempotentRepository {

    private final Path current;
    private final Path previous;
    private final int segmentSize;
    /**
     * The ids of both segments in one map, each tagged with its segment: one lookup per event read,
     * without a lock (the reading thread asks for every event while the delivery threads remember
     * batches). Written under the lock only.
     */
    private final ConcurrentHashMap<String, Boolean> ids;
    /** The current segment's tag; the previous segment's ids carry the other one. */
    private boolean tag = true;
    /** Ids in the current segment. */
    private int currentCount;
    private FileChannel out;

    public DeliveredEvents(Path file, int segmentSize) {
        this.current = file;
        this.previous = file.resolveSibling(file.getFileName() + ".1");
        this.segmentSize = segmentSize;
        // sized for both segments: a map that grows rehashes every id it holds
        this.ids = new ConcurrentHashMap<>(2 * segmentSize);
    }

    /**
     * True when the event with this id was acknowledged before (in this run or an earlier one). Takes no
     * lock: the reading thread asks for every event, while the delivery threads remember batches.
     */
    @Override
    public boolean contains(String id) {
        return ids.containsKey(id);
    }

    /** The routes' de-duplication check (a distinct name: Camel would bind the body to contains(String)). */
    public boolean wasDelivered(AuditEvent event) {
        return contains(event.id());
    }

    /** Records every event of an acknowledged batch with a single append. */
    public synchronized void remember(Batch batch) {
        StringBuilder lines = new StringBuilder(batch.size() * 40);
        for (AuditEvent event : batch.events()) {
            // one lookup for an id that is new (the usual case); one remembered before keeps its segment
            if (ids.putIfAbsent(event.id(), tag) == null) {
                currentCount++;
                lines.append(event.id()).append('\n');
            }
        }
        append(lines);
        if (currentCount >= segmentSize) {
            rotate();
        }
    }

    @Override
    public synchronized boolean add(String id) {
        if (ids.putIfAbsent(id, tag) != null) {
            return false;
        }
        currentCount++;
        append(new StringBuilder(id).append('\n'));
        return true;
    }

    @Override
    public synchronized boolean remove(String id) {
        // an acknowledged delivery cannot be taken back; the file is append-only
        return false;
    }

    @Override
    public boolean confirm(String id) {
        return true;
    }

    @Override
    public synchronized void clear() {
        ids.clear();
        currentCount = 0;
    }

    @Override
    protected synchronized void doStart() throws Exception {
        ids.clear();
        read(previous, !tag);
        currentCount = read(current, tag);
        out = FileChannel.open(current, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        AtomicFiles.ownerOnly(current);
    }

    @Override
    protected synchronized void doStop() throws Exception {
        if (out != null) {
            out.close();
            out = null;
        }
    }

    private void append(StringBuilder lines) {
        if (lines.isEmpty()) {
            return;
        }
        try {
            ByteBuffer buffer = ByteBuffer.wrap(lines.toString().getBytes(StandardCharsets.UTF_8));
            while (buffer.hasRemaining()) {
                out.write(buffer);
            }
        } catch (IOException e) {
            throw new StateUnwritableException(current, e);
        }
    }

    private void rotate() {
        try {
            out.close();
            Files.move(current, previous, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            out = FileChannel.open(current, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
            AtomicFiles.ownerOnly(current);
        } catch (IOException e) {
            throw new StateUnwritableException(current, e);
        }
        // the previous segment's ids go; the current one's become the previous
        boolean kept = tag;
        ids.values().removeIf(segment -> segment != kept);
        tag = !tag;
        currentCount = 0;
    }

    /**
     * Puts a segment file's ids under {@code segment} and returns how many; a last line cut short by a
     * crash is ignored (its event is then sent again, never lost).
     */
    private int read(Path file, boolean segment) throws IOException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return 0;
        } catch (CharacterCodingException e) {
            throw new ConfigException("storage: " + file + " is corrupt (not UTF-8 text); restore it from a backup, "
                    + "or remove it and accept that what it recorded after the saved cursor is sent again");
        }
        int count = 0;
        int start = 0;
        for (int end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', start)) {
            if (end > start) {
                ids.put(text.substring(start, end), segment);
                count++;
            }
            start = end + 1;
        }
        return count;
    }
}
