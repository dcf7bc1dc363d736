package dev.tee.testing;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import dev.tee.sink.s3.MinuteObject;
import dev.tee.sink.s3.S3ObjectStore;
import org.awaitility.Awaitility;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.nio2blob.TransientNio2BlobStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/** An S3 server for tests (S3Proxy in this JVM on 127.0.0.1), restartable on its port to play an outage. */
public final class S3ProxyServer implements AutoCloseable {

    // The in-memory store, unlike the filesystem one, accepts SSE headers (build-stack.md). A child JVM
    // reaches the server through endpoint() and the test keys.

    public static final String ACCESS_KEY = "test-access-key";
    public static final String SECRET_KEY = "test-secret-key";
    public static final String REGION = "us-east-1";

    private final BlobStore store = new TransientNio2BlobStore();
    private S3Proxy proxy;
    private int port;
    private S3Client client;

    private S3ProxyServer() {
    }

    /** Starts a server on a free port. */
    public static S3ProxyServer start() {
        S3ProxyServer server = new S3ProxyServer();
        server.listen(0);
        return server;
    }

    /** Stops serving: connections are refused until {@link #restart()}. Objects are kept. */
    public synchronized void stop() {
        if (proxy != null) {
            try {
                proxy.stop();
            } catch (Exception e) {
                throw new IllegalStateException("S3Proxy did not stop", e);
            }
            proxy = null;
        }
    }

    /** Serves again on the same port, with the same objects. */
    public synchronized void restart() {
        if (proxy == null) {
            listen(port);
        }
    }

    public int port() {
        return port;
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /** Store settings for {@code bucket} on this server (path style, the test keys, no SSE). */
    public S3ObjectStore.Settings settings(String bucket) {
        return new S3ObjectStore.Settings(bucket, REGION, endpoint(), true,
                new S3ObjectStore.StaticKeys(ACCESS_KEY, SECRET_KEY), null, null);
    }

    /** A plain SDK client on this server, for setting up buckets and checking objects. */
    public synchronized S3Client client() {
        if (client == null) {
            client = S3Client.builder()
                    .region(Region.of(REGION))
                    .endpointOverride(endpoint())
                    .forcePathStyle(true)
                    .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
                    .build();
        }
        return client;
    }

    public void createBucket(String bucket) {
        client().createBucket(b -> b.bucket(bucket));
    }

    /** Every object of {@code bucket} whose key starts with {@code prefix}: key → its gunzipped lines, by key. */
    public Map<String, List<String>> gzipLines(String bucket, String prefix) {
        Map<String, List<String>> objects = new TreeMap<>();
        for (S3Object object : client().listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents()) {
            byte[] body = client().getObjectAsBytes(b -> b.bucket(bucket).key(object.key())).asByteArray();
            objects.put(object.key(), MinuteObject.lines(body));
        }
        return objects;
    }

    /** The keys of {@code bucket} that start with {@code prefix}, in S3's order (by key). */
    public List<String> keys(String bucket, String prefix) {
        return client().listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents().stream()
                .map(S3Object::key).toList();
    }

    @Override
    public synchronized void close() {
        if (client != null) {
            client.close();
            client = null;
        }
        stop();
    }

    private void listen(int requestedPort) {
        S3Proxy started = S3Proxy.builder()
                .blobStore(store)
                .endpoint(URI.create("http://127.0.0.1:" + requestedPort))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                .stopTimeout(0)
                .build();
        try {
            started.start();
        } catch (Exception e) {
            throw new IllegalStateException("S3Proxy did not start on port " + requestedPort, e);
        }
        // start() may return before Jetty is listening; its port is known once it reports STARTED.
        Awaitility.await("S3Proxy started").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10))
                .until(() -> "STARTED".equals(started.getState()));
        proxy = started;
        port = started.getPort();
    }
}
