package dev.tee.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

import dev.tee.config.ConfigKey;
import dev.tee.config.ConfigLoader;
import dev.tee.config.ExporterConfig;

/**
 * The repository's docker-compose.yml and Dockerfiles fit what {@code configure} writes: every mount
 * names a generated file where fluent.conf or the exporter looks for it, and the exporter's
 * configuration loads inside its container as it does on the host.
 */
class ComposeLayoutTest {

    /** DEPLOY_DIR as docker-compose.yml writes it: plain, or required with a message the first time. */
    private static final Pattern DEPLOY_DIR = Pattern.compile("\\$\\{DEPLOY_DIR(?::\\?[^}]*)?}");
    private static final Path REPOSITORY = Path.of("").toAbsolutePath();

    @TempDir
    static Path temp;

    private static Path out;
    private static String composeText;
    private static Map<String, Object> services;

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void configureAndReadCompose() throws IOException {
        out = temp.resolve("deploy-out");
        Configure.write(new Configure.Options(out, "auth.example.com:3025", Duration.ofHours(1),
                List.of("localhost", Configure.COMPOSE_FLUENTD_HOST), List.of(), 2048, false),
                Configure.randomPassphrase());
        composeText = Files.readString(REPOSITORY.resolve("docker-compose.yml"));
        Map<String, Object> compose = (Map<String, Object>) new Load(LoadSettings.builder().build())
                .loadFromString(composeText);
        services = (Map<String, Object>) compose.get("services");
    }

    @Test
    void fluentdFindsFluentConfAndTheServerFilesWhereFluentConfNamesThem() throws IOException {
        Map<String, String> mounts = mounts("fluentd");

        assertThat(mounts).containsEntry("/fluentd/etc/fluent.conf", out.resolve("fluent.conf").toString());
        String conf = Files.readString(out.resolve("fluent.conf"));
        Matcher paths = Pattern.compile("(?m)^\\s*(ca_path|cert_path|private_key_path|path) '([^']+)'$").matcher(conf);
        int found = 0;
        while (paths.find()) {
            String target = paths.group(2);
            if (paths.group(1).equals("path")) {
                // The S3 output's file buffer: configure's fluentd-buffer directory, so it outlives the container.
                String bufferDir = Path.of(target).getParent().toString();
                assertThat(mounts).containsEntry(bufferDir, out.resolve("fluentd-buffer").toString());
                assertThat(Path.of(bufferDir)).isDirectory();
            } else {
                assertThat(mounts).as(target).containsEntry(target, target);
                assertThat(Path.of(target)).as(target).isRegularFile().startsWith(out);
            }
            found++;
        }
        assertThat(found).isEqualTo(4);
        assertThat(Files.readString(REPOSITORY.resolve("fluentd/Dockerfile")))
                .contains("fluent-gem install fluent-plugin-s3");
    }

    @Test
    void theExporterLoadsTheGeneratedConfigurationInsideItsContainer() throws IOException {
        Map<String, String> mounts = mounts("exporter");
        assertThat(mounts).containsEntry("/config", out.toString());
        String dockerfile = Files.readString(REPOSITORY.resolve("Dockerfile"));
        assertThat(dockerfile).contains("CMD [\"start\", \"--config\", \"/config/application.properties\"]");

        // The container's view: /config is the directory configure wrote, storage a directory of its own.
        Path storage = temp.resolve("storage-volume");
        String storageTarget = environment().get("FDFWD_STORAGE");
        assertThat(mounts).containsEntry(storageTarget, "exporter-storage");
        assertThat(dockerfile).contains("VOLUME [\"" + storageTarget + "\"]");
        Map<String, String> environment = new HashMap<>();
        environment().forEach((name, value) -> environment.put(name, value
                .replace(storageTarget, storage.toString())
                .replaceFirst("^/config/", out + "/")));
        Files.writeString(out.resolve(Configure.IDENTITY), "placeholder for tctl auth sign's identity file");
        try {
            ExporterConfig config = new ConfigLoader(environment).configFile(out.resolve("application.properties"))
                    .load();

            // Every variable is one the exporter reads: no warnings about unused ones.
            assertThat(config.warnings()).isEmpty();
            URI url = config.url(ConfigKey.FORWARD_FLUENTD_URL);
            assertThat(url.getHost()).isEqualTo(Configure.COMPOSE_FLUENTD_HOST);
            assertThat(Configure.tagOf(url.toString())).isEqualTo(Configure.auditTag());
            assertThat(Configure.tagOf(config.string(ConfigKey.FORWARD_FLUENTD_SESSION_URL)))
                    .isEqualTo(Configure.tagOf(Configure.SESSION_URL));
            assertThat(config.path(ConfigKey.FORWARD_FLUENTD_CA)).isEqualTo(out.resolve("ca.crt"));
            assertThat(config.path(ConfigKey.FORWARD_FLUENTD_CERT)).isEqualTo(out.resolve("client.crt"));
            assertThat(config.path(ConfigKey.FORWARD_FLUENTD_KEY)).isEqualTo(out.resolve("client.key"));
            assertThat(config.path(ConfigKey.TELEPORT_IDENTITY)).isEqualTo(out.resolve("identity"));
            assertThat(config.path(ConfigKey.STORAGE)).isEqualTo(storage);
            assertThat(config.string(ConfigKey.TELEPORT_ADDR)).isEqualTo("auth.example.com:3025");
        } finally {
            Files.delete(out.resolve(Configure.IDENTITY));
        }
    }

    @Test
    void composeEnvSetsEveryVariableTheComposeFileUses() throws IOException {
        Set<String> used = new TreeSet<>();
        Matcher variable = Pattern.compile("\\$\\{(\\w+)").matcher(composeText);
        while (variable.find()) {
            used.add(variable.group(1));
        }
        Set<String> set = new TreeSet<>();
        for (String line : Files.readAllLines(out.resolve("compose.env"))) {
            if (!line.startsWith("#") && line.contains("=")) {
                set.add(line.substring(0, line.indexOf('=')));
            }
        }
        assertThat(used).containsExactly("DEPLOY_DIR", "DEPLOY_GID", "DEPLOY_UID");
        assertThat(set).isEqualTo(used);
    }

    @Test
    void bothImagesAreBuiltForTheOwnerOfTheKeyFiles() {
        for (String service : List.of("fluentd", "exporter")) {
            assertThat(service(service).get("build")).as(service).isInstanceOf(Map.class);
            assertThat(((Map<?, ?>) service(service).get("build")).get("args")).as(service)
                    .isEqualTo(Map.of("UID", "${DEPLOY_UID:-1000}", "GID", "${DEPLOY_GID:-1000}"));
            assertThat(service(service)).containsEntry("restart", "unless-stopped");
        }
    }

    /** A service's volumes as container path -> host path (DEPLOY_DIR filled in) or volume name. */
    private static Map<String, String> mounts(String service) {
        Map<String, String> mounts = new LinkedHashMap<>();
        for (Object volume : (List<?>) service(service).get("volumes")) {
            String[] parts = DEPLOY_DIR.matcher(volume.toString()).replaceAll(Matcher.quoteReplacement(out.toString()))
                    .split(":");
            mounts.put(parts[1], parts[0]);
        }
        return mounts;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> environment() {
        return (Map<String, String>) service("exporter").get("environment");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> service(String name) {
        return (Map<String, Object>) services.get(name);
    }
}
