package dev.tee.sink.s3;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

import dev.tee.config.ConfigException;
import dev.tee.sink.OutputUnavailableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Object;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;
import software.amazon.awssdk.services.s3.model.StorageClass;

/**
 * The bucket our objects go to, and its AWS SDK v2 {@link S3Client}: the client the routes' aws2-s3
 * step writes audit objects with (bound as {@code s3Client}), and the one this store reads back a
 * taken key with, lists, checks the bucket and writes session recordings with. Every write is
 * create-if-absent ({@code If-None-Match: *}).
 */
public final class S3ObjectStore implements ObjectStore, AutoCloseable {

    /** fluent-plugin-s3's Content-Type for {@code store_as gzip}; no Content-Encoding is sent. */
    public static final String GZIP_CONTENT_TYPE = "application/x-gzip";

    private static final Logger LOG = LoggerFactory.getLogger(S3ObjectStore.class);

    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration SOCKET_TIMEOUT = Duration.ofSeconds(60);

    /** Answers that mean "not now": S3 (or a proxy before it) is overloaded, failing or mid-change. */
    private static final Set<String> RETRYABLE_CODES = Set.of("InternalError", "ServiceUnavailable", "SlowDown",
            "RequestTimeout", "Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException",
            "BandwidthLimitExceeded", "OperationAborted", "ConditionalRequestConflict", "PriorRequestNotComplete");

    private static final Set<String> CREDENTIAL_CODES = Set.of("InvalidAccessKeyId", "SignatureDoesNotMatch",
            "ExpiredToken", "InvalidToken", "TokenRefreshRequired", "InvalidSecurity");

    private static final Set<String> REGION_CODES = Set.of("PermanentRedirect", "AuthorizationHeaderMalformed",
            "IllegalLocationConstraintException");

    /** Static access keys; {@code toString} never shows the secret. */
    public record StaticKeys(String accessKeyId, String secretAccessKey) {
        public StaticKeys {
            if (isBlank(accessKeyId) || isBlank(secretAccessKey)) {
                throw new ConfigException("forward.s3: static credentials need both an access key id and a secret key");
            }
        }

        @Override
        public String toString() {
            return "StaticKeys[accessKeyId=" + accessKeyId + ", secretAccessKey=****]";
        }
    }

    /**
     * Where and how to write. {@code endpoint} (null for AWS) and {@code pathStyle} serve S3-compatible
     * servers; {@code keys} null means the AWS default credential chain; {@code sse} is null (the bucket's
     * default encryption applies), {@code AES256} or {@code aws:kms}, the latter with an optional key id.
     */
    public record Settings(String bucket, String region, URI endpoint, boolean pathStyle, StaticKeys keys,
            String sse, String sseKmsKeyId) {
        public Settings {
            if (isBlank(bucket)) {
                throw new ConfigException("forward.s3.bucket: must be set");
            }
            if (bucket.contains("/") || bucket.contains(":") || bucket.chars().anyMatch(Character::isWhitespace)) {
                // "s3://bucket/prefix" or "bucket/prefix" would only fail at the first PUT
                throw new ConfigException("forward.s3.bucket: \"" + bucket + "\" is not a bucket name: give the name"
                        + " alone (a key prefix goes in forward.s3.prefix)");
            }
            if (isBlank(region)) {
                throw new ConfigException("forward.s3.region: must be set");
            }
            if (endpoint != null && !("http".equals(endpoint.getScheme()) || "https".equals(endpoint.getScheme()))) {
                throw new ConfigException("forward.s3.endpoint: \"" + endpoint + "\" is not an http or https URL");
            }
            if (sse != null && !sse.equals("AES256") && !sse.equals("aws:kms")) {
                throw new ConfigException("forward.s3.sse: \"" + sse + "\" is not one of AES256, aws:kms");
            }
            if (sseKmsKeyId != null && !"aws:kms".equals(sse)) {
                throw new ConfigException("forward.s3.sse-kms-key-id: needs forward.s3.sse=aws:kms");
            }
        }
    }

    private final S3Client client;
    private final Settings settings;

    private S3ObjectStore(S3Client client, Settings settings) {
        this.client = client;
        this.settings = settings;
    }

    /** A store over a new client for {@code settings}. Nothing is sent to S3 until the first request. */
    public static S3ObjectStore open(Settings settings) {
        AwsCredentialsProvider credentials = settings.keys() == null
                ? DefaultCredentialsProvider.builder().build()
                : StaticCredentialsProvider.create(
                        AwsBasicCredentials.create(settings.keys().accessKeyId(), settings.keys().secretAccessKey()));
        // camel-aws2-s3 builds its client on the same Apache HTTP client; naming it avoids the SDK's
        // choice between it and netty-nio-client, which are both on the class path.
        S3ClientBuilder builder = S3Client.builder()
                .region(Region.of(settings.region()))
                .credentialsProvider(credentials)
                .forcePathStyle(settings.pathStyle())
                .httpClientBuilder(ApacheHttpClient.builder()
                        .connectionTimeout(CONNECT_TIMEOUT)
                        .socketTimeout(SOCKET_TIMEOUT));
        if (settings.endpoint() != null) {
            builder.endpointOverride(settings.endpoint());
        }
        return new S3ObjectStore(builder.build(), settings);
    }

    public String bucket() {
        return settings.bucket();
    }

    /** The client, for the routes' aws2-s3 step ({@code amazonS3Client=#s3Client}); this store closes it. */
    public S3Client client() {
        return client;
    }

    /**
     * Writes {@code body} under {@code key} unless the key exists ({@code If-None-Match: *}), so a
     * replayed object is recognised instead of written twice (DESIGN §7). Storage class STANDARD and the
     * configured server-side encryption are sent as fluent-plugin-s3 does.
     *
     * @throws OutputUnavailableException S3 cannot answer now, or a concurrent conditional write to the
     *     same key is in progress (409): retry
     * @throws S3RefusedException the request can never succeed with this configuration
     */
    @Override
    public PutOutcome putIfAbsent(String key, byte[] gzipBody) {
        return putIfAbsent(key, gzipBody, GZIP_CONTENT_TYPE);
    }

    public PutOutcome putIfAbsent(String key, byte[] body, String contentType) {
        PutObjectRequest.Builder put = PutObjectRequest.builder().bucket(settings.bucket()).key(key)
                .contentType(contentType).contentLength((long) body.length)
                .storageClass(StorageClass.STANDARD).ifNoneMatch("*");
        if ("AES256".equals(settings.sse())) {
            put.serverSideEncryption(ServerSideEncryption.AES256);
        } else if ("aws:kms".equals(settings.sse())) {
            put.serverSideEncryption(ServerSideEncryption.AWS_KMS).ssekmsKeyId(settings.sseKmsKeyId());
        }
        try {
            client.putObject(put.build(), RequestBody.fromBytes(body));
            LOG.debug("put {} ({} bytes): created", key, body.length);
            return PutOutcome.CREATED;
        } catch (AwsServiceException e) {
            if (e.statusCode() == 412) {
                LOG.debug("put {}: key already taken", key);
                return PutOutcome.ALREADY_EXISTS;
            }
            throw translate(e, "write", key);
        } catch (SdkException e) {
            throw translate(e, "write", key);
        }
    }

    @Override
    public Optional<byte[]> get(String key) {
        try {
            return Optional.of(client.getObjectAsBytes(GetObjectRequest.builder()
                    .bucket(settings.bucket()).key(key).build()).asByteArray());
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (SdkException e) {
            throw translate(e, "read", key);
        }
    }

    /**
     * Checks at start that the bucket exists and the credentials may list it (as fluent-plugin-s3's
     * {@code check_apikey_on_start}: one key under {@code prefix}). Creates nothing.
     *
     * @throws S3RefusedException the bucket or the credentials are wrong
     * @throws OutputUnavailableException S3 cannot be reached now
     */
    public void checkBucket(String prefix) {
        try {
            client.listObjectsV2(ListObjectsV2Request.builder().bucket(settings.bucket()).prefix(prefix).maxKeys(1).build());
        } catch (SdkException e) {
            throw translate(e, "list", prefix + "*");
        }
    }

    /** Every key that starts with {@code prefix}, in S3's (lexicographic) order. */
    List<String> list(String prefix) {
        try {
            List<String> keys = new ArrayList<>();
            for (S3Object object : client.listObjectsV2Paginator(ListObjectsV2Request.builder()
                    .bucket(settings.bucket()).prefix(prefix).build()).contents()) {
                keys.add(object.key());
            }
            return keys;
        } catch (SdkException e) {
            throw translate(e, "list", prefix + "*");
        }
    }

    @Override
    public void close() {
        client.close();
    }

    /**
     * Sorts S3's answers into "wait and retry" ({@link OutputUnavailableException}: no answer, 5xx,
     * throttling, conflicts) and "fix the configuration" ({@link S3RefusedException}: everything else).
     */
    private RuntimeException translate(SdkException e, String operation, String key) {
        String bucket = "bucket \"" + settings.bucket() + "\"";
        if (e instanceof AwsServiceException service) {
            int status = service.statusCode();
            String code = service.awsErrorDetails() == null ? null : service.awsErrorDetails().errorCode();
            if (status >= 500 || status == 429 || service.isThrottlingException() || RETRYABLE_CODES.contains(code)) {
                return new OutputUnavailableException("S3 answered " + describe(code, status) + " to " + operation
                        + " \"" + key + "\" in " + bucket + "; will retry", e);
            }
            String setting = "forward.s3";
            String problem;
            if ("NoSuchBucket".equals(code)) {
                setting = "forward.s3.bucket";
                problem = bucket + " does not exist (" + where() + ")";
            } else if ("InvalidBucketName".equals(code)) {
                setting = "forward.s3.bucket";
                problem = "\"" + settings.bucket() + "\" is not a valid bucket name";
            } else if (REGION_CODES.contains(code) || status == 301) {
                setting = "forward.s3.region";
                problem = bucket + " is not in region " + settings.region();
            } else if (CREDENTIAL_CODES.contains(code)) {
                problem = "S3 does not accept the credentials (" + code + ") for " + bucket + "; check the access "
                        + "key id and secret key, or the AWS default credential chain";
            } else if (code != null && code.startsWith("KMS.")) {
                setting = "forward.s3.sse-kms-key-id";
                problem = "S3 cannot use the KMS key for " + bucket + " (" + code + ")";
            } else if ("AccessDenied".equals(code) || status == 403) {
                problem = "access denied to " + operation + " \"" + key + "\" in " + bucket
                        + "; the credentials need s3:PutObject, s3:GetObject and s3:ListBucket";
            } else {
                problem = "S3 refused to " + operation + " \"" + key + "\" in " + bucket + ": " + describe(code, status);
            }
            return new S3RefusedException(setting + ": " + problem, e);
        }
        if (e instanceof SdkClientException && String.valueOf(e.getMessage()).startsWith("Unable to load credentials")) {
            return new S3RefusedException("forward.s3: no AWS credentials found for " + bucket
                    + "; give static keys or set up the AWS default credential chain", e);
        }
        return new OutputUnavailableException("S3 (" + where() + ") is unreachable to " + operation + " \"" + key
                + "\" in " + bucket + ": " + firstLine(e.getMessage()) + "; will retry", e);
    }

    private String where() {
        return "region " + settings.region() + (settings.endpoint() == null ? "" : ", endpoint " + settings.endpoint());
    }

    private static String describe(String code, int status) {
        return (code == null ? "" : code + " ") + "(HTTP " + status + ")";
    }

    private static String firstLine(String message) {
        String text = Objects.requireNonNullElse(message, "no answer");
        int end = text.indexOf('\n');
        return end < 0 ? text : text.substring(0, end);
    }

    private static boolean isBlank(String value) {
        return value == null || value.isBlank();
    }
}
