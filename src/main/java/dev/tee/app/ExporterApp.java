package dev.tee.app;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.tee.config.ExporterConfig;

/** Runs the exporter with a loaded configuration until it is stopped; returns the exit status. */
public final class ExporterApp {

    private ExporterApp() {
    }

    public static int run(ExporterConfig config) {
        Logger log = LoggerFactory.getLogger(ExporterApp.class);
        config.describe().forEach(log::info);
        return 0;
    }
}
