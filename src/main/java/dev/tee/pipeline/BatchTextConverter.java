package dev.tee.pipeline;

import java.io.ByteArrayOutputStream;

import dev.tee.event.AuditEvent;
import dev.tee.event.Batch;

/**
 * The {@code batchText} bean, for routes that tap delivered batches ({@code seda:audit-delivered}):
 * a batch as JSON lines, each event exactly as the exporter sends it to Fluentd.
 */
public final class BatchTextConverter {

    /** One line per event, in the Go handler's JSON (keys sorted), each ending with a newline. */
    public byte[] jsonLines(Batch batch) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(batch.size() * 512);
        for (AuditEvent event : batch.events()) {
            out.writeBytes(event.json());
            out.write('\n');
        }
        return out.toByteArray();
    }
}
