package dev.tee.demo;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

import dev.tee.teleport.proto.auditlog.EventUnstructured;

/**
 * The bulk-export view of the fake audit log, shaped like Teleport's Athena backend
 * (teleport-wire.md §1.1): events grouped by the UTC date of their time, each date split into
 * immutable chunks with opaque names, listed in no particular order, read by row cursors
 * {@code a1:<row>}.
 *
 * <p>An appended event waits in its date's open chunk, which is sealed when it is full or when the
 * date is listed. So a listing always shows every event appended before it, and events that arrive
 * later, for today or for an earlier date, show up as new chunks on a later listing, as Athena's
 * late-written parquet files do.
 */
final class FakeExportChunks {

    /** Athena's cursor format: the number of rows of the chunk already read. */
    static final String CURSOR_PREFIX = "a1:";

    /** One sealed chunk; {@code events} are in the order the chunk serves them. */
    record Chunk(String name, LocalDate date, List<EventUnstructured> events) {
    }

    private static final Comparator<EventUnstructured> CHRONOLOGICAL =
            Comparator.comparingLong((EventUnstructured event) -> event.getTime().getSeconds())
                    .thenComparingInt(event -> event.getTime().getNanos())
                    .thenComparingLong(EventUnstructured::getIndex);

    /** The chunks of one date, in the order they were sealed, and its open chunk. */
    private static final class Day {
        final Map<String, Chunk> chunks = new LinkedHashMap<>();
        List<EventUnstructured> open = new ArrayList<>();
    }

    private final int eventsPerChunk;
    private final boolean unordered;
    private final Random random;
    private final Map<LocalDate, Day> days = new HashMap<>();

    /**
     * {@code unordered}: serve the events of a chunk in random order rather than by time (the export
     * API promises no order). {@code random} names the chunks and shuffles listings and events.
     */
    FakeExportChunks(int eventsPerChunk, boolean unordered, Random random) {
        if (eventsPerChunk < 1) {
            throw new IllegalArgumentException("events per chunk must be at least 1, not " + eventsPerChunk);
        }
        this.eventsPerChunk = eventsPerChunk;
        this.unordered = unordered;
        this.random = random;
    }

    synchronized void add(EventUnstructured event) {
        LocalDate date = date(Instant.ofEpochSecond(event.getTime().getSeconds(), event.getTime().getNanos()));
        Day day = days.computeIfAbsent(date, d -> new Day());
        day.open.add(event);
        if (day.open.size() == eventsPerChunk) {
            seal(date, day);
        }
    }

    /** The names of the date's chunks in random order, after sealing its open chunk. */
    synchronized List<String> list(LocalDate date) {
        Day day = days.get(date);
        if (day == null) {
            return List.of();
        }
        if (!day.open.isEmpty()) {
            seal(date, day);
        }
        List<String> names = new ArrayList<>(day.chunks.keySet());
        Collections.shuffle(names, random);
        return names;
    }

    synchronized Optional<Chunk> chunk(LocalDate date, String name) {
        Day day = days.get(date);
        return Optional.ofNullable(day == null ? null : day.chunks.get(name));
    }

    synchronized int chunkCount() {
        return days.values().stream().mapToInt(day -> day.chunks.size()).sum();
    }

    /**
     * The row to resume at: 0 for an empty cursor, else the row count of an {@code a1:} cursor.
     *
     * @throws IllegalArgumentException with Athena's message for a cursor of another format, or for
     *     a row that is not in the chunk
     */
    static int startRow(String cursor, Chunk chunk) {
        if (cursor.isEmpty()) {
            return 0;
        }
        if (!cursor.startsWith(CURSOR_PREFIX)) {
            throw new IllegalArgumentException("unsupported cursor format");
        }
        int row;
        try {
            row = Integer.parseInt(cursor.substring(CURSOR_PREFIX.length()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("malformed cursor \"" + cursor + "\"", e);
        }
        if (row < 0 || row > chunk.events().size()) {
            throw new IllegalArgumentException("cursor \"" + cursor + "\" is outside chunk " + chunk.name());
        }
        return row;
    }

    /** The cursor that resumes after {@code rowsRead} rows. */
    static String cursor(int rowsRead) {
        return CURSOR_PREFIX + rowsRead;
    }

    static LocalDate date(Instant instant) {
        return LocalDate.ofInstant(instant, ZoneOffset.UTC);
    }

    private void seal(LocalDate date, Day day) {
        List<EventUnstructured> events = day.open;
        day.open = new ArrayList<>();
        if (unordered) {
            Collections.shuffle(events, random);
        } else {
            events.sort(CHRONOLOGICAL);
        }
        String name = date + "/" + Long.toHexString(random.nextLong() | Long.MIN_VALUE)
                + Long.toHexString(random.nextLong() | Long.MIN_VALUE) + ".parquet";
        day.chunks.put(name, new Chunk(name, date, List.copyOf(events)));
    }
}
