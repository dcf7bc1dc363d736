package dev.tee.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.awaitility.Awaitility;

import org.junit.jupiter.api.Test;

class DeliveryLedgerTest {

    private final List<String> commits = new ArrayList<>();
    private final DeliveryLedger<String> ledger = new DeliveryLedger<>(commits::add);
    /** A budget of 1,000 bytes (and as many events), for the tests of the byte budget. */
    private final InFlight inFlight = new InFlight(1_000, 1_000);
    private final DeliveryLedger<String> bounded = new DeliveryLedger<>(commits::add, inFlight);

    @Test
    void commitsOnlyUpToTheFirstUnsettledEvent() {
        Receipt a = ledger.track("after-a");
        Receipt b = ledger.track("after-b");
        Receipt c = ledger.track("after-c");

        c.settle();
        b.settle();
        assertThat(commits).isEmpty();

        a.settle();
        assertThat(commits).containsExactly("after-c");
        assertThat(ledger.idle()).isTrue();
    }

    @Test
    void positionsWithoutEventsWaitForTheEventsBeforeThem() {
        Receipt a = ledger.track("after-a");
        ledger.mark("next-page");
        assertThat(commits).isEmpty();

        a.settle();
        assertThat(commits).containsExactly("next-page");
    }

    @Test
    void aMarkWithNothingPendingCommitsAtOnce() {
        ledger.mark("window-2");
        assertThat(commits).containsExactly("window-2");
    }

    @Test
    void aRepeatedAcknowledgementChangesNothing() {
        Receipt a = ledger.track("after-a");
        Receipt b = ledger.track("after-b");
        a.settle();
        a.settle();
        assertThat(commits).containsExactly("after-a");
        assertThat(ledger.pending()).isEqualTo(1);
        b.settle();
        assertThat(commits).containsExactly("after-a", "after-b");
    }

    @Test
    void aReaderWaitsWhileTooManyEventsAreInFlight() throws Exception {
        InFlight two = new InFlight(2);
        DeliveryLedger<String> twoAtATime = new DeliveryLedger<>(commits::add, two);
        Receipt a = twoAtATime.track("after-a");
        twoAtATime.track("after-b");
        CompletableFuture<Receipt> third = waiting(() -> twoAtATime.track("after-c"));

        assertThat(two.count()).isEqualTo(2);
        a.settle();
        assertThat(third.get(5, TimeUnit.SECONDS)).isNotNull();
        assertThat(two.count()).isEqualTo(2);
    }

    @Test
    void aReaderWaitsWhileTheEventsInFlightWeighTooMuchHoweverFewTheyAre() throws Exception {
        Receipt a = bounded.track("after-a", 400);
        Receipt b = bounded.track("after-b", 400);
        CompletableFuture<Receipt> third = waiting(() -> bounded.track("after-c", 300));

        assertThat(inFlight.bytes()).isEqualTo(800);
        assertThat(bounded.pendingBytes()).isEqualTo(800);
        b.settle(); // 400 back: room for 300
        assertThat(third.get(5, TimeUnit.SECONDS)).isNotNull();
        assertThat(inFlight.bytes()).isEqualTo(700);
        a.settle();
        assertThat(inFlight.bytes()).isEqualTo(300);
        assertThat(bounded.pendingBytes()).isEqualTo(300);
        assertThat(commits).containsExactly("after-b");
    }

    @Test
    void anEventLargerThanHalfTheBudgetIsChargedHalfOfIt() throws Exception {
        Receipt heldByTheWriter = bounded.track("after-held", 500);
        Receipt earlier = bounded.track("after-earlier", 100);
        CompletableFuture<Receipt> huge = waiting(() -> bounded.track("after-huge", 5_000));

        earlier.settle(); // the writer's half is still held: half is free
        Receipt read = huge.get(5, TimeUnit.SECONDS);
        assertThat(inFlight.bytes()).as("charged half the budget, not more").isEqualTo(1_000);
        heldByTheWriter.settle();
        read.settle();
        assertThat(inFlight.bytes()).isZero();
        assertThat(inFlight.count()).isZero();
    }

    @Test
    void theDefaultByteBudgetIsAnEighthOfTheHeapAndAtLeastEightMebibytes() {
        assertThat(InFlight.byteLimitFor(256L << 20)).isEqualTo(32 << 20);
        assertThat(InFlight.byteLimitFor(16L << 20)).isEqualTo(8 << 20);
        assertThat(InFlight.byteLimitFor(64L << 30)).isEqualTo(Integer.MAX_VALUE);
        assertThat(InFlight.DEFAULT_BYTE_LIMIT).isEqualTo(InFlight.byteLimitFor(Runtime.getRuntime().maxMemory()));
    }

    @Test
    void staysCorrectAcrossCompactionOfLongRuns() {
        List<Receipt> sequences = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            sequences.add(ledger.track("after-" + i));
        }
        for (int i = 0; i < 20_000; i += 2) {
            sequences.get(i + 1).settle();
            sequences.get(i).settle();
        }
        assertThat(commits).hasSize(10_000).last().isEqualTo("after-19999");
        assertThat(ledger.idle()).isTrue();
        Receipt next = ledger.track("after-next");
        next.settle();
        assertThat(commits).last().isEqualTo("after-next");
    }

    /** Reads on another thread, and checks that the read waits. */
    private static CompletableFuture<Receipt> waiting(Supplier<Receipt> read) {
        CompletableFuture<Receipt> future = CompletableFuture.supplyAsync(read);
        Awaitility.await().during(Duration.ofMillis(300)).until(() -> !future.isDone());
        return future;
    }
}
