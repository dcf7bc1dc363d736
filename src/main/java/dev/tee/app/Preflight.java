package dev.tee.app;

import static dev.tee.config.ConfigKey.DRY_RUN;
import static dev.tee.config.ConfigKey.FORWARD_FILE_DIR;
import static dev.tee.config.ConfigKey.OUTPUT;

import java.nio.file.Files;
import java.nio.file.Path;

import dev.tee.config.ConfigException;
import dev.tee.config.ExporterConfig;
import dev.tee.sink.fluentd.FluentdTls;
import dev.tee.sink.s3.S3ObjectStore;
import dev.tee.teleport.TeleportCredentials;

/**
 * Every file the configuration names, read and checked before the exporter prints anything, so that
 * a bad one is one line on stderr and exit status 2 rather than the last of forty: the Teleport
 * identity (or cert/key/CA trio), the Fluentd client certificate, key, passphrase and CA, the S3
 * settings that can be checked without asking S3, the output directory, and the route files of a
 * {@code routes/} directory beside the configuration file. What was read is used from then on, so
 * nothing is read twice.
 *
 * @param teleport   the credentials Teleport is dialed with
 * @param fluentdTls the Fluentd endpoint's TLS (output=fluentd), else null
 * @param s3         where objects go (output=s3), else null
 */
record Preflight(TeleportCredentials teleport, FluentdTls fluentdTls, S3ObjectStore.Settings s3) {

    /** @throws ConfigException naming the key or file and what is wrong with it */
    static Preflight check(ExporterConfig config) {
        TeleportCredentials teleport = Teleport.credentials(config);
        FluentdTls fluentdTls = null;
        S3ObjectStore.Settings s3 = null;
        // a dry run sends nothing, so it needs none of the output's files (Outputs.open agrees)
        if (!config.bool(DRY_RUN)) {
            switch (config.string(OUTPUT)) {
                case "fluentd" -> fluentdTls = Outputs.fluentdTls(config);
                case "s3" -> s3 = Outputs.s3Settings(config);
                case "file" -> outputDirectory(config.path(FORWARD_FILE_DIR));
                default -> { } // the loader accepts no other output
            }
        }
        ExporterApp.routesDirectory(config).ifPresent(RouteFiles::check);
        return new Preflight(teleport, fluentdTls, s3);
    }

    /** A directory that exists and can be written, or can be created: the objects are written into it. */
    private static void outputDirectory(Path dir) {
        String key = FORWARD_FILE_DIR.key();
        if (Files.exists(dir)) {
            if (!Files.isDirectory(dir)) {
                throw new ConfigException(key + ": " + dir + " is a file, not a directory");
            }
            if (!Files.isWritable(dir)) {
                throw new ConfigException(key + ": " + dir + " is not writable");
            }
            return;
        }
        Path existing = dir.toAbsolutePath().getParent();
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing != null && (!Files.isDirectory(existing) || !Files.isWritable(existing))) {
            throw new ConfigException(key + ": " + dir + " cannot be created: " + existing
                    + (Files.isDirectory(existing) ? " is not writable" : " is a file, not a directory"));
        }
    }
}
