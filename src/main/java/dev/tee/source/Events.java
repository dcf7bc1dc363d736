package dev.tee.source;

import java.time.Instant;

import dev.tee.event.AuditEvent;
import dev.tee.state.Receipt;
import dev.tee.teleport.proto.raw.RawEvent;

/** Turns Teleport's unstructured events into the pipeline's {@link AuditEvent}s. */
final class Events {

    private Events() {
    }

    static AuditEvent toAuditEvent(RawEvent item, Receipt receipt) {
        Instant time = Instant.ofEpochSecond(item.getTime().getSeconds(), item.getTime().getNanos());
        return new AuditEvent(item.getId(), item.getType(), time, item.getIndex(), item.getUnstructured().toByteArray(), receipt);
    }
}
