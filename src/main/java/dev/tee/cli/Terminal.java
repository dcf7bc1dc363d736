package dev.tee.cli;

import java.io.Console;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** The user's side of a command that reads input: piped standard input, and yes/no questions on a terminal. */
interface Terminal {

    /**
     * Everything on standard input when it is piped or redirected from a file; empty when it is a
     * terminal or another device such as /dev/null, as the Go handler's {@code configure} decides.
     */
    Optional<String> pipedInput() throws IOException;

    /** Asks a yes/no question on the terminal; empty when there is no terminal to ask on. */
    Optional<Boolean> confirm(String question);

    /** The process's own standard input and console. */
    static Terminal system() {
        return new Terminal() {
            @Override
            public Optional<String> pipedInput() throws IOException {
                if (stdinIsDevice()) {
                    return Optional.empty();
                }
                return Optional.of(new String(System.in.readAllBytes(), StandardCharsets.UTF_8));
            }

            @Override
            public Optional<Boolean> confirm(String question) {
                Console console = System.console();
                if (console == null) {
                    return Optional.empty();
                }
                String answer = console.readLine("%s [y/N] ", question);
                return Optional.of(answer != null && answer.strip().matches("(?i)y|yes"));
            }
        };
    }

    private static boolean stdinIsDevice() {
        try {
            int mode = (Integer) Files.getAttribute(Path.of("/dev/stdin"), "unix:mode");
            return (mode & 0170000) == 0020000; // S_IFCHR, as Go's os.ModeCharDevice
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            // no /dev/stdin to look at: a console means a terminal
            return System.console() != null;
        }
    }
}
