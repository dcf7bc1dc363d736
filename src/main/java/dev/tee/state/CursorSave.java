package dev.tee.state;

/**
 * The routes' {@code cursor} bean (the save-state route calls {@link #flush} once a second; the
 * exporter calls it at the last event and at a stop): first what must be durable before the read
 * cursor may move past the events that changed it (the sessions journal: a session.upload's
 * registration), then the cursor itself.
 */
public final class CursorSave {

    private final Runnable durableFirst;
    private final Runnable cursor;

    /**
     * @param durableFirst makes durable what the events before the cursor saved (may throw
     *     {@link StateUnwritableException}; the cursor is then not saved)
     * @param cursor writes the read cursor if it changed
     */
    public CursorSave(Runnable durableFirst, Runnable cursor) {
        this.durableFirst = durableFirst;
        this.cursor = cursor;
    }

    public void flush() {
        durableFirst.run();
        cursor.run();
    }
}
