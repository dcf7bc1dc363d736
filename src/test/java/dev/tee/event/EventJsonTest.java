package dev.tee.event;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.tee.testing.Fixtures;
import org.junit.jupiter.api.Test;

class EventJsonTest {

    @Test
    void serialisesEveryFixtureEventExactlyAsTheGoHandlerPostedIt() {
        List<String> ours = Fixtures.auditEvents().stream()
                .map(event -> new String(EventJson.goJson(EventJson.toStruct(event)), StandardCharsets.UTF_8))
                .sorted().toList();
        List<String> posted = Fixtures.lines("fluentd-s3-golden/posted.jsonl").stream().sorted().toList();
        assertThat(ours).hasSize(170).containsExactlyElementsOf(posted);
    }

    @Test
    void printsNumbersLikeProtojson() {
        assertThat(number(0)).isEqualTo("0");
        assertThat(number(1694)).isEqualTo("1694");
        assertThat(number(2.5)).isEqualTo("2.5");
        assertThat(number(-0.1)).isEqualTo("-0.1");
        assertThat(number(4294968064d)).isEqualTo("4294968064");
        assertThat(number(1e20)).isEqualTo("100000000000000000000");
        assertThat(number(1e21)).isEqualTo("1e+21");
        assertThat(number(1.5e22)).isEqualTo("1.5e+22");
        assertThat(number(1e-7)).isEqualTo("1e-7");
        assertThat(number(0.000001)).isEqualTo("0.000001");
        assertThat(number(0.1 + 0.2)).isEqualTo("0.30000000000000004");
    }

    @Test
    void escapesOnlyQuotesBackslashesAndControlCharacters() throws Exception {
        Struct struct = EventJson.toStruct(new ObjectMapper().readTree(
                "{\"b\":\"<a&b>/\\u2028é\\u001b\\n\\\"\\\\\",\"a\":[1,true,null,{\"z\":1,\"y\":2}]}"));
        assertThat(new String(EventJson.goJson(struct), StandardCharsets.UTF_8))
                .isEqualTo("{\"a\":[1,true,null,{\"y\":2,\"z\":1}],\"b\":\"<a&b>/\u2028é\\u001b\\n\\\"\\\\\"}");
    }

    @Test
    void writesNumbersAtEveryLevelInTheStyleItIsGiven() throws Exception {
        Struct struct = EventJson.toStruct(new ObjectMapper().readTree(
                "{\"n\":1.5,\"s\":\"2\",\"l\":[3,{\"m\":[4e30]}],\"o\":{\"k\":-0.0}}"));
        byte[] wire = struct.toByteArray();
        Utf8Buffer fluentd = new Utf8Buffer(64);
        StructBytes.members(wire, 0, wire.length, StructBytes.Style.FLUENTD, null, fluentd);
        assertThat(new String(fluentd.toByteArray(), StandardCharsets.UTF_8))
                .isEqualTo("\"l\":[3,{\"m\":[4.0e+30]}],\"n\":1.5,\"o\":{\"k\":0},\"s\":\"2\",");
        assertThat(new String(EventJson.goJson(struct), StandardCharsets.UTF_8))
                .isEqualTo("{\"l\":[3,{\"m\":[4e+30]}],\"n\":1.5,\"o\":{\"k\":-0},\"s\":\"2\"}");
    }

    private static String number(double value) {
        // through the whole printer, so that its fast path for integers is covered too
        Struct struct = Struct.newBuilder().putFields("n", Value.newBuilder().setNumberValue(value).build()).build();
        String json = new String(EventJson.goJson(struct), StandardCharsets.UTF_8);
        return json.substring("{\"n\":".length(), json.length() - 1);
    }
}
