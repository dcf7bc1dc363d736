package dev.tee.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class InHttpParserTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");

    @Test
    void readsTheFirst19CharactersAsUtcWallClock() throws Exception {
        assertThat(time("\"2020-08-07T07:52:09.821Z\"")).isEqualTo(Instant.parse("2020-08-07T07:52:09Z"));
        assertThat(time("\"2020-08-07T07:52:25Z\"")).isEqualTo(Instant.parse("2020-08-07T07:52:25Z"));
        assertThat(time("\"2020-08-07T07:52:25\"")).isEqualTo(Instant.parse("2020-08-07T07:52:25Z"));
        assertThat(time("\"2020-08-07T07:52:25-07:00\"")).isEqualTo(Instant.parse("2020-08-07T07:52:25Z"));
    }

    @Test
    void reportsBadTimesWithFluentdsMessages() {
        assertThatThrownBy(() -> time("\"2020-08-07 07:52:25Z\"")).hasMessage(
                "invalid time format: value = 2020-08-07 07:52:25Z, error_class = ArgumentError, error = string doesn't match");
        assertThatThrownBy(() -> time("\"2020-13-07T07:52:25Z\"")).hasMessageStartingWith("invalid time format: value = 2020-13-07");
        assertThatThrownBy(() -> time("1596786745")).hasMessage("value must be string: 1596786745");
        assertThatThrownBy(() -> time("1.5")).hasMessage("value must be string: 1.5");
        assertThatThrownBy(() -> time("true")).hasMessage("value must be string: true");
        assertThatThrownBy(() -> time("null")).hasMessage("value must be string: ");
        assertThatThrownBy(() -> time("[1,\"a\"]")).hasMessage("value must be string: [1, \"a\"]");
        assertThatThrownBy(() -> time("{\"a\":1}")).hasMessage("value must be string: {\"a\" => 1}");
    }

    @Test
    void printsFloatsLikeRuby() {
        assertThat(InHttpParser.rubyFloat(1500)).isEqualTo("1500.0");
        assertThat(InHttpParser.rubyFloat(0.0001)).isEqualTo("0.0001");
        assertThat(InHttpParser.rubyFloat(0.00001)).isEqualTo("1.0e-05");
        assertThat(InHttpParser.rubyFloat(1e16)).isEqualTo("1.0e+16");
        assertThat(InHttpParser.rubyFloat(1e15)).isEqualTo("1000000000000000.0");
        assertThat(InHttpParser.rubyFloat(-2.5)).isEqualTo("-2.5");
        assertThat(InHttpParser.rubyFloat(1.25e20)).isEqualTo("1.25e+20");
    }

    @Test
    void keepsEachObjectsExactBytesAndItsUid() throws Exception {
        String body = "[ {\"uid\":\"é\",\"a\":\"<&>\\u2028\"} ,{\"b\":1e+21}]";
        var records = InHttpParser.parse(body.getBytes(StandardCharsets.UTF_8), NOW);
        assertThat(records).extracting(InHttpParser.Parsed::json)
                .containsExactly("{\"uid\":\"é\",\"a\":\"<&>\\u2028\"}", "{\"b\":1e+21}");
        assertThat(records).extracting(InHttpParser.Parsed::uid).containsExactly("é", null);
        assertThat(records).extracting(InHttpParser.Parsed::time).containsOnly(NOW);
    }

    private static Instant time(String json) throws Exception {
        return InHttpParser.eventTime(JSON.readTree(json));
    }
}
