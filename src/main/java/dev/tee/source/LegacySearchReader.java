package dev.tee.source;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import com.google.protobuf.Timestamp;
import dev.tee.event.AuditEvent;
import dev.tee.state.DeliveryLedger;
import dev.tee.teleport.proto.raw.RawEvent;
import dev.tee.teleport.proto.raw.RawEvents;
import dev.tee.teleport.proto.auditlog.GetUnstructuredEventsRequest;
import dev.tee.teleport.proto.auditlog.Order;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the audit log with {@code GetUnstructuredEvents}: windows of `window-size` from the start time
 * to now, ascending, pages of `page-size` events (the Go handler asks for
 * `batch` at a time, event-handler.md §2.4; the cursor does not depend on the page size).
 *
 * <p>A page with a {@code last_key} is never the end, however short it is (Teleport caps pages at
 * about 1 MiB). A window is left only once it lies wholly in the past and has no further page. In the
 * window that reaches the present, the last page is fetched again on every poll and events up to the
 * last one seen are skipped, which is how new events are found. Every event and every move of the
 * read position is registered with the {@link DeliveryLedger}, which decides what may be saved.
 */
public final class LegacySearchReader implements AuditSource {

    private static final Logger LOG = LoggerFactory.getLogger(LegacySearchReader.class);

    private final Function<GetUnstructuredEventsRequest, RawEvents> search;
    private final DeliveryLedger<LegacyCursor> ledger;
    private final Duration windowSize;
    private final int pageSize;
    private final List<String> types;
    private final Clock clock;

    private volatile Instant windowStart;
    private String pageKey;
    private String skipThrough;
    private volatile boolean caughtUp;
    private volatile Instant readPosition;

    public LegacySearchReader(Function<GetUnstructuredEventsRequest, RawEvents> search,
            DeliveryLedger<LegacyCursor> ledger, LegacyCursor resumeAt, Duration windowSize, int pageSize,
            List<String> types, Clock clock) {
        this.search = search;
        this.ledger = ledger;
        this.windowSize = windowSize;
        this.pageSize = pageSize;
        this.types = List.copyOf(types);
        this.clock = clock;
        this.windowStart = resumeAt.windowStart();
        this.pageKey = resumeAt.pageKey();
        this.skipThrough = resumeAt.lastEventId();
    }

    @Override
    public boolean caughtUp() {
        return caughtUp;
    }

    @Override
    public boolean idle() {
        return ledger.idle();
    }

    @Override
    public long unsettled() {
        return ledger.pending();
    }

    @Override
    public long unsettledBytes() {
        return ledger.pendingBytes();
    }

    /** Pages come in ascending time order: the last event read, or the start of the window being read. */
    @Override
    public Instant readPosition() {
        Instant position = readPosition;
        return position == null ? windowStart : position;
    }

    /** Fetches the next page; the poll route calls this until the page says it caught up. */
    public synchronized Page nextPage() {
        Page page = readPage();
        caughtUp = page.caughtUp();
        if (!page.events().isEmpty()) {
            readPosition = page.events().get(page.events().size() - 1).time();
        } else if (caughtUp) {
            readPosition = clock.instant();
        } else {
            readPosition = windowStart;
        }
        return page;
    }

    private Page readPage() {
        Instant now = clock.instant();
        if (windowStart.isAfter(now)) {
            return new Page(List.of(), true);
        }
        Instant fullWindowEnd = windowStart.plus(windowSize);
        boolean windowInPast = !fullWindowEnd.isAfter(now);
        // Teleport's range is inclusive at both ends; windows are half-open so that an event exactly
        // on a boundary belongs to one window only.
        Instant windowEnd = windowInPast ? fullWindowEnd.minusNanos(1) : now;

        RawEvents response = search.apply(GetUnstructuredEventsRequest.newBuilder()
                .setNamespace("default")
                .setStartDate(timestamp(windowStart))
                .setEndDate(timestamp(windowEnd))
                .addAllEventTypes(types)
                .setLimit(pageSize)
                .setStartKey(pageKey)
                .setOrder(Order.ORDER_ASCENDING)
                .build());

        List<RawEvent> items = unseen(response.getItemsList());
        List<AuditEvent> events = new ArrayList<>(items.size());
        for (RawEvent item : items) {
            events.add(Events.toAuditEvent(item, ledger.track(new LegacyCursor(windowStart, pageKey, item.getId()),
                    item.getUnstructured().size())));
        }
        if (!items.isEmpty()) {
            skipThrough = items.get(items.size() - 1).getId();
        }

        if (!response.getLastKey().isEmpty()) {
            pageKey = response.getLastKey();
            skipThrough = null;
            ledger.mark(new LegacyCursor(windowStart, pageKey, null));
            return new Page(events, false);
        }
        if (windowInPast) {
            LOG.debug("window {} .. {} exported", windowStart, fullWindowEnd);
            windowStart = fullWindowEnd;
            pageKey = "";
            skipThrough = null;
            ledger.mark(LegacyCursor.startingAt(windowStart));
            return new Page(events, false);
        }
        return new Page(events, true);
    }

    /** The page's events after the last one already handled; all of them if that one is not on the page. */
    private List<RawEvent> unseen(List<RawEvent> items) {
        if (skipThrough == null) {
            return items;
        }
        for (int i = 0; i < items.size(); i++) {
            if (items.get(i).getId().equals(skipThrough)) {
                return items.subList(i + 1, items.size());
            }
        }
        return items;
    }

    private static Timestamp timestamp(Instant instant) {
        return Timestamp.newBuilder().setSeconds(instant.getEpochSecond()).setNanos(instant.getNano()).build();
    }
}
