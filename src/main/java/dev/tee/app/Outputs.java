package dev.tee.app;

import static dev.tee.config.ConfigKey.BATCH;
import static dev.tee.config.ConfigKey.DRY_RUN;
import static dev.tee.config.ConfigKey.FORWARD_FILE_DIR;
import static dev.tee.config.ConfigKey.FORWARD_FLUENTD_BATCH_MODE;
import static dev.tee.config.ConfigKey.FORWARD_FLUENTD_CA;
import static dev.tee.config.ConfigKey.FORWARD_FLUENTD_CERT;
import static dev.tee.config.ConfigKey.FORWARD_FLUENTD_KEY;
import static dev.tee.config.ConfigKey.FORWARD_FLUENTD_KEY_PASSPHRASE;
import static dev.tee.config.ConfigKey.FORWARD_FLUENTD_SESSION_URL;
import static dev.tee.config.ConfigKey.FORWARD_FLUENTD_URL;
import static dev.tee.config.ConfigKey.FORWARD_S3_ACCESS_KEY_ID;
import static dev.tee.config.ConfigKey.FORWARD_S3_BUCKET;
import static dev.tee.config.ConfigKey.FORWARD_S3_ENDPOINT;
import static dev.tee.config.ConfigKey.FORWARD_S3_FLUSH_DELAY;
import static dev.tee.config.ConfigKey.FORWARD_S3_PATH_STYLE;
import static dev.tee.config.ConfigKey.FORWARD_S3_PREFIX;
import static dev.tee.config.ConfigKey.FORWARD_S3_REGION;
import static dev.tee.config.ConfigKey.FORWARD_S3_SECRET_ACCESS_KEY;
import static dev.tee.config.ConfigKey.FORWARD_S3_SESSION_PREFIX;
import static dev.tee.config.ConfigKey.FORWARD_S3_SSE;
import static dev.tee.config.ConfigKey.FORWARD_S3_SSE_KMS_KEY_ID;
import static dev.tee.config.ConfigKey.OUTPUT;
import static dev.tee.config.ConfigKey.STORAGE;
import static dev.tee.config.ConfigKey.TELEPORT_ADDR;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.tee.config.ConfigException;
import dev.tee.config.ExporterConfig;
import dev.tee.event.Batch;
import dev.tee.pipeline.RouteInlet;
import dev.tee.session.FluentdSessionOutput;
import dev.tee.session.SessionObjects;
import dev.tee.session.SessionOutput;
import dev.tee.sink.DeadLetter;
import dev.tee.sink.DryRunSink;
import dev.tee.sink.OutputCounters;
import dev.tee.sink.OutputUnavailableException;
import dev.tee.sink.Sink;
import dev.tee.sink.fluentd.BatchMode;
import dev.tee.sink.fluentd.FluentdConnections;
import dev.tee.sink.fluentd.FluentdSink;
import dev.tee.sink.fluentd.FluentdTls;
import dev.tee.sink.fluentd.GoJsonBody;
import dev.tee.sink.s3.DirectoryObjectStore;
import dev.tee.sink.s3.MinuteObject;
import dev.tee.sink.s3.ObjectStore;
import dev.tee.sink.s3.PantherWriter;
import dev.tee.sink.s3.S3ObjectStore;
import dev.tee.source.AuditSource;
import dev.tee.state.StateDirectory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;

/** Chooses the state directory and builds the configured output: the beans its routes name. */
final class Outputs {

    private static final Logger LOG = LoggerFactory.getLogger(Outputs.class);

    private Outputs() {
    }

    /**
     * The output's beans under the names the routes call them by, how the routes deliver to it
     * ({@code delivery} in their preconditions: fluentd, dry-run, or objects, one per minute), its
     * counters, what to close, and where session recordings go (null in a dry run, which exports none).
     */
    record Output(Map<String, Object> beans, String delivery, OutputCounters counters, AutoCloseable resource,
            SessionOutput sessionOutput) implements AutoCloseable {
        @Override
        public void close() {
            try {
                resource.close();
            } catch (Exception e) {
                LOG.warn("Closing the output failed: {}", e.getMessage());
            }
        }
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

    /**
     * @param checked what {@link Preflight} read for the output: Fluentd's TLS, or the S3 settings
     * @param fluentd the fluentd-deliver route, which session recordings go through to Fluentd
     * @param deadLetter the dead-letter route, for session events S3 or the directory cannot hold
     */
    static Output open(ExporterConfig config, Preflight checked, AuditSource source, RouteInlet<Batch> fluentd,
            RouteInlet<DeadLetter> deadLetter) {
        if (config.bool(DRY_RUN)) {
            DryRunSink sink = new DryRunSink();
            return new Output(Map.of("sink", sink), "dry-run", sink, sink, null);
        }
        String output = config.string(OUTPUT);
        switch (output) {
            case "fluentd" -> {
                FluentdTls tls = checked.fluentdTls();
                FluentdSink sink = new FluentdSink(tls, config.string(FORWARD_FLUENTD_URL),
                        BatchMode.of(config.string(FORWARD_FLUENTD_BATCH_MODE)));
                return new Output(Map.of("fluentd", sink, "fluentdUnsettled", sink.unsettled(), "goJson",
                        new GoJsonBody(), "fluentdTls", tls,
                        "fluentdHttpClient", new FluentdConnections(FluentdConnections.RESPONSE_TIMEOUT)),
                        "fluentd", sink, () -> { }, new FluentdSessionOutput(fluentd,
                                config.string(FORWARD_FLUENTD_SESSION_URL), config.integer(BATCH)));
            }
            case "s3" -> {
                S3ObjectStore store = S3ObjectStore.open(checked.s3());
                String prefix = config.string(FORWARD_S3_PREFIX);
                try {
                    store.checkBucket(prefix);
                    LOG.info("Writing Panther's layout to s3://{}/{}", store.bucket(), prefix);
                } catch (OutputUnavailableException e) {
                    LOG.warn("{}. Starting anyway: objects are written once S3 answers", e.getMessage());
                } catch (RuntimeException e) {
                    store.close();
                    throw e;
                }
                // the routes' aws2-s3 step PUTs with this client
                return objects(config, store, source, deadLetter, Map.of("s3Client", store.client()), store);
            }
            case "file" -> {
                DirectoryObjectStore store = new DirectoryObjectStore(config.path(FORWARD_FILE_DIR));
                LOG.info("Writing Panther's layout to {}", store.root().resolve(config.string(FORWARD_S3_PREFIX)));
                return objects(config, store, source, deadLetter, Map.of("outputDirectory", store), () -> { });
            }
            default -> throw new ConfigException("output: \"" + output + "\" is not one of fluentd, s3, file");
        }
    }

    private static Output objects(ExporterConfig config, ObjectStore store, AuditSource source,
            RouteInlet<DeadLetter> deadLetter, Map<String, Object> writeBeans, AutoCloseable resource) {
        PantherWriter writer = new PantherWriter(config.string(FORWARD_S3_PREFIX), MinuteObject.DEFAULT_MAX_BYTES,
                config.duration(FORWARD_S3_FLUSH_DELAY), store, source, Clock.systemUTC());
        SessionObjects sessions = new SessionObjects(store, config.string(FORWARD_S3_SESSION_PREFIX), deadLetter,
                Clock.systemUTC());
        Map<String, Object> beans = new LinkedHashMap<>(writeBeans);
        beans.put("pantherLines", writer.lines());
        beans.put("panther", writer);
        return new Output(beans, "objects", writer, resource, sessions);
    }

    /** The client certificate, key and CA files, read and checked (at the start, and again on SIGHUP). */
    static FluentdTls fluentdTls(ExporterConfig config) {
        FluentdTls.Builder tls = FluentdTls.builder();
        config.optionalPath(FORWARD_FLUENTD_CA).ifPresent(tls::ca);
        config.optionalPath(FORWARD_FLUENTD_CERT).ifPresent(tls::cert);
        config.optionalPath(FORWARD_FLUENTD_KEY).ifPresent(tls::key);
        config.optionalString(FORWARD_FLUENTD_KEY_PASSPHRASE).ifPresent(p -> tls.keyPassphrase(p.toCharArray()));
        return tls.build();
    }

    static S3ObjectStore.Settings s3Settings(ExporterConfig config) {
        S3ObjectStore.StaticKeys keys = config.optionalString(FORWARD_S3_ACCESS_KEY_ID)
                .map(id -> new S3ObjectStore.StaticKeys(id, config.string(FORWARD_S3_SECRET_ACCESS_KEY)))
                .orElse(null);
        String sse = config.string(FORWARD_S3_SSE);
        return new S3ObjectStore.Settings(config.string(FORWARD_S3_BUCKET), region(config),
                config.optionalUrl(FORWARD_S3_ENDPOINT).orElse(null), config.bool(FORWARD_S3_PATH_STYLE), keys,
                sse.equals("none") ? null : sse, config.optionalString(FORWARD_S3_SSE_KMS_KEY_ID).orElse(null));
    }

    /** forward.s3.region, else the AWS SDK's own lookup (AWS_REGION, profile, instance metadata). */
    private static String region(ExporterConfig config) {
        return config.optionalString(FORWARD_S3_REGION).orElseGet(() -> {
            try {
                return DefaultAwsRegionProviderChain.builder().build().getRegion().id();
            } catch (SdkClientException e) {
                throw new ConfigException("forward.s3.region: not set, and the AWS default chain (AWS_REGION, "
                        + "~/.aws/config, instance metadata) names no region either");
            }
        });
    }
}
