package dev.tee.cli;

/** Chooses the log level before the first logger exists, which is when slf4j-simple reads it. */
final class Logging {

    private static final String DEFAULT_LEVEL = "org.slf4j.simpleLogger.defaultLogLevel";

    private Logging() {
    }

    /** With {@code debug}, DEBUG everywhere; otherwise what simplelogger.properties or -D says. */
    static void configure(boolean debug) {
        if (debug) {
            System.setProperty(DEFAULT_LEVEL, "debug");
        }
    }
}
