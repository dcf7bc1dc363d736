package dev.tee.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

class ConfigKeyTest {

    @Test
    void everyKeyHasAOneSentenceDoc() {
        for (ConfigKey key : ConfigKey.values()) {
            assertThat(key.doc()).as(key.key()).isNotBlank().endsWith(".").doesNotContain("\n");
        }
    }

    @Test
    void markdownTableHasARowForEveryKey() {
        String table = ConfigDocs.markdownTable();
        for (ConfigKey key : ConfigKey.values()) {
            assertThat(table).contains("| `" + key.key() + "` |");
            for (String env : key.env()) {
                assertThat(table).contains("`" + env + "`");
            }
        }
        assertThat(table.lines().filter(l -> l.startsWith("| `"))).hasSize(ConfigKey.values().length + 1);
        // the enum's pipes must not split its cell
        assertThat(table).contains("fluentd \\| s3 \\| file");
    }

    @Test
    void helpTextNamesEveryKeyWithinEightyColumns() {
        List<String> help = ConfigDocs.helpText();
        for (ConfigKey key : ConfigKey.values()) {
            assertThat(help).anyMatch(line -> line.startsWith("  " + key.key() + " ("));
        }
        assertThat(help).allMatch(line -> line.length() <= 80);
    }

    @Test
    void everyDefaultIsAValidValueOfItsKey() {
        for (ConfigKey key : ConfigKey.values()) {
            key.defaultValue().ifPresent(d -> key.type().parse(key, d, "default", null));
        }
    }

    @Test
    void keysWithTypedAccessorsAlwaysHaveADefault() {
        Set<ValueType.Kind> needDefault = EnumSet.of(
                ValueType.Kind.INT, ValueType.Kind.BOOL, ValueType.Kind.DURATION, ValueType.Kind.LIST);
        for (ConfigKey key : ConfigKey.values()) {
            if (needDefault.contains(key.type().kind())) {
                assertThat(key.defaultValue()).as(key.key()).isPresent();
            }
        }
    }

    @Test
    void secretsHaveNoDefault() {
        for (ConfigKey key : ConfigKey.values()) {
            if (key.isSecret()) {
                assertThat(key.defaultValue()).as(key.key()).isEmpty();
            }
        }
        assertThat(ConfigKey.FORWARD_FLUENTD_KEY_PASSPHRASE.isSecret()).isTrue();
        assertThat(ConfigKey.FORWARD_S3_SECRET_ACCESS_KEY.isSecret()).isTrue();
    }

    @Test
    void noFlagEnvironmentVariableOrFileSpellingMeansTwoKeys() {
        Map<String, ConfigKey> seen = new HashMap<>();
        for (ConfigKey key : ConfigKey.values()) {
            List<String> names = new ArrayList<>();
            names.add(key.key());
            names.addAll(key.fileAliases());
            names.addAll(key.flagNames());
            names.addAll(key.env());
            for (String name : Set.copyOf(names)) {
                ConfigKey other = seen.put(name, key);
                assertThat(other).as(name).isNull();
            }
        }
    }

    @Test
    void carriesTheGoHandlersNamesIncludingItsMisspellings() {
        assertThat(ConfigKey.FORWARD_FLUENTD_URL.flagNames()).contains("--fluentd-url");
        assertThat(ConfigKey.FORWARD_FLUENTD_CERT.env()).contains("FDWRD_FLUENTD_CERT", "FDFWD_FLUENTD_CERT");
        assertThat(ConfigKey.FORWARD_FLUENTD_KEY.env()).contains("FDWRD_FLUENTD_KEY", "FDFWD_FLUENTD_KEY");
        assertThat(ConfigKey.FORWARD_FLUENTD_CA.env()).contains("FDWRD_FLUENTD_CA", "FDFWD_FLUENTD_CA");
        assertThat(ConfigKey.FORWARD_FLUENTD_MAX_CONNECTIONS.env())
                .contains("FDWRD_MAX_CONNECTIONS", "FDFWD_MAX_CONNECTIONS");
        assertThat(ConfigKey.TELEPORT_CERT.env()).contains("FDWRD_TELEPORT_CERT", "FDFWD_TELEPORT_CERT");
        assertThat(ConfigKey.LOCK_ENABLED.env()).contains("FDFWD_LOCKING_ENABLED");
        assertThat(ConfigKey.LOCK_FAILED_ATTEMPTS_COUNT.env()).contains("FDFWD_LOCKING_FAILED_ATTEMPTS");
        assertThat(ConfigKey.FORWARD_S3_BUCKET.env()).containsExactly("FDFWD_FORWARD_S3_BUCKET");
        assertThat(ConfigKey.OUTPUT.env()).containsExactly("FDFWD_OUTPUT");
        assertThat(ConfigKey.DEBUG.flagNames()).contains("--debug", "-d");
    }

    @Test
    void fileSpellingsFollowTheGoResolver() {
        assertThat(ConfigKey.byFileKey("lock.enabled")).contains(ConfigKey.LOCK_ENABLED);
        assertThat(ConfigKey.byFileKey("lock-enabled")).contains(ConfigKey.LOCK_ENABLED);
        assertThat(ConfigKey.byFileKey("teleport.refresh.enabled")).contains(ConfigKey.TELEPORT_REFRESH_ENABLED);
        assertThat(ConfigKey.byFileKey("forward.fluentd.session.url"))
                .contains(ConfigKey.FORWARD_FLUENTD_SESSION_URL);
        assertThat(ConfigKey.byFileKey("teleport.debug")).contains(ConfigKey.DEBUG);
        assertThat(ConfigKey.byFileKey("namespace")).isEmpty();
    }

    @Test
    void suggestsTheNearestKeyOnlyWhenItIsNear() {
        assertThat(ConfigKey.closest("forward.fluentd.urll")).contains("forward.fluentd.url");
        assertThat(ConfigKey.closest("fluentd.url")).contains("forward.fluentd.url");
        assertThat(ConfigKey.closest("bacth")).contains("batch");
        assertThat(ConfigKey.closest("concurency")).contains("concurrency");
        assertThat(ConfigKey.closest("something-else-entirely")).isEmpty();
    }
}
