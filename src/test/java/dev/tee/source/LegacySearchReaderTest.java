package dev.tee.source;

import static dev.tee.testing.RawTwins.raw;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.Value;
import dev.tee.event.AuditEvent;
import dev.tee.state.DeliveryLedger;
import dev.tee.teleport.proto.auditlog.EventUnstructured;
import dev.tee.teleport.proto.auditlog.EventsUnstructured;
import dev.tee.teleport.proto.auditlog.GetUnstructuredEventsRequest;
import org.junit.jupiter.api.Test;

class LegacySearchReaderTest {

    private static final Instant START = Instant.parse("2026-11-20T00:00:00Z");
    private static final Instant NOW = Instant.parse("2026-11-23T12:00:00Z");

    private final List<EventUnstructured> log = new ArrayList<>();
    private final List<GetUnstructuredEventsRequest> requests = new ArrayList<>();
    private final List<LegacyCursor> commits = new ArrayList<>();
    private final DeliveryLedger<LegacyCursor> ledger = new DeliveryLedger<>(commits::add);
    private int maxItemsPerPage = Integer.MAX_VALUE;

    /** A minimal audit log with keyset paging: the key is the offset of the next event. */
    private final Function<GetUnstructuredEventsRequest, EventsUnstructured> search = request -> {
        requests.add(request);
        Instant from = instant(request.getStartDate());
        Instant to = instant(request.getEndDate());
        List<EventUnstructured> inRange = log.stream()
                .filter(e -> !instant(e.getTime()).isBefore(from) && !instant(e.getTime()).isAfter(to)).toList();
        int offset = request.getStartKey().isEmpty() ? 0 : Integer.parseInt(request.getStartKey());
        int size = Math.min(Math.min(request.getLimit(), maxItemsPerPage), inRange.size() - offset);
        EventsUnstructured.Builder page = EventsUnstructured.newBuilder()
                .addAllItems(inRange.subList(offset, offset + size));
        if (offset + size < inRange.size() || size == request.getLimit()) {
            page.setLastKey(Integer.toString(offset + size));
        }
        return page.build();
    };

    @Test
    void readsEveryEventOnceThroughWindowsAndPagesThenCatchesUp() {
        for (int i = 0; i < 25; i++) {
            add("e" + i, START.plus(Duration.ofHours(3 * i)));
        }
        LegacySearchReader reader = reader(LegacyCursor.startingAt(START), 4);

        List<String> ids = new ArrayList<>();
        Page page;
        do {
            page = reader.nextPage();
            page.events().forEach(e -> ids.add(e.id()));
        } while (!page.caughtUp());

        assertThat(ids).hasSize(25).doesNotHaveDuplicates().startsWith("e0", "e1").endsWith("e24");
        assertThat(requests).allSatisfy(r -> {
            assertThat(r.getLimit()).isEqualTo(4);
            assertThat(r.getNamespace()).isEqualTo("default");
            assertThat(instant(r.getEndDate())).isBeforeOrEqualTo(NOW);
            assertThat(Duration.between(instant(r.getStartDate()), instant(r.getEndDate()))).isLessThanOrEqualTo(Duration.ofDays(1));
        });
    }

    @Test
    void aShortPageWithALastKeyIsNotTheEnd() {
        for (int i = 0; i < 10; i++) {
            add("e" + i, NOW.minusSeconds(100 - i));
        }
        maxItemsPerPage = 3; // as Teleport's 1 MiB cap shortens pages
        LegacySearchReader reader = reader(LegacyCursor.startingAt(NOW.minusSeconds(3600)), 20);

        List<String> ids = new ArrayList<>();
        Page page;
        do {
            page = reader.nextPage();
            page.events().forEach(e -> ids.add(e.id()));
        } while (!page.caughtUp());
        assertThat(ids).hasSize(10).doesNotHaveDuplicates();
    }

    @Test
    void findsNewEventsOnTheLastPageWithoutRepeatingOldOnes() {
        add("old-1", NOW.minusSeconds(50));
        add("old-2", NOW.minusSeconds(40));
        LegacySearchReader reader = reader(LegacyCursor.startingAt(NOW.minusSeconds(3600)), 20);
        assertThat(ids(reader.nextPage())).containsExactly("old-1", "old-2");
        assertThat(ids(reader.nextPage())).isEmpty();

        add("new-1", NOW.minusSeconds(30));
        Page page = reader.nextPage();
        assertThat(ids(page)).containsExactly("new-1");
        assertThat(page.caughtUp()).isTrue();
    }

    @Test
    void resumesAfterTheLastHandledEventOfTheSavedPage() {
        for (int i = 0; i < 6; i++) {
            add("e" + i, NOW.minusSeconds(60 - i));
        }
        LegacySearchReader reader = reader(new LegacyCursor(NOW.minusSeconds(3600), "", "e2"), 20);
        assertThat(ids(reader.nextPage())).containsExactly("e3", "e4", "e5");
    }

    @Test
    void theCommittedCursorNeverPassesAnUnsettledEvent() {
        for (int i = 0; i < 6; i++) {
            add("e" + i, NOW.minusSeconds(60 - i));
        }
        LegacySearchReader reader = reader(LegacyCursor.startingAt(NOW.minusSeconds(3600)), 4);
        List<AuditEvent> first = reader.nextPage().events();
        List<AuditEvent> second = reader.nextPage().events();
        assertThat(first).hasSize(4);
        assertThat(second).hasSize(2);

        second.get(0).receipt().settle();
        first.get(0).receipt().settle();
        assertThat(commits).last().isEqualTo(new LegacyCursor(NOW.minusSeconds(3600), "", "e0"));

        first.forEach(e -> e.receipt().settle());
        assertThat(commits).last().isEqualTo(new LegacyCursor(NOW.minusSeconds(3600), "4", "e4"));
    }

    private LegacySearchReader reader(LegacyCursor from, int pageSize) {
        return new LegacySearchReader(request -> raw(search.apply(request)), ledger, from, Duration.ofDays(1), pageSize, List.of(),
                Clock.fixed(NOW, ZoneOffset.UTC));
    }

    @Test
    void theEventsReadAndNotSettledWeighTheirSizeOnTheWire() {
        Struct fields = Struct.newBuilder().putFields("query", Value.newBuilder()
                .setStringValue("x".repeat(1000)).build()).build();
        for (int i = 0; i < 3; i++) {
            log.add(EventUnstructured.newBuilder().setId("e" + i).setType("db.session.query")
                    .setTime(Timestamp.newBuilder().setSeconds(NOW.minusSeconds(60 - i).getEpochSecond()))
                    .setUnstructured(fields).build());
        }
        LegacySearchReader reader = reader(LegacyCursor.startingAt(NOW.minusSeconds(3600)), 20);

        List<AuditEvent> events = reader.nextPage().events();
        assertThat(events).hasSize(3);
        assertThat(reader.unsettled()).isEqualTo(3);
        assertThat(reader.unsettledBytes()).isEqualTo(3L * fields.getSerializedSize());
        events.get(0).receipt().settle();
        assertThat(reader.unsettledBytes()).isEqualTo(2L * fields.getSerializedSize());
    }

    private void add(String id, Instant time) {
        log.add(EventUnstructured.newBuilder().setId(id).setType("user.login")
                .setTime(Timestamp.newBuilder().setSeconds(time.getEpochSecond()).setNanos(time.getNano()))
                .setUnstructured(Struct.getDefaultInstance()).build());
    }

    private static List<String> ids(Page page) {
        return page.events().stream().map(AuditEvent::id).toList();
    }

    private static Instant instant(Timestamp t) {
        return Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
    }
}
