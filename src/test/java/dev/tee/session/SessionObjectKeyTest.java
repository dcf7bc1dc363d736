package dev.tee.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

class SessionObjectKeyTest {

    private static final String SID = "037e2e3e-e6f5-11e9-a7ac-42010a80002b";

    @Test
    void keyIsPrefixSessionIdAndTheFirstIndexInTenDigits() {
        assertThat(new SessionObjectKey("teleport/sessions/", SID, 0).key())
                .isEqualTo("teleport/sessions/037e2e3e-e6f5-11e9-a7ac-42010a80002b/0000000000.gz");
        assertThat(new SessionObjectKey("teleport/sessions/", SID, 866).key())
                .isEqualTo("teleport/sessions/037e2e3e-e6f5-11e9-a7ac-42010a80002b/0000000866.gz");
        assertThat(new SessionObjectKey("", SID, Integer.MAX_VALUE).key())
                .isEqualTo("037e2e3e-e6f5-11e9-a7ac-42010a80002b/2147483647.gz");
    }

    @Test
    void keysListInRecordedOrder() {
        List<String> keys = Stream.of(1000L, 2L, 30L, 0L)
                .map(index -> new SessionObjectKey("p/", SID, index).key()).sorted().toList();
        assertThat(keys).extracting(key -> key.substring(key.lastIndexOf('/') + 1))
                .containsExactly("0000000000.gz", "0000000002.gz", "0000000030.gz", "0000001000.gz");
    }

    @Test
    void theSameStartGivesTheSameKey() {
        assertThat(new SessionObjectKey("p/", SID, 20)).isEqualTo(new SessionObjectKey("p/", SID, 20));
        assertThatThrownBy(() -> new SessionObjectKey("p/", SID, -1)).isInstanceOf(IllegalArgumentException.class);
    }
}
