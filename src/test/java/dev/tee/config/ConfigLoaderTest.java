package dev.tee.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    @TempDir
    Path dir;

    private final Map<String, String> env = new HashMap<>();

    @BeforeEach
    void credentials() throws IOException {
        for (String name : List.of("identity", "ca.crt", "client.crt", "client.key")) {
            Files.writeString(dir.resolve(name), "placeholder");
        }
    }

    /** The TOML that Teleport's "configure" writes (tpl/teleport-event-handler.toml.tpl), filled in. */
    private String generatedToml() {
        return "storage = \"./storage\"\n"
                + "timeout = \"10s\"\n"
                + "batch = 20\n"
                + "\n"
                + "[forward.fluentd]\n"
                + "ca = \"" + dir.resolve("ca.crt") + "\"\n"
                + "cert = \"" + dir.resolve("client.crt") + "\"\n"
                + "key = \"" + dir.resolve("client.key") + "\"\n"
                + "url = \"https://localhost:8888/events.log\"\n"
                + "# Note: .<session-id>.log is appended to session-url for each session recording.\n"
                + "# Ensure your log collector's tag matching accounts for this (e.g., session.* in Fluentd/Fluent Bit).\n"
                + "session-url = \"https://localhost:8888/session\"\n"
                + "\n"
                + "[teleport]\n"
                + "addr = \"teleport.example.com:443\"\n"
                + "identity = \"identity\"\n"
                + "refresh.enabled = true\n";
    }

    @Test
    void loadsTheTomlThatTeleportsConfigureWritesUnchanged() throws IOException {
        Path toml = write("teleport-event-handler.toml", generatedToml());

        ExporterConfig config = new ConfigLoader(env).configFile(toml).load();

        assertThat(config.path(ConfigKey.STORAGE)).isEqualTo(dir.resolve("storage"));
        assertThat(config.duration(ConfigKey.TIMEOUT)).isEqualTo(Duration.ofSeconds(10));
        assertThat(config.integer(ConfigKey.BATCH)).isEqualTo(20);
        assertThat(config.path(ConfigKey.FORWARD_FLUENTD_CA)).isEqualTo(dir.resolve("ca.crt"));
        assertThat(config.path(ConfigKey.FORWARD_FLUENTD_CERT)).isEqualTo(dir.resolve("client.crt"));
        assertThat(config.path(ConfigKey.FORWARD_FLUENTD_KEY)).isEqualTo(dir.resolve("client.key"));
        assertThat(config.url(ConfigKey.FORWARD_FLUENTD_URL)).isEqualTo(URI.create("https://localhost:8888/events.log"));
        assertThat(config.string(ConfigKey.FORWARD_FLUENTD_SESSION_URL)).isEqualTo("https://localhost:8888/session");
        assertThat(config.string(ConfigKey.TELEPORT_ADDR)).isEqualTo("teleport.example.com:443");
        assertThat(config.path(ConfigKey.TELEPORT_IDENTITY)).isEqualTo(dir.resolve("identity"));
        assertThat(config.bool(ConfigKey.TELEPORT_REFRESH_ENABLED)).isTrue();
        assertThat(config.configFile()).contains(toml);
        assertThat(config.warnings()).isEmpty();
        // and what the file leaves out keeps the Go handler's defaults
        assertThat(config.duration(ConfigKey.TELEPORT_REFRESH_INTERVAL)).isEqualTo(Duration.ofMinutes(1));
        assertThat(config.duration(ConfigKey.WINDOW_SIZE)).isEqualTo(Duration.ofHours(24));
        assertThat(config.integer(ConfigKey.CONCURRENCY)).isEqualTo(5);
        assertThat(config.integer(ConfigKey.FORWARD_FLUENTD_MAX_CONNECTIONS)).isEqualTo(10);
        assertThat(config.list(ConfigKey.TYPES)).isEmpty();
        assertThat(config.list(ConfigKey.SKIP_SESSION_TYPES)).containsExactly("print", "desktop.recording");
        assertThat(config.startTime()).isEmpty();
        assertThat(config.string(ConfigKey.OUTPUT)).isEqualTo("fluentd");
        assertThat(config.bool(ConfigKey.DRY_RUN)).isFalse();
        assertThat(config.duration(ConfigKey.LOCK_FOR)).isZero();
        assertThat(config.optionalString(ConfigKey.TELEPORT_CLUSTER_NAME)).isEmpty();
    }

    @Test
    void loadsTheGoHandlersOwnTestConfigWithRefreshInterval() throws IOException {
        Path toml = write("config.toml", "storage = \"./storage\" # Plugin will save its state here\n"
                + "timeout = \"10s\"\nbatch = 20\n\n[forward.fluentd]\ncert = \"client.crt\"\nkey = \"client.key\"\n"
                + "ca = \"ca.crt\"\nurl = \"https://localhost:8888/test.log\"\n"
                + "session-url = \"https://localhost:8888/session\"\n\n[teleport]\naddr = \"localhost:3025\"\n"
                + "identity = \"identity\"\nrefresh.enabled = true\nrefresh.interval = \"2m\"");

        ExporterConfig config = new ConfigLoader(env).configFile(toml).load();

        assertThat(config.duration(ConfigKey.TELEPORT_REFRESH_INTERVAL)).isEqualTo(Duration.ofMinutes(2));
        assertThat(config.path(ConfigKey.FORWARD_FLUENTD_KEY)).isEqualTo(dir.resolve("client.key"));
    }

    @Test
    void takesListsAsTomlArraysOrCommaSeparatedStrings() throws IOException {
        Path toml = write("lists.toml", minimalTomlWith("types = [\"user.login\", \"session.start\"]\n"
                + "skip-event-types = \"app.session.chunk, db.session.query\"\n"
                + "skip-session-types = []"));

        ExporterConfig config = new ConfigLoader(env).configFile(toml).load();

        assertThat(config.list(ConfigKey.TYPES)).containsExactly("user.login", "session.start");
        assertThat(config.list(ConfigKey.SKIP_EVENT_TYPES)).containsExactly("app.session.chunk", "db.session.query");
        assertThat(config.list(ConfigKey.SKIP_SESSION_TYPES)).isEmpty();
    }

    @Test
    void rejectsAnArrayForAKeyThatTakesOneValue() throws IOException {
        Path toml = write("array.toml", minimalTomlWith("timeout = [\"10s\"]"));

        assertThatThrownBy(() -> new ConfigLoader(env).configFile(toml).load())
                .isInstanceOf(ConfigException.class)
                .hasMessage("timeout: a list is not allowed here, give one value; set in " + toml);
    }

    @Test
    void ignoresNamespaceWithAWarningLikeTheGoHandler() throws IOException {
        Path toml = write("ns.toml", "namespace = \"default\"\n" + minimalToml());

        ExporterConfig config = new ConfigLoader(env).configFile(toml).load();

        assertThat(config.warnings()).containsExactly("namespace is ignored (Teleport's event handler ignores it too)");
    }

    @Test
    void acceptsLockSettingsAsFlatKeysOrAsALockTable() throws IOException {
        Path flat = write("flat.toml", minimalTomlWith(
                "lock-enabled = true\nlock-failed-attempts-count = 5\nlock-for = \"1h\""));
        Path nested = write("nested.toml", minimalToml()
                + "[lock]\nenabled = true\nfailed.attempts.count = 5\nfor = \"1h\"\n");

        for (Path toml : List.of(flat, nested)) {
            ExporterConfig config = new ConfigLoader(env).configFile(toml).load();
            assertThat(config.bool(ConfigKey.LOCK_ENABLED)).as(toml.toString()).isTrue();
            assertThat(config.integer(ConfigKey.LOCK_FAILED_ATTEMPTS_COUNT)).isEqualTo(5);
            assertThat(config.duration(ConfigKey.LOCK_FOR)).isEqualTo(Duration.ofHours(1));
        }
    }

    @Test
    void acceptsTheHelmChartsTeleportDebug() throws IOException {
        Path toml = write("helm.toml", minimalToml() + "debug = true\n");

        assertThat(new ConfigLoader(env).configFile(toml).load().bool(ConfigKey.DEBUG)).isTrue();
    }

    @Test
    void rejectsOneKeyGivenInTwoShapes() throws IOException {
        Path toml = write("twice.toml", "lock-enabled = true\n" + minimalToml() + "[lock]\nenabled = false\n");

        assertThatThrownBy(() -> new ConfigLoader(env).configFile(toml).load())
                .hasMessage("lock-enabled is set twice in " + toml
                        + " (as \"lock-enabled\" and \"lock.enabled\"); keep one");
    }

    @Test
    void quotesThePantherGuidesUnquotedPathAndSaysHowToWriteIt() throws IOException {
        // as in Teleport's Panther guide: a bare path, which TOML does not allow
        Path toml = write("handler.toml", "storage = \"./storage\"\n\n[forward.fluentd]\n"
                + "ca = /home/bob/event-handler/ca.crt\n");

        assertThatThrownBy(() -> new ConfigLoader(env).configFile(toml).load())
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("config file " + toml + ": TOML syntax error on line 4: ")
                .hasMessageEndingWith(" in `ca = /home/bob/event-handler/ca.crt`: strings are quoted in TOML, "
                        + "write ca = \"/home/bob/event-handler/ca.crt\"");
    }

    @Test
    void neverRepeatsABareSecretInATomlSyntaxError() throws IOException {
        Path toml = write("handler.toml", "[forward.fluentd]\nkey-passphrase = hunter2 is my pass\n");

        assertThatThrownBy(() -> new ConfigLoader(env).configFile(toml).load())
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("in the value of key-passphrase (not shown)")
                .message().doesNotContain("hunter2");
    }

    @Test
    void suggestsALiteralStringForAWindowsPath() {
        assertThat(ConfigFile.tomlHint("ca = C:\\keys\\ca.crt"))
                .isEqualTo(" in `ca = C:\\keys\\ca.crt`: strings are quoted in TOML, write ca = 'C:\\keys\\ca.crt'");
        assertThat(ConfigFile.tomlHint("batch = 2O")).contains("write batch = \"2O\"");
        assertThat(ConfigFile.tomlHint("batch = 20")).isEqualTo(" in `batch = 20`");
    }

    @Test
    void reportsATomlSyntaxErrorWithFileAndLine() throws IOException {
        Path toml = write("broken.toml", "storage = \"./storage\"\nbatch = \n");

        assertThatThrownBy(() -> new ConfigLoader(env).configFile(toml).load())
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("config file " + toml + ": TOML syntax error on line 2: ")
                .hasMessageNotContaining("\n");
    }

    @Test
    void readsAPropertiesFile() throws IOException {
        Path properties = write("application.properties", """
                # ours
                output = s3
                forward.s3.bucket = panther-logs
                forward.s3.path-style = true
                forward.s3.endpoint = http://127.0.0.1:9000
                teleport.identity = identity
                types = user.login,session.start
                window-size = 1h30m
                camel.main.name = exporter
                """);

        ExporterConfig config = new ConfigLoader(env).configFile(properties).load();

        assertThat(config.string(ConfigKey.OUTPUT)).isEqualTo("s3");
        assertThat(config.string(ConfigKey.FORWARD_S3_BUCKET)).isEqualTo("panther-logs");
        assertThat(config.bool(ConfigKey.FORWARD_S3_PATH_STYLE)).isTrue();
        assertThat(config.url(ConfigKey.FORWARD_S3_ENDPOINT)).isEqualTo(URI.create("http://127.0.0.1:9000"));
        assertThat(config.string(ConfigKey.FORWARD_S3_PREFIX)).isEqualTo("teleport/logs");
        assertThat(config.list(ConfigKey.TYPES)).containsExactly("user.login", "session.start");
        assertThat(config.duration(ConfigKey.WINDOW_SIZE)).isEqualTo(Duration.ofMinutes(90));
        assertThat(config.camelProperties()).containsExactly(Map.entry("camel.main.name", "exporter"));
    }

    @Test
    void recognisesTomlByContentWhateverTheFileIsCalled() throws IOException {
        Path conf = write("handler.conf", generatedToml());

        ExporterConfig config = new ConfigLoader(env).configFile(conf).load();

        assertThat(config.url(ConfigKey.FORWARD_FLUENTD_URL)).hasToString("https://localhost:8888/events.log");
    }

    @Test
    void aFlagBeatsTheEnvironment() throws IOException {
        env.put("FDFWD_BATCH", "40");

        ExporterConfig config = loader(minimalTomlWith("batch = 30")).flag(ConfigKey.BATCH, "50", "--batch").load();

        assertThat(config.integer(ConfigKey.BATCH)).isEqualTo(50);
        assertThat(config.sourceOf(ConfigKey.BATCH)).contains("option --batch");
    }

    @Test
    void theEnvironmentBeatsTheFile() throws IOException {
        env.put("FDFWD_BATCH", "40");

        ExporterConfig config = loader(minimalTomlWith("batch = 30")).load();

        assertThat(config.integer(ConfigKey.BATCH)).isEqualTo(40);
        assertThat(config.sourceOf(ConfigKey.BATCH)).contains("environment variable FDFWD_BATCH");
    }

    @Test
    void theFileBeatsTheDefault() throws IOException {
        ExporterConfig config = loader(minimalTomlWith("batch = 30")).load();

        assertThat(config.integer(ConfigKey.BATCH)).isEqualTo(30);
    }

    @Test
    void theDefaultAppliesWhenNothingSetsTheKey() throws IOException {
        ExporterConfig config = loader(minimalToml()).load();

        assertThat(config.integer(ConfigKey.BATCH)).isEqualTo(20);
        assertThat(config.sourceOf(ConfigKey.BATCH)).contains("default");
    }

    @Test
    void readsTheGoHandlersMisspeltVariables() {
        env.put("FDFWD_TELEPORT_IDENTITY", dir.resolve("identity").toString());
        env.put("FDFWD_FLUENTD_URL", "https://fluentd:8888/events.log");
        env.put("FDFWD_FLUENTD_SESSION_URL", "https://fluentd:8888/session");
        env.put("FDWRD_FLUENTD_CERT", dir.resolve("client.crt").toString());
        env.put("FDWRD_FLUENTD_KEY", dir.resolve("client.key").toString());
        env.put("FDWRD_FLUENTD_CA", dir.resolve("ca.crt").toString());
        env.put("FDWRD_MAX_CONNECTIONS", "7");

        ExporterConfig config = new ConfigLoader(env).load();

        assertThat(config.path(ConfigKey.FORWARD_FLUENTD_CERT)).isEqualTo(dir.resolve("client.crt"));
        assertThat(config.path(ConfigKey.FORWARD_FLUENTD_KEY)).isEqualTo(dir.resolve("client.key"));
        assertThat(config.path(ConfigKey.FORWARD_FLUENTD_CA)).isEqualTo(dir.resolve("ca.crt"));
        assertThat(config.integer(ConfigKey.FORWARD_FLUENTD_MAX_CONNECTIONS)).isEqualTo(7);
        assertThat(config.sourceOf(ConfigKey.FORWARD_FLUENTD_CERT)).contains("environment variable FDWRD_FLUENTD_CERT");
    }

    @Test
    void readsTheCorrectSpellingsAndTheTrioFromTheEnvironmentToo() {
        env.put("FDFWD_TELEPORT_CA", dir.resolve("ca.crt").toString());
        env.put("FDWRD_TELEPORT_CERT", dir.resolve("client.crt").toString());
        env.put("FDFWD_TELEPORT_KEY", dir.resolve("client.key").toString());
        env.put("FDFWD_FLUENTD_URL", "https://fluentd:8888/events.log");
        env.put("FDFWD_FLUENTD_SESSION_URL", "https://fluentd:8888/session");
        env.put("FDFWD_FLUENTD_CERT", dir.resolve("client.crt").toString());
        env.put("FDFWD_FLUENTD_KEY", dir.resolve("client.key").toString());
        env.put("FDFWD_MAX_CONNECTIONS", "3");
        env.put("FDFWD_LOCKING_ENABLED", "true");
        env.put("FDFWD_LOCKING_FAILED_ATTEMPTS", "4");
        env.put("FDFWD_DRY_RUN", "true");
        env.put("FDFWD_CONCURRENCY", "8");
        env.put("FDFWD_WINDOW_SIZE", "12h");
        env.put("FDFWD_EXIT_ON_LAST_EVENT", "1");
        env.put("FDFWD_FORWARD_S3_REGION", "eu-west-1");

        ExporterConfig config = new ConfigLoader(env).load();

        assertThat(config.path(ConfigKey.TELEPORT_CERT)).isEqualTo(dir.resolve("client.crt"));
        assertThat(config.path(ConfigKey.FORWARD_FLUENTD_KEY)).isEqualTo(dir.resolve("client.key"));
        assertThat(config.integer(ConfigKey.FORWARD_FLUENTD_MAX_CONNECTIONS)).isEqualTo(3);
        assertThat(config.bool(ConfigKey.LOCK_ENABLED)).isTrue();
        assertThat(config.integer(ConfigKey.LOCK_FAILED_ATTEMPTS_COUNT)).isEqualTo(4);
        assertThat(config.bool(ConfigKey.DRY_RUN)).isTrue();
        assertThat(config.integer(ConfigKey.CONCURRENCY)).isEqualTo(8);
        assertThat(config.duration(ConfigKey.WINDOW_SIZE)).isEqualTo(Duration.ofHours(12));
        assertThat(config.bool(ConfigKey.EXIT_ON_LAST_EVENT)).isTrue();
        assertThat(config.string(ConfigKey.FORWARD_S3_REGION)).isEqualTo("eu-west-1");
    }

    @Test
    void rejectsTwoSpellingsOfOneVariableThatDisagree() {
        env.put("FDWRD_FLUENTD_CERT", dir.resolve("client.crt").toString());
        env.put("FDFWD_FLUENTD_CERT", dir.resolve("ca.crt").toString());

        assertThatThrownBy(() -> new ConfigLoader(env).load())
                .hasMessage("forward.fluentd.cert: environment variables FDWRD_FLUENTD_CERT and FDFWD_FLUENTD_CERT"
                        + " are both set, to different values; set only one");
    }

    @Test
    void findsTheFileThroughFdfwdConfig() throws IOException {
        env.put("FDFWD_CONFIG", write("env.toml", minimalTomlWith("batch = 33")).toString());

        assertThat(new ConfigLoader(env).load().integer(ConfigKey.BATCH)).isEqualTo(33);
    }

    @Test
    void anEmptyVariableChangesNothingButAnEmptyListFlagClearsTheList() throws IOException {
        env.put("FDFWD_BATCH", "");
        env.put("FDFWD_SKIP_SESSION_TYPES", "");

        ExporterConfig fromEnv = loader(minimalToml()).load();
        ExporterConfig fromFlag = loader(minimalToml()).flag(ConfigKey.SKIP_SESSION_TYPES, "", "--skip-session-types").load();

        assertThat(fromEnv.integer(ConfigKey.BATCH)).isEqualTo(20);
        assertThat(fromEnv.list(ConfigKey.SKIP_SESSION_TYPES)).containsExactly("print", "desktop.recording");
        assertThat(fromFlag.list(ConfigKey.SKIP_SESSION_TYPES)).isEmpty();
    }

    @Test
    void warnsAboutFdfwdVariablesThatNothingReads() throws IOException {
        env.put("FDFWD_CURSOR", "abc");
        env.put("FDFWD_FLUENTD_URLL", "https://x");
        env.put("HOME", "/root");

        ExporterConfig config = loader(minimalToml()).load();

        assertThat(config.warnings()).containsExactly(
                "environment variable FDFWD_CURSOR is not used",
                "environment variable FDFWD_FLUENTD_URLL is not used; did you mean FDFWD_FLUENTD_URL?");
    }

    @Test
    void namesTheNearestKnownKeyForAnUnknownOne() throws IOException {
        Path properties = write("app.properties", "forward.fluentd.urll = https://localhost:8888/events.log\n");

        assertThatThrownBy(() -> new ConfigLoader(env).configFile(properties).load())
                .isInstanceOf(ConfigException.class)
                .hasMessage("unknown key \"forward.fluentd.urll\" in " + properties
                        + "; did you mean \"forward.fluentd.url\"?");
    }

    @Test
    void suggestsTheFluentdTableForTheOldReadmesSpelling() throws IOException {
        Path toml = write("old.toml", "[fluentd]\nsession_url = \"https://x/session\"\n");

        assertThatThrownBy(() -> new ConfigLoader(env).configFile(toml).load())
                .hasMessage("unknown key \"fluentd.session_url\" in " + toml
                        + "; did you mean \"forward.fluentd.session-url\"?");
    }

    @Test
    void explainsABadDuration() throws IOException {
        Path toml = write("bad.toml", minimalTomlWith("timeout = \"10 seconds\""));

        assertThatThrownBy(() -> new ConfigLoader(env).configFile(toml).load())
                .isInstanceOf(ConfigException.class)
                .hasMessage("timeout: \"10 seconds\" is not a duration (examples: 10s, 1m, 24h); set in " + toml);
    }

    @Test
    void explainsEveryOtherBadValueWithKeyValueAndSource() throws IOException {
        assertThat(problem(ConfigKey.TIMEOUT, "-5s")).isEqualTo(
                "timeout: \"-5s\" is negative; durations must be 0 or more; set in option --timeout");
        assertThat(problem(ConfigKey.WINDOW_SIZE, "0")).isEqualTo(
                "window-size: \"0\" must be longer than 0; set in option --window-size");
        assertThat(problem(ConfigKey.BATCH, "twenty")).isEqualTo(
                "batch: \"twenty\" is not a whole number; set in option --batch");
        assertThat(problem(ConfigKey.BATCH, "0")).isEqualTo(
                "batch: 0 is out of range (must be between 1 and 10000); set in option --batch");
        assertThat(problem(ConfigKey.BATCH, "10001")).isEqualTo(
                "batch: 10001 is out of range (must be between 1 and 10000); set in option --batch");
        assertThat(problem(ConfigKey.CONCURRENCY, "0")).isEqualTo(
                "concurrency: 0 is out of range (must be between 1 and 10000); set in option --concurrency");
        assertThat(problem(ConfigKey.DRY_RUN, "yes")).isEqualTo(
                "dry-run: \"yes\" is not true or false; set in option --dry-run");
        assertThat(problem(ConfigKey.OUTPUT, "kafka")).isEqualTo(
                "output: \"kafka\" is not one of fluentd, s3, file; set in option --output");
        assertThat(problem(ConfigKey.START_TIME, "yesterday")).isEqualTo(
                "start-time: \"yesterday\" is not an RFC 3339 time (example: 2024-01-31T00:00:00Z);"
                        + " set in option --start-time");
        assertThat(problem(ConfigKey.FORWARD_FLUENTD_URL, "localhost:8888")).isEqualTo(
                "forward.fluentd.url: \"localhost:8888\" is not an http(s) URL"
                        + " (example: https://localhost:8888/events.log); set in option --forward.fluentd.url");
        assertThat(problem(ConfigKey.TELEPORT_IDENTITY, "missing-identity")).isEqualTo(
                "teleport.identity: file " + Path.of("missing-identity").toAbsolutePath()
                        + " does not exist; set in option --teleport.identity");
    }

    @Test
    void truncatesTheStartTimeToWholeSecondsLikeTheGoHandler() throws IOException {
        ExporterConfig config = loader(minimalToml()).set(ConfigKey.START_TIME, "2024-05-01T10:20:30.987+02:00").load();

        assertThat(config.startTime()).contains(Instant.parse("2024-05-01T08:20:30Z"));
    }

    @Test
    void startTimeMayBeATomlDateTime() throws IOException {
        ExporterConfig config = loader(minimalTomlWith("start-time = 2024-05-01T08:20:30Z")).load();

        assertThat(config.startTime()).contains(Instant.parse("2024-05-01T08:20:30Z"));
    }

    @Test
    void maxConnectionsBelowOneMeansTwiceTheConcurrency() throws IOException {
        assertThat(loader(minimalTomlWith("concurrency = 8")).load()
                .integer(ConfigKey.FORWARD_FLUENTD_MAX_CONNECTIONS)).isEqualTo(16);
        assertThat(loader(minimalTomlWith("concurrency = 8")).set(ConfigKey.FORWARD_FLUENTD_MAX_CONNECTIONS, "-1")
                .load().integer(ConfigKey.FORWARD_FLUENTD_MAX_CONNECTIONS)).isEqualTo(16);
        assertThat(loader(minimalTomlWith("concurrency = 8")).set(ConfigKey.FORWARD_FLUENTD_MAX_CONNECTIONS, "3")
                .load().integer(ConfigKey.FORWARD_FLUENTD_MAX_CONNECTIONS)).isEqualTo(3);
    }

    @Test
    void acceptsTheWholeTrioInsteadOfAnIdentity() {
        ExporterConfig config = fluentdFlags()
                .set(ConfigKey.TELEPORT_CA, dir.resolve("ca.crt").toString())
                .set(ConfigKey.TELEPORT_CERT, dir.resolve("client.crt").toString())
                .set(ConfigKey.TELEPORT_KEY, dir.resolve("client.key").toString())
                .load();

        assertThat(config.optionalPath(ConfigKey.TELEPORT_IDENTITY)).isEmpty();
        assertThat(config.path(ConfigKey.TELEPORT_KEY)).isEqualTo(dir.resolve("client.key"));
    }

    @Test
    void rejectsPartOfTheTrio() {
        ConfigLoader loader = fluentdFlags()
                .set(ConfigKey.TELEPORT_CA, dir.resolve("ca.crt").toString())
                .set(ConfigKey.TELEPORT_CERT, dir.resolve("client.crt").toString());

        assertThatThrownBy(loader::load).hasMessage("teleport.ca and teleport.cert are set but teleport.key is"
                + " missing: give all of teleport.ca, teleport.cert and teleport.key, or teleport.identity");
    }

    @Test
    void rejectsAnIdentityTogetherWithTheTrio() {
        ConfigLoader loader = fluentdFlags()
                .set(ConfigKey.TELEPORT_IDENTITY, dir.resolve("identity").toString())
                .set(ConfigKey.TELEPORT_KEY, dir.resolve("client.key").toString());

        assertThatThrownBy(loader::load).hasMessage("teleport.identity cannot be combined with teleport.key:"
                + " use the identity file or the teleport.ca, teleport.cert and teleport.key trio");
    }

    @Test
    void rejectsNoTeleportCredentialsAtAll() {
        assertThatThrownBy(fluentdFlags()::load).isInstanceOf(ConfigException.class).hasMessage(
                "no Teleport credentials configured: set teleport.identity (or teleport.ca, teleport.cert and teleport.key)");
    }

    @Test
    void wantsTheFluentdCertificateAndKeyTogether() throws IOException {
        ConfigLoader loader = loader(minimalToml()).set(ConfigKey.FORWARD_FLUENTD_CERT, dir.resolve("client.crt").toString());

        assertThatThrownBy(loader::load).hasMessage(
                "forward.fluentd.cert is set but forward.fluentd.key is missing: give both or neither");
    }

    @Test
    void eachOutputNeedsItsDestination() {
        ConfigLoader fluentd = new ConfigLoader(env).set(ConfigKey.TELEPORT_IDENTITY, dir.resolve("identity").toString())
                .set(ConfigKey.FORWARD_FLUENTD_URL, "https://localhost:8888/events.log");
        ConfigLoader s3 = new ConfigLoader(env).set(ConfigKey.TELEPORT_IDENTITY, dir.resolve("identity").toString())
                .set(ConfigKey.OUTPUT, "s3");
        ConfigLoader file = new ConfigLoader(env).set(ConfigKey.TELEPORT_IDENTITY, dir.resolve("identity").toString())
                .set(ConfigKey.OUTPUT, "file");

        assertThatThrownBy(fluentd::load).hasMessage("forward.fluentd.session-url is required with output=fluentd");
        assertThatThrownBy(s3::load).hasMessage("forward.s3.bucket is required with output=s3");
        assertThatThrownBy(file::load).hasMessage("forward.file.dir is required with output=file");
        assertThat(file.set(ConfigKey.FORWARD_FILE_DIR, dir.resolve("out").toString()).load()
                .path(ConfigKey.FORWARD_FILE_DIR)).isEqualTo(dir.resolve("out"));
    }

    @Test
    void resolvesFilePathsAgainstTheFilesDirectoryAndFlagPathsAgainstTheWorkingDirectory() throws IOException {
        ExporterConfig config = loader(minimalToml()).set(ConfigKey.FORWARD_FILE_DIR, "out").load();

        assertThat(config.path(ConfigKey.TELEPORT_IDENTITY)).isEqualTo(dir.resolve("identity"));
        assertThat(config.path(ConfigKey.FORWARD_FILE_DIR)).isEqualTo(Path.of("out").toAbsolutePath());
        assertThat(config.path(ConfigKey.STORAGE)).isEqualTo(Path.of("storage").toAbsolutePath());
    }

    @Test
    void passesCamelKeysThroughWithFlagsOverridingTheFile() throws IOException {
        ExporterConfig config = loader(minimalToml() + "[camel.main]\nname = \"from-file\"\nduration-max-seconds = 5\n")
                .camelProperty("camel.main.name", "from-flag")
                .load();

        assertThat(config.camelProperties()).containsOnly(
                Map.entry("camel.main.name", "from-flag"), Map.entry("camel.main.duration-max-seconds", "5"));
    }

    @Test
    void describeShowsEveryKeyAndMasksSecrets() throws IOException {
        env.put("FDFWD_FORWARD_FLUENTD_KEY_PASSPHRASE", "hunter2-passphrase");
        ExporterConfig config = loader(minimalToml())
                .set(ConfigKey.FORWARD_FLUENTD_CERT, dir.resolve("client.crt").toString())
                .set(ConfigKey.FORWARD_FLUENTD_KEY, dir.resolve("client.key").toString())
                .set(ConfigKey.FORWARD_S3_ACCESS_KEY_ID, "AKIAEXAMPLE")
                .set(ConfigKey.FORWARD_S3_SECRET_ACCESS_KEY, "wJalrXUtnFEMI-secret")
                .set(ConfigKey.FORWARD_S3_ENDPOINT, "http://minio:url-password@127.0.0.1:9000")
                .camelProperty("camel.component.aws2-s3.secret-key", "camel-secret-value")
                .camelProperty("camel.main.name", "exporter")
                .load();

        List<String> lines = config.describe();

        assertThat(lines).hasSize(ConfigKey.values().length + 2);
        assertThat(lines).contains(
                "batch = 20 (default)",
                "timeout = 5s (default)",
                "skip-session-types = print,desktop.recording (default)",
                "types = (empty) (default)",
                "teleport.ca = (not set)",
                "forward.fluentd.key-passphrase = **** (environment variable FDFWD_FORWARD_FLUENTD_KEY_PASSPHRASE)",
                "forward.s3.secret-access-key = **** (option --forward.s3.secret-access-key)",
                "camel.component.aws2-s3.secret-key = ****",
                "camel.main.name = exporter",
                "forward.s3.endpoint = http://****@127.0.0.1:9000 (option --forward.s3.endpoint)");
        assertThat(String.join("\n", lines) + config)
                .doesNotContain("hunter2-passphrase", "wJalrXUtnFEMI-secret", "camel-secret-value", "url-password");
    }

    @Test
    void neverPutsASecretInAMessage() throws IOException {
        env.put("FDFWD_FORWARD_S3_SECRET_ACCESS_KEY", "first-secret");
        ConfigLoader loader = loader(minimalToml()).set(ConfigKey.FORWARD_S3_SECRET_ACCESS_KEY, "second-secret");

        assertThatThrownBy(loader::load)
                .hasMessage("forward.s3.secret-access-key is set but forward.s3.access-key-id is missing: give both or neither")
                .hasMessageNotContaining("secret-value");
    }

    @Test
    void askingForTheWrongTypeIsAProgrammingError() throws IOException {
        ExporterConfig config = loader(minimalToml()).load();

        assertThatThrownBy(() -> config.integer(ConfigKey.TIMEOUT)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> config.path(ConfigKey.TELEPORT_CA)).isInstanceOf(IllegalStateException.class)
                .hasMessage("teleport.ca is not set");
    }

    private String problem(ConfigKey key, String value) throws IOException {
        ConfigLoader loader = loader(minimalToml()).set(key, value);
        try {
            loader.load();
        } catch (ConfigException e) {
            return e.getMessage();
        }
        throw new AssertionError(key.key() + "=" + value + " was accepted");
    }

    private ConfigLoader fluentdFlags() {
        return new ConfigLoader(env)
                .set(ConfigKey.FORWARD_FLUENTD_URL, "https://localhost:8888/events.log")
                .set(ConfigKey.FORWARD_FLUENTD_SESSION_URL, "https://localhost:8888/session");
    }

    private ConfigLoader loader(String toml) throws IOException {
        return new ConfigLoader(env).configFile(write("exporter.toml", toml));
    }

    private static String minimalToml() {
        return "[forward.fluentd]\nurl = \"https://localhost:8888/events.log\"\n"
                + "session-url = \"https://localhost:8888/session\"\n"
                + "[teleport]\nidentity = \"identity\"\n";
    }

    private static String minimalTomlWith(String topLevel) {
        return topLevel + "\n" + minimalToml();
    }

    private Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content, StandardCharsets.UTF_8);
    }
}
