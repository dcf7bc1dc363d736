package dev.tee.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class DeliveryLedgerTest {

    private final List<String> commits = new ArrayList<>();
    private final DeliveryLedger<String> ledger = new DeliveryLedger<>(commits::add);

    @Test
    void commitsOnlyUpToTheFirstUnsettledEvent() {
        long a = ledger.track("after-a");
        long b = ledger.track("after-b");
        long c = ledger.track("after-c");

        ledger.settle(c);
        ledger.settle(b);
        assertThat(commits).isEmpty();

        ledger.settle(a);
        assertThat(commits).containsExactly("after-c");
        assertThat(ledger.idle()).isTrue();
    }

    @Test
    void positionsWithoutEventsWaitForTheEventsBeforeThem() {
        long a = ledger.track("after-a");
        ledger.mark("next-page");
        assertThat(commits).isEmpty();

        ledger.settle(a);
        assertThat(commits).containsExactly("next-page");
    }

    @Test
    void aMarkWithNothingPendingCommitsAtOnce() {
        ledger.mark("window-2");
        assertThat(commits).containsExactly("window-2");
    }

    @Test
    void aRepeatedAcknowledgementChangesNothing() {
        long a = ledger.track("after-a");
        long b = ledger.track("after-b");
        ledger.settle(a);
        ledger.settle(a);
        assertThat(commits).containsExactly("after-a");
        assertThat(ledger.pending()).isEqualTo(1);
        ledger.settle(b);
        assertThat(commits).containsExactly("after-a", "after-b");
    }

    @Test
    void staysCorrectAcrossCompactionOfLongRuns() {
        List<Long> sequences = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            sequences.add(ledger.track("after-" + i));
        }
        for (int i = 0; i < 20_000; i += 2) {
            ledger.settle(sequences.get(i + 1));
            ledger.settle(sequences.get(i));
        }
        assertThat(commits).hasSize(10_000).last().isEqualTo("after-19999");
        assertThat(ledger.idle()).isTrue();
        long next = ledger.track("after-next");
        ledger.settle(next);
        assertThat(commits).last().isEqualTo("after-next");
    }
}
