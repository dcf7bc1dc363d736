package dev.tee.source;

import java.time.LocalDate;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Where the bulk export path resumes, saved as one state file: the date being exported, and for it
 * and the previous dates still polled, the chunks completed and the cursor of each chunk partly read
 * (only ever past acknowledged events). Teleport's Go exporter keeps the same facts in its
 * {@code cursor_v2/} directory.
 */
public record ExportCursor(LocalDate current, Map<LocalDate, Day> days) {

    /** One UTC date's progress. */
    public record Day(Set<String> completed, Map<String, String> cursors) {
        public Day {
            completed = new TreeSet<>(completed);
            cursors = new TreeMap<>(cursors);
        }

        static Day empty() {
            return new Day(Set.of(), Map.of());
        }
    }

    /** A saved cursor without its date or days is corrupt: resuming from it would start over. */
    public ExportCursor {
        if (current == null || days == null) {
            throw new IllegalArgumentException(current == null ? "no current date" : "no days");
        }
        days = new TreeMap<>(days);
    }

    public static ExportCursor startingAt(LocalDate date) {
        return new ExportCursor(date, Map.of(date, Day.empty()));
    }
}
