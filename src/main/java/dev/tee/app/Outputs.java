package dev.tee.app;

import static dev.tee.config.ConfigKey.DRY_RUN;
import static dev.tee.config.ConfigKey.FORWARD_FLUENTD_BATCH_MODE;
import static dev.tee.config.ConfigKey.FORWARD_FLUENTD_CA;
import static dev.tee.config.ConfigKey.FORWARD_FLUENTD_CERT;
import static dev.tee.config.ConfigKey.FORWARD_FLUENTD_KEY;
import static dev.tee.config.ConfigKey.FORWARD_FLUENTD_KEY_PASSPHRASE;
import static dev.tee.config.ConfigKey.FORWARD_FLUENTD_MAX_CONNECTIONS;
import static dev.tee.config.ConfigKey.FORWARD_FLUENTD_URL;
import static dev.tee.config.ConfigKey.OUTPUT;
import static dev.tee.config.ConfigKey.STORAGE;
import static dev.tee.config.ConfigKey.TELEPORT_ADDR;

import java.security.SecureRandom;
import java.util.HexFormat;

import dev.tee.config.ConfigException;
import dev.tee.config.ExporterConfig;
import dev.tee.sink.DryRunSink;
import dev.tee.sink.Sink;
import dev.tee.sink.fluentd.BatchMode;
import dev.tee.sink.fluentd.FluentdClient;
import dev.tee.sink.fluentd.FluentdSink;
import dev.tee.state.StateDirectory;

/** Chooses the state directory and builds the configured output. */
final class Outputs {

    private Outputs() {
    }

    /**
     * {@code <storage>/<host>_<port>/}, or for a dry run a fresh directory below it, as the Go handler
     * does, so that a dry run never moves the real export's cursors.
     */
    static StateDirectory stateDirectory(ExporterConfig config) {
        StateDirectory real = StateDirectory.open(config.path(STORAGE), config.string(TELEPORT_ADDR));
        if (!config.bool(DRY_RUN)) {
            return real;
        }
        byte[] random = new byte[16];
        new SecureRandom().nextBytes(random);
        return StateDirectory.open(real.path().resolve("dry_run"), HexFormat.of().formatHex(random));
    }

    static Sink sink(ExporterConfig config, StateDirectory state) {
        if (config.bool(DRY_RUN)) {
            return new DryRunSink();
        }
        String output = config.string(OUTPUT);
        if (output.equals("fluentd")) {
            return fluentd(config, state);
        }
        throw new ConfigException("output: \"" + output + "\" is not available yet in this version");
    }

    private static FluentdSink fluentd(ExporterConfig config, StateDirectory state) {
        FluentdClient.Builder client = FluentdClient.builder()
                .maxConnections(config.integer(FORWARD_FLUENTD_MAX_CONNECTIONS));
        config.optionalPath(FORWARD_FLUENTD_CA).ifPresent(client::ca);
        config.optionalPath(FORWARD_FLUENTD_CERT).ifPresent(client::cert);
        config.optionalPath(FORWARD_FLUENTD_KEY).ifPresent(client::key);
        config.optionalString(FORWARD_FLUENTD_KEY_PASSPHRASE).ifPresent(p -> client.keyPassphrase(p.toCharArray()));
        return new FluentdSink(client.build(), config.string(FORWARD_FLUENTD_URL),
                BatchMode.of(config.string(FORWARD_FLUENTD_BATCH_MODE)), state.path());
    }
}
