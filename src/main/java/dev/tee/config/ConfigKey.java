package dev.tee.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** Every configuration key once, with its type, default, doc and the Go handler's flag and env names. */
public enum ConfigKey {

    // Parsing, validation, --help and the README table all read this table.
    // Names are the Go handler's TOML keys flattened with dots; flags and FDFWD_/FDWRD_ variables
    // are the ones its code (cli.go) and docs use, misspellings included, so configs migrate as is.

    STORAGE("storage", ValueType.path(), "./storage", List.of("storage"), List.of("FDFWD_STORAGE"),
            "Directory for cursors, de-duplication state and dead letters; one per exporter."),
    BATCH("batch", ValueType.integer(1, 10_000), "20", List.of("batch"), List.of("FDFWD_BATCH"),
            "The most events sent in one Fluentd POST (the Go handler also read pages of this size: see page-size)."),
    TIMEOUT("timeout", ValueType.duration(), "5s", List.of("timeout"), List.of("FDFWD_TIMEOUT"),
            "How long the search read path waits before polling again once it has caught up."),
    PAGE_SIZE("page-size", ValueType.integer(1, 10_000), "500", List.of(), List.of(),
            "Events asked for per page of Teleport's search API (Teleport's own default; at most 10000); the Go handler asked for `batch`."),
    BATCHES_IN_FLIGHT("batches-in-flight", ValueType.integer(1, 64), "4", List.of(), List.of(),
            "Batches sent to Fluentd at the same time; a crash can repeat at most this many batches in Fluentd (1: one at a time)."),
    BATCH_TIMEOUT("batch-timeout", ValueType.positiveDuration(), "500ms", List.of(), List.of(),
            "How long a batch that is not full waits for more events before it is sent anyway."),
    RETRY_DELAY("retry-delay", ValueType.positiveDuration(), "500ms", List.of(), List.of(),
            "First pause before a failed send to the output is tried again; it doubles, with jitter, up to retry-max-delay."),
    RETRY_MAX_DELAY("retry-max-delay", ValueType.positiveDuration(), "30s", List.of(), List.of(),
            "Longest pause between attempts while the output fails; the attempts themselves never stop."),
    CONCURRENCY("concurrency", ValueType.integer(1, 10_000), "5", List.of("concurrency"),
            List.of("FDFWD_CONCURRENCY"),
            "Session recordings exported in parallel; also sets parallel export chunks and Fluentd connections."),
    WINDOW_SIZE("window-size", ValueType.positiveDuration(), "24h", List.of("window-size"),
            List.of("FDFWD_WINDOW_SIZE"),
            "Length of the time window the search read path asks Teleport for at once."),
    TYPES("types", ValueType.list(), "", List.of("types"), List.of("FDFWD_TYPES"),
            "Audit event types to export (exact names, comma-separated); empty exports every type."),
    SKIP_EVENT_TYPES("skip-event-types", ValueType.list(), "", List.of("skip-event-types"),
            List.of("FDFWD_SKIP_EVENT_TYPES"),
            "Audit event types never exported (exact names, comma-separated)."),
    SKIP_SESSION_TYPES("skip-session-types", ValueType.list(), "print,desktop.recording",
            List.of("skip-session-types"), List.of("FDFWD_SKIP_SESSION_TYPES"),
            "Session recording event types not exported; set it empty to export raw terminal and desktop data."),
    START_TIME("start-time", ValueType.time(), null, List.of("start-time"), List.of("FDFWD_START_TIME"),
            "Export events from this time on (whole seconds; default: now); fixed once state exists."),
    DRY_RUN("dry-run", ValueType.bool(), "false", List.of("dry-run"), List.of("FDFWD_DRY_RUN"),
            "Read events from Teleport but send nothing and lock nobody, with separate state."),
    EXIT_ON_LAST_EVENT("exit-on-last-event", ValueType.bool(), "false", List.of("exit-on-last-event"),
            List.of("FDFWD_EXIT_ON_LAST_EVENT"),
            "Stop once every event up to now has been exported, instead of waiting for new ones."),
    DEBUG("debug", ValueType.bool(), "false", List.of("debug", "teleport-debug"), List.of("FDFWD_DEBUG"),
            "Log at DEBUG level, including every event sent."),

    TELEPORT_ADDR("teleport.addr", ValueType.string(), "localhost:3025", List.of("teleport-addr"),
            List.of("FDFWD_TELEPORT_ADDR"),
            "host:port of the Teleport Auth Service or of a Proxy with TLS routing, on any port: both dials are raced."),
    TELEPORT_IDENTITY("teleport.identity", ValueType.file(), null, List.of("teleport-identity"),
            List.of("FDFWD_TELEPORT_IDENTITY"),
            "Identity file from tctl auth sign or tbot; the alternative to teleport.ca, .cert and .key."),
    TELEPORT_REFRESH_ENABLED("teleport.refresh.enabled", ValueType.bool(), "false",
            List.of("teleport-refresh-enabled"), List.of("FDFWD_TELEPORT_REFRESH_ENABLED"),
            "Re-read the identity file every teleport.refresh.interval, for identities that tbot renews."),
    TELEPORT_REFRESH_INTERVAL("teleport.refresh.interval", ValueType.positiveDuration(), "1m",
            List.of("teleport-refresh-interval"), List.of("FDFWD_TELEPORT_REFRESH_INTERVAL"),
            "How often the identity file is re-read when teleport.refresh.enabled is true."),
    TELEPORT_CA("teleport.ca", ValueType.file(), null, List.of("teleport-ca"), List.of("FDFWD_TELEPORT_CA"),
            "PEM CA certificate that verifies Teleport; given with teleport.cert and teleport.key."),
    TELEPORT_CERT("teleport.cert", ValueType.file(), null, List.of("teleport-cert"),
            List.of("FDWRD_TELEPORT_CERT", "FDFWD_TELEPORT_CERT"),
            "PEM client certificate for Teleport; given with teleport.ca and teleport.key."),
    TELEPORT_KEY("teleport.key", ValueType.file(), null, List.of("teleport-key"), List.of("FDFWD_TELEPORT_KEY"),
            "PEM private key of teleport.cert; given with teleport.ca and teleport.cert."),
    TELEPORT_CLUSTER_NAME("teleport.cluster-name", ValueType.string(), null, List.of(), List.of(),
            "Cluster to route to through a Proxy; default: the one the identity's certificate names, else /webapi/find."),

    OUTPUT("output", ValueType.oneOf("fluentd", "s3", "file"), "fluentd", List.of(), List.of(),
            "Where events go: fluentd (HTTPS with mTLS), s3 (Panther's layout) or file (the same layout on disk)."),

    FORWARD_FLUENTD_URL("forward.fluentd.url", ValueType.url(), null, List.of("fluentd-url"),
            List.of("FDFWD_FLUENTD_URL"),
            "Fluentd endpoint for audit events, e.g. https://localhost:8888/events.log; required with output=fluentd."),
    FORWARD_FLUENTD_SESSION_URL("forward.fluentd.session-url", ValueType.url(), null,
            List.of("fluentd-session-url"), List.of("FDFWD_FLUENTD_SESSION_URL"),
            "Base URL for session recordings, .<session-id>.log is appended; required with output=fluentd."),
    FORWARD_FLUENTD_CA("forward.fluentd.ca", ValueType.file(), null, List.of("fluentd-ca"),
            List.of("FDWRD_FLUENTD_CA", "FDFWD_FLUENTD_CA"),
            "PEM CA certificate that verifies Fluentd; default: the system's trusted roots."),
    FORWARD_FLUENTD_CERT("forward.fluentd.cert", ValueType.file(), null, List.of("fluentd-cert"),
            List.of("FDWRD_FLUENTD_CERT", "FDFWD_FLUENTD_CERT"),
            "PEM client certificate presented to Fluentd; given with forward.fluentd.key."),
    FORWARD_FLUENTD_KEY("forward.fluentd.key", ValueType.file(), null, List.of("fluentd-key"),
            List.of("FDWRD_FLUENTD_KEY", "FDFWD_FLUENTD_KEY"),
            "PEM private key of forward.fluentd.cert, plain or encrypted (see key-passphrase)."),
    FORWARD_FLUENTD_KEY_PASSPHRASE("forward.fluentd.key-passphrase", ValueType.secret(), null, List.of(),
            List.of(),
            "Passphrase of an encrypted forward.fluentd.key; best given in the environment."),
    FORWARD_FLUENTD_MAX_CONNECTIONS("forward.fluentd.max-connections", ValueType.integer(Integer.MIN_VALUE,
            Integer.MAX_VALUE), "0", List.of("fluentd-max-connections"),
            List.of("FDWRD_MAX_CONNECTIONS", "FDFWD_MAX_CONNECTIONS"),
            "Most connections and requests in flight to Fluentd; below 1 means 2 x concurrency."),
    FORWARD_FLUENTD_BATCH_MODE("forward.fluentd.batch-mode", ValueType.oneOf("batch", "single"), "batch",
            List.of(), List.of(),
            "batch POSTs a JSON array of up to batch events; single POSTs one event per request, for old Fluentd."),

    FORWARD_S3_BUCKET("forward.s3.bucket", ValueType.string(), null, List.of(), List.of(),
            "S3 bucket that receives the objects; required with output=s3."),
    FORWARD_S3_REGION("forward.s3.region", ValueType.string(), null, List.of(), List.of(),
            "AWS region of the bucket; default: from the AWS default provider chain."),
    FORWARD_S3_PREFIX("forward.s3.prefix", ValueType.string(), "teleport/logs", List.of(), List.of(),
            "Start of audit object keys; the minute stamp follows with no slash, as Fluentd's S3 output writes."),
    FORWARD_S3_SESSION_PREFIX("forward.s3.session-prefix", ValueType.string(), "teleport/sessions/",
            List.of(), List.of(),
            "Start of session recording object keys, kept apart from the audit events Panther ingests."),
    FORWARD_S3_ENDPOINT("forward.s3.endpoint", ValueType.url(), null, List.of(), List.of(),
            "Endpoint of an S3-compatible server (MinIO, S3Proxy); default: AWS S3."),
    FORWARD_S3_PATH_STYLE("forward.s3.path-style", ValueType.bool(), "false", List.of(), List.of(),
            "Address the bucket in the URL path instead of the host name, as most S3-compatible servers need."),
    FORWARD_S3_SSE("forward.s3.sse", ValueType.oneOf("none", "AES256", "aws:kms"), "none", List.of(), List.of(),
            "Server-side encryption asked for on every object."),
    FORWARD_S3_SSE_KMS_KEY_ID("forward.s3.sse-kms-key-id", ValueType.string(), null, List.of(), List.of(),
            "KMS key for forward.s3.sse=aws:kms; default: the bucket's AWS managed key."),
    FORWARD_S3_ACCESS_KEY_ID("forward.s3.access-key-id", ValueType.string(), null, List.of(), List.of(),
            "AWS access key id, with forward.s3.secret-access-key; default: the AWS default provider chain."),
    FORWARD_S3_SECRET_ACCESS_KEY("forward.s3.secret-access-key", ValueType.secret(), null, List.of(), List.of(),
            "AWS secret access key of forward.s3.access-key-id; best given in the environment."),
    FORWARD_S3_FLUSH_DELAY("forward.s3.flush-delay", ValueType.positiveDuration(), "5s", List.of(), List.of(),
            "With output s3 or file, how long the source must be quiet before a past minute's object is written."),

    FORWARD_FILE_DIR("forward.file.dir", ValueType.path(), null, List.of(), List.of(),
            "Directory that receives the S3 layout as local files; required with output=file."),

    LOCK_ENABLED("lock-enabled", ValueType.bool(), "false", List.of("lock-enabled"),
            List.of("FDFWD_LOCKING_ENABLED"),
            "Lock a login in Teleport after lock-failed-attempts-count failed logins within lock-period."),
    LOCK_FAILED_ATTEMPTS_COUNT("lock-failed-attempts-count", ValueType.integer(1, Integer.MAX_VALUE), "3",
            List.of("lock-failed-attempts-count"), List.of("FDFWD_LOCKING_FAILED_ATTEMPTS"),
            "Failed logins within lock-period that lock the login."),
    LOCK_PERIOD("lock-period", ValueType.positiveDuration(), "1m", List.of("lock-period"),
            List.of("FDFWD_LOCKING_PERIOD"),
            "Time window in which failed logins are counted."),
    LOCK_FOR("lock-for", ValueType.duration(), "0", List.of("lock-for"), List.of("FDFWD_LOCKING_FOR"),
            "How long a lock lasts; 0 means it never expires."),

    MANAGEMENT_HOST("management.host", ValueType.string(), "127.0.0.1", List.of(), List.of(),
            "Address the health and metrics HTTP server listens on; 0.0.0.0 for every interface (in a container)."),
    MANAGEMENT_PORT("management.port", ValueType.integer(0, 65_535), "8089", List.of(), List.of(),
            "Port of the HTTP server with /observe/health and /observe/metrics (Prometheus); 0 turns it off."),
    JMX("jmx", ValueType.bool(), "true", List.of(), List.of(),
            "Expose Camel's routes and the exporter's counters as JMX MBeans, to local JMX clients."),
    HEALTH_UNREACHABLE_AFTER("health.unreachable-after", ValueType.positiveDuration(), "5m", List.of(), List.of(),
            "Health turns DOWN once Teleport, or the output, has been failing for this long."),
    HEALTH_MAX_LAG("health.max-lag", ValueType.duration(), "0", List.of(), List.of(),
            "Health turns DOWN while the export is further behind than this (lag, see README); 0 turns the check off."),
    PROGRESS_INTERVAL("progress.interval", ValueType.duration(), "1m", List.of(), List.of(),
            "How often a progress line (events per minute, lag, position, retries) is logged; 0 turns it off.");

    /** Keys with this prefix go to Camel unchanged; we neither know nor check them. */
    public static final String CAMEL_PREFIX = "camel.";

    /** Prefix of the environment variable every key can be set with: FDFWD_ + key, "." and "-" as "_". */
    public static final String ENV_PREFIX = "FDFWD_";

    private static final Map<String, ConfigKey> BY_NAME = new LinkedHashMap<>();

    static {
        for (ConfigKey k : values()) {
            BY_NAME.put(k.key, k);
        }
    }

    private final String key;
    private final ValueType type;
    private final String defaultValue;
    private final List<String> goFlags;
    private final List<String> env;
    private final String doc;

    ConfigKey(String key, ValueType type, String defaultValue, List<String> goFlags, List<String> goEnv,
              String doc) {
        this.key = key;
        this.type = type;
        this.defaultValue = defaultValue;
        this.goFlags = goFlags;
        this.doc = doc;
        List<String> names = new ArrayList<>(goEnv);
        String derived = ENV_PREFIX + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
        if (!names.contains(derived)) {
            names.add(derived);
        }
        this.env = Collections.unmodifiableList(names);
    }

    /** The key as written in application.properties, e.g. "forward.fluentd.url". */
    public String key() {
        return key;
    }

    public ValueType type() {
        return type;
    }

    /** The default as text in the key's own syntax; empty when the key has none. */
    public Optional<String> defaultValue() {
        return Optional.ofNullable(defaultValue);
    }

    /** The Go handler's flag names without dashes (e.g. "fluentd-url"); empty for keys of ours. */
    public List<String> goFlags() {
        return goFlags;
    }

    /** The command-line flags that set this key: --key, then the Go handler's names. */
    public List<String> flagNames() {
        List<String> flags = new ArrayList<>();
        flags.add("--" + key);
        for (String goFlag : goFlags) {
            if (!goFlag.equals(key)) {
                flags.add("--" + goFlag);
            }
        }
        if (this == DEBUG) {
            // The Go handler's short form of --debug.
            flags.add("-d");
        }
        return flags;
    }

    /** Environment variables read for this key: the Go handler's names first, then FDFWD_ + key. */
    public List<String> env() {
        return env;
    }

    /** One sentence for --help and the README. */
    public String doc() {
        return doc;
    }

    public boolean isSecret() {
        return type.kind() == ValueType.Kind.SECRET;
    }

    /**
     * The key a config-file entry means. Besides the key itself this accepts what the Go handler's
     * TOML resolver accepts: the flag name with each "-" read as a nested table ("[lock] enabled"
     * for lock-enabled, "[teleport] debug" for the old teleport-debug) and the flat flag name.
     */
    public static Optional<ConfigKey> byFileKey(String name) {
        ConfigKey exact = BY_NAME.get(name);
        if (exact != null) {
            return Optional.of(exact);
        }
        for (ConfigKey k : values()) {
            if (k.fileAliases().contains(name)) {
                return Optional.of(k);
            }
        }
        return Optional.empty();
    }

    List<String> fileAliases() {
        List<String> aliases = new ArrayList<>();
        aliases.add(key.replace('-', '.'));
        for (String flag : goFlags) {
            aliases.add(flag);
            aliases.add(flag.replace('-', '.'));
        }
        aliases.remove(key);
        return aliases;
    }

    /**
     * The known key closest to a misspelt one, for "did you mean" hints; empty when nothing is
     * close. A key that ends with the given name wins ("fluentd.url" -> "forward.fluentd.url").
     */
    public static Optional<String> closest(String name) {
        return Suggestions.closest(name, BY_NAME.keySet());
    }
}
