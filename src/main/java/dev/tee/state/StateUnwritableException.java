package dev.tee.state;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * A state file could not be written (the disk is full, the directory went read-only...). The exporter
 * cannot keep its promises without its state, so it stops rather than go on (DESIGN §7).
 */
public final class StateUnwritableException extends UncheckedIOException {

    public StateUnwritableException(Path file, IOException cause) {
        super("storage: cannot write " + file + ": " + cause.getMessage(), cause);
    }
}
