package dev.tee.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One real Fluentd per test class, on configure's fluent.conf, writing into a bucket of S3Proxy:
 * {@code @RegisterExtension static final FluentdToS3 servers = new FluentdToS3("bucket");}
 */
public final class FluentdToS3 implements BeforeAllCallback, AfterAllCallback {

    private final String bucket;
    private final String[] otherBuckets;
    private S3ProxyServer s3;
    private ConfiguredFluentd fluentd;

    /** Fluentd writes into {@code bucket}; {@code otherBuckets} are there for the test's own use. */
    public FluentdToS3(String bucket, String... otherBuckets) {
        this.bucket = bucket;
        this.otherBuckets = otherBuckets.clone();
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        try {
            Path dir = Files.createTempDirectory("real-fluentd-");
            s3 = S3ProxyServer.start();
            s3.createBucket(bucket);
            for (String other : otherBuckets) {
                s3.createBucket(other);
            }
            fluentd = ConfiguredFluentd.start(dir.resolve("configure"), s3, bucket);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (fluentd != null) {
            fluentd.close();
        }
        if (s3 != null) {
            s3.close();
        }
    }

    public S3ProxyServer s3() {
        return s3;
    }

    public ConfiguredFluentd fluentd() {
        return fluentd;
    }
}
