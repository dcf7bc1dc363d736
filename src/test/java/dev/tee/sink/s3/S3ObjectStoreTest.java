package dev.tee.sink.s3;

import static dev.tee.sink.s3.S3ObjectStore.GZIP_CONTENT_TYPE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Instant;

import dev.tee.config.ConfigException;
import dev.tee.sink.OutputUnavailableException;
import dev.tee.sink.s3.ObjectStore.PutOutcome;
import dev.tee.sink.s3.S3ObjectStore.Settings;
import dev.tee.sink.s3.S3ObjectStore.StaticKeys;
import dev.tee.testing.S3ProxyServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;

/** The store against a real S3 server (S3Proxy) on 127.0.0.1. */
class S3ObjectStoreTest {

    private static final String BUCKET = "panther-test";

    private static S3ProxyServer s3;

    @BeforeAll
    static void startS3() {
        s3 = S3ProxyServer.start();
        s3.createBucket(BUCKET);
    }

    @AfterAll
    static void stopS3() {
        s3.close();
    }

    @Test
    void writesAKeyOnceAndRecognisesItWhenReplayed() {
        MinuteObject object = object("a", "b");
        MinuteObject replay = object("a", "b", "c");
        String key = "teleport/logs20261123172200_0.gz";
        try (S3ObjectStore store = S3ObjectStore.open(s3.settings(BUCKET))) {
            assertThat(store.putIfAbsent(key, object.gzip(), GZIP_CONTENT_TYPE)).isEqualTo(PutOutcome.CREATED);
            assertThat(store.putIfAbsent(key, replay.gzip(), GZIP_CONTENT_TYPE)).isEqualTo(PutOutcome.ALREADY_EXISTS);

            byte[] stored = store.get(key).orElseThrow();
            assertThat(stored).isEqualTo(object.gzip());
            assertThat(MinuteObject.lines(stored)).hasSize(2).allSatisfy(line -> assertThat(line).startsWith("{"));
        }
        // read with the plain SDK: exact bytes, gzip Content-Type and no Content-Encoding, as out_s3 writes
        ResponseBytes<GetObjectResponse> read = s3.client().getObjectAsBytes(b -> b.bucket(BUCKET).key(key));
        assertThat(read.response().contentType()).isEqualTo("application/x-gzip");
        assertThat(read.response().contentEncoding()).isNull();
        assertThat(TestEvents.gunzipLines(read.asByteArray())).containsExactly(
                "{\"event\":\"e\",\"uid\":\"a\",\"time\":\"2026-11-23T17:22:10Z\"}",
                "{\"event\":\"e\",\"uid\":\"b\",\"time\":\"2026-11-23T17:22:10Z\"}");
    }

    @Test
    void listsTheKeysOfAMinuteAndReadsAMissingKeyAsEmpty() {
        try (S3ObjectStore store = S3ObjectStore.open(s3.settings(BUCKET))) {
            Instant minute = Instant.parse("2026-11-23T18:00:00Z");
            for (int index : new int[] {0, 1, 10}) {
                store.putIfAbsent(PantherObjectKey.of("list/", minute, index).key(), object("x").gzip(), GZIP_CONTENT_TYPE);
            }
            store.putIfAbsent(PantherObjectKey.of("list/", minute.plusSeconds(60), 0).key(), object("y").gzip(),
                    GZIP_CONTENT_TYPE);

            assertThat(store.list(PantherObjectKey.minutePrefix("list/", minute))).containsExactly(
                    "list/20261123180000_0.gz", "list/20261123180000_1.gz", "list/20261123180000_10.gz");
            assertThat(store.list("list/")).hasSize(4);
            assertThat(store.list("nothing/")).isEmpty();
            assertThat(store.get("list/20261123180000_2.gz")).isEmpty();
        }
    }

    @Test
    void sendsServerSideEncryption() {
        Settings plain = s3.settings(BUCKET);
        Settings aes = new Settings(BUCKET, plain.region(), plain.endpoint(), true, plain.keys(), "AES256", null);
        String key = "sse/20261123172200_0.gz";
        try (S3ObjectStore store = S3ObjectStore.open(aes)) {
            assertThat(store.putIfAbsent(key, object("a").gzip(), GZIP_CONTENT_TYPE)).isEqualTo(PutOutcome.CREATED);
        }
        HeadObjectResponse head = s3.client().headObject(b -> b.bucket(BUCKET).key(key));
        assertThat(head.serverSideEncryption()).isEqualTo(ServerSideEncryption.AES256);
    }

    @Test
    void namesTheBucketWhenItDoesNotExist() {
        String expected = "forward.s3.bucket: bucket \"no-such-bucket\" does not exist (region us-east-1, endpoint "
                + s3.endpoint() + ")";
        try (S3ObjectStore store = S3ObjectStore.open(s3.settings("no-such-bucket"))) {
            assertThatThrownBy(() -> store.putIfAbsent("k.gz", object("a").gzip(), GZIP_CONTENT_TYPE))
                    .isInstanceOf(S3RefusedException.class).isInstanceOf(ConfigException.class).hasMessage(expected);
            assertThatThrownBy(() -> store.get("k.gz")).isInstanceOf(S3RefusedException.class).hasMessage(expected);
            assertThatThrownBy(() -> store.list("k")).isInstanceOf(S3RefusedException.class).hasMessage(expected);
        }
    }

    @Test
    void namesTheCredentialsWhenS3RefusesThemAndNeverTheSecret() {
        Settings good = s3.settings(BUCKET);
        Settings wrongSecret = new Settings(BUCKET, good.region(), good.endpoint(), true,
                new StaticKeys(S3ProxyServer.ACCESS_KEY, "wrong-secret-value"), null, null);
        try (S3ObjectStore store = S3ObjectStore.open(wrongSecret)) {
            assertThatThrownBy(() -> store.putIfAbsent("k.gz", object("a").gzip(), GZIP_CONTENT_TYPE))
                    .isInstanceOf(S3RefusedException.class)
                    .hasMessage("forward.s3: S3 does not accept the credentials (SignatureDoesNotMatch) for bucket "
                            + "\"panther-test\"; check the access key id and secret key, or the AWS default credential chain")
                    .hasMessageNotContaining("wrong-secret-value");
        }
        Settings wrongKey = new Settings(BUCKET, good.region(), good.endpoint(), true,
                new StaticKeys("unknown-key", S3ProxyServer.SECRET_KEY), null, null);
        try (S3ObjectStore store = S3ObjectStore.open(wrongKey)) {
            assertThatThrownBy(() -> store.list(""))
                    .isInstanceOf(S3RefusedException.class)
                    .hasMessage("forward.s3: S3 does not accept the credentials (InvalidAccessKeyId) for bucket "
                            + "\"panther-test\"; check the access key id and secret key, or the AWS default credential chain")
                    .hasMessageNotContaining(S3ProxyServer.SECRET_KEY);
        }
    }

    @Test
    void waitsOutAServerThatIsDown() {
        S3ProxyServer down = S3ProxyServer.start();
        try {
            down.createBucket(BUCKET);
            try (S3ObjectStore store = S3ObjectStore.open(down.settings(BUCKET))) {
                down.stop();
                assertThatThrownBy(() -> store.putIfAbsent("k.gz", object("a").gzip(), GZIP_CONTENT_TYPE))
                        .isInstanceOf(OutputUnavailableException.class)
                        .hasMessageStartingWith("S3 (region us-east-1, endpoint " + down.endpoint()
                                + ") is unreachable to write \"k.gz\" in bucket \"panther-test\": ");
                assertThatThrownBy(() -> store.list("")).isInstanceOf(OutputUnavailableException.class);

                down.restart();
                assertThat(store.putIfAbsent("k.gz", object("a").gzip(), GZIP_CONTENT_TYPE)).isEqualTo(PutOutcome.CREATED);
            }
        } finally {
            down.close();
        }
    }

    @Test
    void checksItsSettings() {
        URI endpoint = URI.create("http://127.0.0.1:1");
        assertThatThrownBy(() -> new Settings(" ", "us-east-1", null, false, null, null, null))
                .isInstanceOf(ConfigException.class).hasMessage("forward.s3.bucket: must be set");
        assertThatThrownBy(() -> new Settings("b-1", "", null, false, null, null, null))
                .hasMessage("forward.s3.region: must be set");
        assertThatThrownBy(() -> new Settings("b-1", "us-east-1", URI.create("ftp://x"), false, null, null, null))
                .hasMessage("forward.s3.endpoint: \"ftp://x\" is not an http or https URL");
        assertThatThrownBy(() -> new Settings("b-1", "us-east-1", endpoint, true, null, "aes256", null))
                .hasMessage("forward.s3.sse: \"aes256\" is not one of AES256, aws:kms");
        assertThatThrownBy(() -> new Settings("b-1", "us-east-1", endpoint, true, null, "AES256", "key-1"))
                .hasMessage("forward.s3.sse-kms-key-id: needs forward.s3.sse=aws:kms");
        assertThat(new Settings("b-1", "us-east-1", null, false, null, "aws:kms", "key-1").sseKmsKeyId()).isEqualTo("key-1");
        assertThatThrownBy(() -> new StaticKeys("id", ""))
                .hasMessage("forward.s3: static credentials need both an access key id and a secret key");
        assertThat(new StaticKeys("AKIDEXAMPLE", "s3cr3t").toString()).isEqualTo("StaticKeys[accessKeyId=AKIDEXAMPLE, secretAccessKey=****]");
        assertThat(new Settings("b-1", "us-east-1", null, false, new StaticKeys("id", "s3cr3t"), null, null).toString())
                .doesNotContain("s3cr3t");
    }

    private static MinuteObject object(String... uids) {
        MinuteObject object = new MinuteObject(Instant.parse("2026-11-23T17:22:00Z"), MinuteObject.DEFAULT_MAX_BYTES);
        for (String uid : uids) {
            object.add(PantherLine.of(TestEvents.event("{\"event\":\"e\",\"uid\":\"" + uid
                    + "\",\"time\":\"2026-11-23T17:22:10Z\"}"), Instant.EPOCH));
        }
        return object;
    }

}
