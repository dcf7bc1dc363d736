package dev.tee.sink.fluentd;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import dev.tee.config.ConfigException;
import dev.tee.event.AuditEvent;
import dev.tee.event.Batch;
import dev.tee.sink.DeadLetters;
import dev.tee.sink.OutputCounters;
import dev.tee.sink.Sink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers batches of events to Fluentd: 200 settles what was sent, a rejection (4xx) is narrowed
 * down to the events Fluentd refuses, which go to the dead-letter file, and anything else is a
 * {@link FluentdUnavailableException} for the route to retry. Re-calling {@link #deliver} on the same
 * Batch after a failure sends only its unsettled events.
 */
public final class FluentdSink implements Sink, OutputCounters {

    static final String URL_KEY = "forward.fluentd.url";

    private static final Logger LOG = LoggerFactory.getLogger(FluentdSink.class);
    private static final int LOGGED_RESPONSE_CHARS = 200;

    private final FluentdClient client;
    private final String url;
    private final BatchMode mode;
    private final DeadLetters deadLetters;

    /** The audit log's counts, which the metrics report; session recordings count apart. */
    private final Tally audit = new Tally();
    private final Tally sessions = new Tally();
    private final AtomicLong requestsFailed = new AtomicLong();

    /**
     * @param client the connection pool to Fluentd (closed with this sink)
     * @param url {@code forward.fluentd.url}, where audit events go
     * @param mode {@code forward.fluentd.batch-mode}
     * @param stateDirectory {@code storage}: where {@code dead-letter.jsonl} is written
     */
    public FluentdSink(FluentdClient client, String url, BatchMode mode, Path stateDirectory) {
        this.client = client;
        this.url = checkedUrl(url);
        this.mode = mode;
        this.deadLetters = new DeadLetters(stateDirectory);
    }

    /** Delivers {@code batch} to the audit URL; see {@link #deliver(String, Batch)}. */
    @Override
    public void deliver(Batch batch) {
        deliver(url, batch, audit);
    }

    /**
     * Delivers the unsettled events of {@code batch} to {@code target} and settles each one Fluentd
     * accepted (200) or rejected (4xx, dead-lettered). Returns when every event is settled.
     *
     * @throws FluentdUnavailableException when Fluentd cannot take them now; the events settled so far
     *     stay settled, so calling again with the same batch resumes where this call stopped
     */
    public void deliver(String target, Batch batch) {
        deliver(target, batch, sessions);
    }

    private void deliver(String target, Batch batch, Tally tally) {
        List<Integer> pending = unsettled(batch);
        if (pending.isEmpty()) {
            return;
        }
        if (mode == BatchMode.BATCH && pending.size() > 1) {
            FluentdClient.Response response = post(target, array(batch, pending));
            if (response.status() == 200) {
                pending.forEach(batch::settle);
                tally.sent.addAndGet(pending.size());
            } else if (rejected(response.status())) {
                // one bad event must not hold back the others: find it by sending them one by one
                LOG.debug("Fluentd at {} rejected a batch of {} with {}; sending its events one by one",
                        FluentdClient.printable(target), pending.size(), response.status());
                sendEach(target, batch, pending, tally);
            } else {
                throw unavailable(target, response.status());
            }
        } else {
            sendEach(target, batch, pending, tally);
        }
        tally.batches.incrementAndGet();
    }

    private void sendEach(String target, Batch batch, List<Integer> positions, Tally tally) {
        for (int position : positions) {
            AuditEvent event = batch.events().get(position);
            FluentdClient.Response response = post(target, event.json());
            if (response.status() == 200) {
                batch.settle(position);
                tally.sent.incrementAndGet();
            } else if (rejected(response.status())) {
                deadLetters.append(event, response.status(), response.body(), FluentdClient.printable(target));
                batch.settle(position);
                tally.deadLettered.incrementAndGet();
                LOG.warn("dead-lettered event {} ({}): Fluentd answered {}: {}", event.id(), event.type(),
                        response.status(), oneLine(response.body()));
            } else {
                throw unavailable(target, response.status());
            }
        }
    }

    private FluentdClient.Response post(String target, byte[] body) {
        try {
            FluentdClient.Response response = client.post(target, body);
            if (response.status() != 200) {
                requestsFailed.incrementAndGet();
            }
            return response;
        } catch (FluentdUnavailableException e) {
            requestsFailed.incrementAndGet();
            throw e;
        }
    }

    /**
     * A 4xx other than 408 and 429 is Fluentd refusing the content (in_http: 400 for a bad time, 413
     * for too large), which resending cannot fix; 408 and 429 only ask us to come back later.
     */
    private static boolean rejected(int status) {
        return status >= 400 && status < 500 && status != 408 && status != 429;
    }

    private static FluentdUnavailableException unavailable(String target, int status) {
        return new FluentdUnavailableException(
                "Fluentd at " + FluentdClient.printable(target) + " answered " + status + " (expected 200)", status);
    }

    private static List<Integer> unsettled(Batch batch) {
        List<Integer> positions = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            if (!batch.isSettled(i)) {
                positions.add(i);
            }
        }
        return positions;
    }

    /** The JSON array of the events at {@code positions}, each exactly as the Go handler would post it. */
    private static byte[] array(Batch batch, List<Integer> positions) {
        int size = 2 + positions.size();
        for (int position : positions) {
            size += batch.events().get(position).json().length;
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream(size);
        body.write('[');
        for (int i = 0; i < positions.size(); i++) {
            if (i > 0) {
                body.write(',');
            }
            body.writeBytes(batch.events().get(positions.get(i)).json());
        }
        body.write(']');
        return body.toByteArray();
    }

    private static String oneLine(String response) {
        String line = response.strip().replaceAll("\\s*[\\r\\n]+\\s*", " / ");
        return line.length() <= LOGGED_RESPONSE_CHARS ? line : line.substring(0, LOGGED_RESPONSE_CHARS) + "...";
    }

    private static String checkedUrl(String url) {
        if (url == null || url.isBlank()) {
            throw new ConfigException(URL_KEY + ": required");
        }
        try {
            URI uri = new URI(url);
            if (!"https".equalsIgnoreCase(uri.getScheme()) && !"http".equalsIgnoreCase(uri.getScheme())
                    || uri.getHost() == null) {
                throw new ConfigException(URL_KEY + ": '" + url + "' is not an http(s) URL with a host");
            }
        } catch (URISyntaxException e) {
            throw new ConfigException(URL_KEY + ": '" + url + "' is not a valid URL (" + e.getReason() + ")");
        }
        return url;
    }

    // The counters below are the audit log's (session recordings have their own, in dev.tee.session)

    /** Audit events Fluentd acknowledged with 200. */
    public long eventsSent() {
        return audit.sent.get();
    }

    /** Audit batches whose every event is settled. */
    public long batchesSent() {
        return audit.batches.get();
    }

    /** POSTs that did not end in 200 (no answer, or another status). */
    public long requestsFailed() {
        return requestsFailed.get();
    }

    /** Audit events written to the dead-letter file. */
    public long deadLettered() {
        return audit.deadLettered.get();
    }

    @Override
    public long eventsDelivered() {
        return eventsSent();
    }

    @Override
    public long eventsDeadLettered() {
        return deadLettered();
    }

    @Override
    public long requestsCompleted() {
        return batchesSent();
    }

    /** The dead-letter file (it exists once the first event is dead-lettered). */
    public Path deadLetterFile() {
        return deadLetters.file();
    }

    /** Closes the connection pool. */
    @Override
    public void close() {
        client.close();
    }

    /** Events acknowledged, events dead-lettered and batches completed, for one kind of events. */
    private static final class Tally {
        final AtomicLong sent = new AtomicLong();
        final AtomicLong deadLettered = new AtomicLong();
        final AtomicLong batches = new AtomicLong();
    }

}
