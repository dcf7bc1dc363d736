package dev.tee.cli;

import java.util.List;

/** Chooses the log level before the first logger exists, which is when slf4j-simple reads it. */
final class Logging {

    private static final String DEFAULT_LEVEL = "org.slf4j.simpleLogger.defaultLogLevel";
    private static final String LOGGER_LEVEL = "org.slf4j.simpleLogger.log.";

    private Logging() {
    }

    /** With {@code debug}, DEBUG everywhere; otherwise what simplelogger.properties or -D says. */
    static void configure(boolean debug) {
        if (debug) {
            System.setProperty(DEFAULT_LEVEL, "debug");
        }
    }

    /**
     * For the demo, which tells its own story: warnings only from Camel and the exporter, unless
     * {@code debug}. A level given with -D still wins.
     */
    static void configureDemo(boolean debug) {
        configure(debug);
        if (!debug) {
            for (String logger : List.of("org.apache.camel", "dev.tee")) {
                String property = LOGGER_LEVEL + logger;
                if (System.getProperty(property) == null) {
                    System.setProperty(property, "warn");
                }
            }
        }
    }
}
