package dev.tee.sink.s3;

import static dev.tee.sink.s3.PantherObjectKey.DEFAULT_PREFIX;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.Optional;

import org.junit.jupiter.api.Test;

class PantherObjectKeyTest {

    @Test
    void namesTheObjectAfterTheUtcMinuteOfTheEventTimeWithZeroSeconds() {
        assertThat(PantherObjectKey.of(DEFAULT_PREFIX, Instant.parse("2026-11-23T17:22:59.999Z"), 0).key())
                .isEqualTo("teleport/logs20261123172200_0.gz");
        assertThat(PantherObjectKey.of(DEFAULT_PREFIX, Instant.parse("2026-11-23T17:22:00Z"), 12).key())
                .isEqualTo("teleport/logs20261123172200_12.gz");
        assertThat(PantherObjectKey.of(DEFAULT_PREFIX, Instant.parse("2019-01-01T00:00:00.001Z"), 1).minute())
                .isEqualTo(Instant.parse("2019-01-01T00:00:00Z"));
    }

    @Test
    void gluesThePrefixOnWithoutASlash() {
        assertThat(PantherObjectKey.of("", Instant.parse("2026-11-23T17:22:01Z"), 0).key())
                .isEqualTo("20261123172200_0.gz");
        assertThat(PantherObjectKey.of("audit/", Instant.parse("2026-11-23T17:22:01Z"), 3).key())
                .isEqualTo("audit/20261123172200_3.gz");
        assertThat(PantherObjectKey.of("x", Instant.parse("0999-02-03T04:05:06Z"), 0).key())
                .isEqualTo("x09990203040500_0.gz");
    }

    @Test
    void listsAMinuteByItsPrefix() {
        assertThat(PantherObjectKey.minutePrefix(DEFAULT_PREFIX, Instant.parse("2026-11-23T17:22:33Z")))
                .isEqualTo("teleport/logs20261123172200_");
    }

    @Test
    void parsesAKeyBackIntoMinuteAndIndex() {
        PantherObjectKey key = PantherObjectKey.of(DEFAULT_PREFIX, Instant.parse("2026-11-23T17:22:33Z"), 7);
        assertThat(PantherObjectKey.parse(DEFAULT_PREFIX, key.key())).contains(key);
        assertThat(PantherObjectKey.parse(DEFAULT_PREFIX, "teleport/logs20190422004900_0.gz")).contains(
                new PantherObjectKey(DEFAULT_PREFIX, Instant.parse("2019-04-22T00:49:00Z"), 0));
        assertThat(key.next()).isEqualTo(PantherObjectKey.of(DEFAULT_PREFIX, Instant.parse("2026-11-23T17:22:00Z"), 8));
    }

    @Test
    void parsesOnlyKeysOfTheScheme() {
        for (String key : new String[] {"teleport/logs20261123172200_0.json", "teleport/logs/20261123172200_0.gz",
                "teleport/logs20261123172201_0.gz", "teleport/logs20261123172200_01.gz", "teleport/logs20261123172200_.gz",
                "teleport/logs20261323172200_0.gz", "teleport/logs2026112317220_0.gz", "other/20261123172200_0.gz",
                "teleport/logs20261123172200_0.gz.tmp", "teleport/logs20261123172200_99999999999.gz"}) {
            assertThat(PantherObjectKey.parse(DEFAULT_PREFIX, key)).as(key).isEqualTo(Optional.empty());
        }
    }

    @Test
    void refusesAMinuteThatIsNotWhole() {
        assertThatThrownBy(() -> new PantherObjectKey(DEFAULT_PREFIX, Instant.parse("2026-11-23T17:22:01Z"), 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PantherObjectKey(DEFAULT_PREFIX, Instant.parse("2026-11-23T17:22:00Z"), -1))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
