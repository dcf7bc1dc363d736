package dev.tee.session;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.tee.config.ConfigException;
import dev.tee.state.AtomicFiles;
import dev.tee.state.DeliveredEvents;
import dev.tee.state.StateFile;
import dev.tee.state.StateUnwritableException;

/**
 * The sessions directory of the state directory. {@code journal.jsonl} holds the state of every
 * registered session not yet exported: one JSON line per change (a registration, a saved index, a
 * pause), the last line of a session winning, and {@code -<sid>} once the session is finished.
 * {@code finished-ids} holds the ids of sessions exported or given up, so that a replayed
 * session.upload registers nothing again.
 *
 * <p>A save appends its lines (a process killed after that loses none: they are in the operating
 * system's hands); {@link #sync} makes every line appended so far durable (fdatasync), and the
 * exporter calls it before it saves the read cursor (once a second, and at a stop), so a session's
 * registration is on disk before the cursor can move past its session.upload, and one sync a second
 * covers every save between. Syncs that arrive while another one is being made are covered by the
 * next one (group commit). That is what made the journal worth having: a state file per session,
 * written atomically, took 0.25 to 0.6 ms of CPU (two fsyncs, a create and a rename) for every
 * session.upload; an append takes a few µs, its sync about 60.
 *
 * <p>At {@link #open}, at a clean {@link #close} and whenever it has grown well past what it holds, the journal is rewritten
 * with one line per live session, atomically like every state file (DESIGN §7). A last line without
 * its newline is an append a crash cut short, never acknowledged, and is dropped; a line that cannot
 * be read anywhere else is a clear error, never skipped: skipping would lose that recording. Files
 * {@code <sid>.json}, the one-file-per-session layout of earlier versions, are read at {@code open}
 * and folded into the journal.
 */
public final class SessionStore {

    /** Finished session ids kept per segment: far more than the session.upload events a replay can repeat. */
    private static final int FINISHED_IDS_PER_SEGMENT = 10_000;
    /** Lines appended since the last rewrite before the journal is rewritten (or 4 × the live sessions, if more). */
    static final int REWRITE_AFTER_LINES = 10_000;
    private static final String JOURNAL = "journal.jsonl";
    private static final String LEGACY_SUFFIX = ".json";
    private static final byte FINISHED_MARK = '-';

    private static final ObjectWriter WRITER = StateFile.JSON.writerFor(SessionState.class)
            .without(SerializationFeature.INDENT_OUTPUT);
    private static final ObjectReader READER = StateFile.JSON.readerFor(SessionState.class);

    private final Path dir;
    private final Path journal;
    private final DeliveredEvents finished;

    /** Guards the channel's appends, {@link #live}, {@link #appended} and {@link #sinceRewrite}; taken after {@link #syncs}. */
    private final Object appends = new Object();
    /** Guards {@link #synced} and every sync or replacement of the channel. */
    private final Object syncs = new Object();
    private FileChannel channel;
    /** The last line of every session not finished, by id: what a rewrite keeps. */
    private final Map<String, byte[]> live = new LinkedHashMap<>();
    private long appended;
    private long synced;
    private int sinceRewrite;

    /** @param dir the directory for session state, {@code <state directory>/sessions} */
    public SessionStore(Path dir) {
        this.dir = dir;
        this.journal = dir.resolve(JOURNAL);
        this.finished = new DeliveredEvents(dir.resolve("finished-ids"), FINISHED_IDS_PER_SEGMENT);
    }

    public Path dir() {
        return dir;
    }

    /** The journal, where a session's state can be looked up (for the messages about it). */
    Path journal() {
        return journal;
    }

    /**
     * Creates the directory, reads the finished ids and every session saved and not finished,
     * rewrites the journal with them (folding in files of earlier versions) and opens it for appends.
     *
     * @return the sessions saved and not finished
     */
    List<SessionState> open() {
        try {
            AtomicFiles.createDirectory(dir);
            finished.start();
        } catch (IOException e) {
            throw new ConfigException("storage: cannot create " + dir + ": " + e.getMessage(), e);
        } catch (ConfigException e) {
            throw e; // already names the file
        } catch (RuntimeException e) {
            throw new ConfigException("storage: cannot read " + dir.resolve("finished-ids") + ": " + e.getMessage(), e);
        }
        List<Path> legacy = new ArrayList<>();
        Map<String, SessionState> states = read(legacy);
        synchronized (syncs) {
            synchronized (appends) {
                live.clear();
                for (SessionState state : states.values()) {
                    live.put(state.sessionId(), line(state));
                }
                rewrite();
            }
        }
        for (Path file : legacy) {
            try {
                Files.deleteIfExists(file); // in the journal now
            } catch (IOException e) {
                throw new StateUnwritableException(file, e);
            }
        }
        return new ArrayList<>(states.values());
    }

    /** Leaves the journal with one line per live session (as it was, if that cannot be written) and closes it. */
    void close() {
        synchronized (syncs) {
            synchronized (appends) {
                if (channel != null && sinceRewrite > 0) {
                    try {
                        rewrite();
                    } catch (StateUnwritableException e) {
                        // the journal as it was is complete: the next start reads it
                    }
                }
                closeChannel();
            }
        }
        finished.stop();
    }

    /**
     * Every session saved and not finished, read from storage (the journal, and the files of earlier
     * versions, which the journal overrides); {@code legacy} receives those files.
     */
    Map<String, SessionState> read(List<Path> legacy) {
        Map<String, SessionState> states = new LinkedHashMap<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + LEGACY_SUFFIX)) {
            for (Path file : files) {
                SessionState state = new StateFile<>(file, SessionState.class).load()
                        .orElseThrow(() -> new ConfigException("storage: " + file + " vanished while being read"));
                states.put(state.sessionId(), state);
                legacy.add(file);
            }
        } catch (NoSuchFileException e) {
            return states;
        } catch (IOException e) {
            throw new ConfigException("storage: cannot read " + dir + ": " + e.getMessage(), e);
        }
        byte[] content;
        try {
            content = Files.readAllBytes(journal);
        } catch (NoSuchFileException e) {
            content = new byte[0];
        } catch (IOException e) {
            throw new ConfigException("storage: cannot read " + journal + ": " + e.getMessage(), e);
        }
        int start = 0;
        int lineNumber = 0;
        while (start < content.length) {
            int end = indexOf(content, (byte) '\n', start);
            if (end < 0) {
                break; // an append a crash cut short: never synced, so never acknowledged
            }
            lineNumber++;
            if (end > start) {
                if (content[start] == FINISHED_MARK) {
                    states.remove(new String(content, start + 1, end - start - 1, StandardCharsets.UTF_8));
                } else {
                    SessionState state = parse(journal, content, start, end - start, lineNumber);
                    states.put(state.sessionId(), state);
                }
            }
            start = end + 1;
        }
        states.keySet().removeIf(finished::contains); // finished just before a crash
        return states;
    }

    /** Saves the session's state; durable at the next {@link #sync}. */
    void save(SessionState state) {
        save(List.of(state));
    }

    /** Saves the states in one append; durable at the next {@link #sync}. */
    void save(List<SessionState> states) {
        if (states.isEmpty()) {
            return;
        }
        ByteArrayOutputStream lines = new ByteArrayOutputStream(states.size() * 200);
        boolean due;
        synchronized (appends) {
            for (SessionState state : states) {
                byte[] line = line(state);
                live.put(state.sessionId(), line);
                lines.writeBytes(line);
            }
            append(lines.toByteArray());
            appended++;
            sinceRewrite += states.size();
            due = rewriteDue();
        }
        if (due) {
            rewriteIfDue();
        }
    }

    /**
     * Makes every save made so far durable (one fdatasync, none when nothing was saved since the last
     * one); the exporter calls it before it saves the read cursor.
     */
    void sync() {
        long upTo;
        synchronized (appends) {
            upTo = appended;
        }
        sync(upTo);
    }

    /** Saves made so far and not yet durable (for tests). */
    long unsynced() {
        synchronized (syncs) {
            synchronized (appends) {
                return appended - synced;
            }
        }
    }

    /** Records the session as finished for good: its lines are dropped at the next rewrite. */
    void finish(String sessionId) {
        finished.add(sessionId);
        synchronized (appends) {
            if (live.remove(sessionId) != null) {
                // not synced on its own: lost in a crash of the machine, the recording would be sent again, not lost
                append(("-" + sessionId + "\n").getBytes(StandardCharsets.UTF_8));
                sinceRewrite++;
            }
        }
    }

    boolean isFinished(String sessionId) {
        return finished.contains(sessionId);
    }

    // ---- the journal ----------------------------------------------------------------------------

    private static byte[] line(SessionState state) {
        try {
            byte[] json = WRITER.writeValueAsBytes(state);
            byte[] line = new byte[json.length + 1];
            System.arraycopy(json, 0, line, 0, json.length);
            line[json.length] = '\n';
            return line;
        } catch (JacksonException e) {
            throw new IllegalStateException("cannot write the state of session " + state.sessionId(), e);
        }
    }

    private static SessionState parse(Path file, byte[] content, int offset, int length, int lineNumber) {
        String where = file + " (line " + lineNumber + ")";
        try {
            SessionState state = READER.readValue(content, offset, length);
            if (state == null || state.sessionId() == null) {
                throw new ConfigException("storage: " + where + " is empty or corrupt; restore it from a backup, or remove"
                        + " it to give up the session recordings it holds");
            }
            return state;
        } catch (IOException e) {
            String why = e instanceof JacksonException json ? json.getOriginalMessage() : e.getMessage();
            throw new ConfigException("storage: " + where + " is corrupt (" + why + "); restore it from a backup, or"
                    + " remove it to give up the session recordings it holds", e);
        }
    }

    /** The open journal; none after a rewrite that failed. */
    private FileChannel channel() {
        if (channel == null) {
            throw new StateUnwritableException(journal, new IOException("not open (a rewrite of it failed)"));
        }
        return channel;
    }

    private void append(byte[] bytes) {
        FileChannel open = channel();
        try {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                open.write(buffer);
            }
        } catch (IOException e) {
            throw new StateUnwritableException(journal, e);
        }
    }

    /** Syncs the journal up to append number {@code upTo}, unless a sync since then did. */
    private void sync(long upTo) {
        synchronized (syncs) {
            if (synced >= upTo) {
                return; // nothing new, or synced by the caller that held the lock meanwhile
            }
            long target;
            synchronized (appends) {
                target = appended;
            }
            FileChannel open = channel();
            try {
                open.force(false);
            } catch (IOException e) {
                throw new StateUnwritableException(journal, e);
            }
            synced = target;
        }
    }

    private boolean rewriteDue() {
        return sinceRewrite > Math.max(REWRITE_AFTER_LINES, 4 * live.size());
    }

    private void rewriteIfDue() {
        synchronized (syncs) {
            synchronized (appends) {
                if (rewriteDue()) {
                    rewrite();
                }
            }
        }
    }

    /** Replaces the journal with one line per live session, atomically, and reopens it; holding both locks. */
    private void rewrite() {
        ByteArrayOutputStream content = new ByteArrayOutputStream(live.size() * 200);
        live.values().forEach(content::writeBytes);
        closeChannel();
        try {
            AtomicFiles.write(journal, content.toByteArray());
            channel = FileChannel.open(journal, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new StateUnwritableException(journal, e);
        }
        synced = appended;
        sinceRewrite = 0;
    }

    private void closeChannel() {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // every append that matters was synced, or is rewritten next
            }
            channel = null;
        }
    }

    private static int indexOf(byte[] bytes, byte b, int from) {
        for (int i = from; i < bytes.length; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }
}
