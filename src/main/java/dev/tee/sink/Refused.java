package dev.tee.sink;

import java.util.List;

import dev.tee.event.Batch;

/**
 * Events an output refused for good: their dead letters, which a route writes first, and the events,
 * which it settles once the letters are written (routes/deliver-objects.yaml).
 */
public record Refused(List<DeadLetter> letters, Batch events) {

    public Refused {
        letters = List.copyOf(letters);
    }

    public int size() {
        return events.size();
    }
}
