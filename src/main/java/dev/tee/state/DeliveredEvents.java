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
import java.util.Set;
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
    // Read without the lock, by the reading thread for every event; written under it. rotate() sets
    // previousIds before currentIds and contains() reads them the other way round, so an id in the
    // current segment is always found in one of the two.
    private volatile Set<String> currentIds = ConcurrentHashMap.newKeySet();
    private volatile Set<String> previousIds = ConcurrentHashMap.newKeySet();
    private FileChannel out;

    public DeliveredEvents(Path file, int segmentSize) {
        this.current = file;
        this.previous = file.resolveSibling(file.getFileName() + ".1");
        this.segmentSize = segmentSize;
    }

    /**
     * True when the event with this id was acknowledged before (in this run or an earlier one). Takes no
     * lock: the reading thread asks for every event, while the delivery threads remember batches.
     */
    @Override
    public boolean contains(String id) {
        return currentIds.contains(id) || previousIds.contains(id);
    }

    /** The routes' de-duplication check (a distinct name: Camel would bind the body to contains(String)). */
    public boolean wasDelivered(AuditEvent event) {
        return contains(event.id());
    }

    /** Records every event of an acknowledged batch with a single append. */
    public synchronized void remember(Batch batch) {
        StringBuilder lines = new StringBuilder(batch.size() * 40);
        for (AuditEvent event : batch.events()) {
            // one lookup for an id that is new (the usual case): add() says whether it was there
            if (!previousIds.contains(event.id()) && currentIds.add(event.id())) {
                lines.append(event.id()).append('\n');
            }
        }
        append(lines);
        if (currentIds.size() >= segmentSize) {
            rotate();
        }
    }

    @Override
    public synchronized boolean add(String id) {
        if (contains(id)) {
            return false;
        }
        currentIds.add(id);
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
        currentIds.clear();
        previousIds.clear();
    }

    @Override
    protected synchronized void doStart() throws Exception {
        previousIds = read(previous, segmentSize);
        currentIds = read(current, segmentSize);
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
        previousIds = currentIds;
        currentIds = ids(segmentSize);
    }

    /** A set sized for a whole segment: one that grows rehashes every id it holds, a few times per segment. */
    private static Set<String> ids(int segmentSize) {
        return ConcurrentHashMap.newKeySet(segmentSize);
    }

    /** Ids of a segment; a last line cut short by a crash is ignored (its event is then sent again, never lost). */
    private static Set<String> read(Path file, int segmentSize) throws IOException {
        Set<String> ids = ids(segmentSize);
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return ids;
        } catch (CharacterCodingException e) {
            throw new ConfigException("storage: " + file + " is corrupt (not UTF-8 text); restore it from a backup, "
                    + "or remove it and accept that what it recorded after the saved cursor is sent again");
        }
        int start = 0;
        for (int end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', start)) {
            if (end > start) {
                ids.add(text.substring(start, end));
            }
            start = end + 1;
        }
        return ids;
    }
}
