package dev.tee.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class GoDurationTest {

    @ParameterizedTest(name = "{0} = {1} ns")
    @CsvSource({
            "0, 0",
            "+0, 0",
            "0s, 0",
            "300ms, 300000000",
            "10s, 10000000000",
            "1m, 60000000000",
            "1h30m, 5400000000000",
            "87600h, 315360000000000000",
            "24h, 86400000000000",
            "1.5h, 5400000000000",
            ".5s, 500000000",
            "1.s, 1000000000",
            "2h45m30.5s, 9930500000000",
            "1us, 1000",
            "1\u00b5s, 1000",
            "1\u03bcs, 1000",
            "100ns, 100",
            "1h1h, 7200000000000",
            "-5s, -5000000000",
    })
    void parsesWhatGoParses(String text, long nanos) {
        assertThat(GoDuration.parse(text)).contains(Duration.ofNanos(nanos));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "10", "10 seconds", "s", "1x", "1.2.3s", ".s", "1d", "1h 30m", "--1s",
            "9999999999999h"})
    void rejectsWhatGoRejects(String text) {
        assertThat(GoDuration.parse(text)).isEmpty();
    }

    @ParameterizedTest(name = "{0} ns prints as {1}")
    @CsvSource({
            "0, 0s",
            "86400000000000, 24h",
            "60000000000, 1m",
            "5400000000000, 1h30m",
            "3600000000001, 1h0.000000001s",
            "1500000000, 1.5s",
            "300000000, 300ms",
            "1500, 1.5us",
            "7, 7ns",
            "315360000000000000, 87600h",
    })
    void formatsCompactlyInTheSameSyntax(long nanos, String text) {
        assertThat(GoDuration.format(Duration.ofNanos(nanos))).isEqualTo(text);
        assertThat(GoDuration.parse(text)).contains(Duration.ofNanos(nanos));
    }
}
