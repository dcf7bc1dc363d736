package dev.tee.sink.fluentd;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLPeerUnverifiedException;

import dev.tee.config.ConfigException;
import dev.tee.event.AuditEvent;
import dev.tee.event.Batch;
import dev.tee.sink.DeadLetter;
import dev.tee.sink.OutputCounters;
import org.apache.camel.Exchange;
import org.apache.camel.Predicate;
import org.apache.hc.core5.http.NoHttpResponseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code fluentd} bean of the fluentd-deliver route (routes/deliver-fluentd.yaml), which POSTs
 * a batch to Fluentd's in_http through camel-http until every event is settled: this bean says what
 * each POST carries and what Fluentd's answer means. 200 settles what was sent; a refusal (4xx) is
 * narrowed down to the events Fluentd refuses, whose dead letters the route writes (direct:dead-letter)
 * before they are settled; anything else is a
 * {@link FluentdUnavailableException} that the caller retries (the audit route redelivers, the
 * session export waits). Delivering the same Batch again sends only its unsettled events.
 */
public final class FluentdSink implements OutputCounters {

    /** The route's endpoint; the body is a {@link Batch}. */
    public static final String ENDPOINT = "direct:fluentd-deliver";
    /** Header naming another URL than {@code forward.fluentd.url} (session recordings). */
    public static final String TARGET_HEADER = "FluentdTarget";

    static final String URL_KEY = "forward.fluentd.url";
    /** How much of a response body is kept (for dead letters and messages). */
    static final int RESPONSE_LIMIT = 1024;

    private static final String BATCH = "FluentdBatch";
    private static final String TARGET = "FluentdUrl";
    private static final String SENT = "FluentdSent";
    private static final String NARROWING = "FluentdNarrowing";
    private static final String REFUSED = "FluentdRefused";
    private static final String TALLY = "FluentdTally";
    private static final Logger LOG = LoggerFactory.getLogger(FluentdSink.class);
    private static final int LOGGED_RESPONSE_CHARS = 200;

    private final FluentdTls tls;
    private final String url;
    private final BatchMode mode;

    /** The audit log's counts, which the metrics report; session recordings count apart. */
    private final Tally audit = new Tally();
    private final Tally sessions = new Tally();
    private final AtomicLong requestsFailed = new AtomicLong();

    /**
     * @param tls the endpoint's TLS side, for what a failed handshake means
     * @param url {@code forward.fluentd.url}, where audit events go
     * @param mode {@code forward.fluentd.batch-mode}
     */
    public FluentdSink(FluentdTls tls, String url, BatchMode mode) {
        this.tls = tls;
        this.url = checkedUrl(url);
        this.mode = mode;
    }

    /** The route's first step: keeps the batch and its URL aside, as the body becomes each request in turn. */
    public void begin(Exchange exchange) {
        Batch batch = exchange.getMessage().getBody(Batch.class);
        String target = exchange.getMessage().getHeader(TARGET_HEADER, String.class);
        exchange.setProperty(BATCH, batch);
        exchange.setProperty(TARGET, target == null ? url : target);
        exchange.setProperty(TALLY, target == null ? audit : sessions);
        requestHeaders(exchange);
    }

    /**
     * Only the headers of a POST to the batch's URL: the dead-letter route may have added its own. The
     * audit log's URL is the endpoint's own ({@code forward.fluentd.url}), which camel-http parsed once;
     * a URL in the CamelHttpUri header, a session's, is parsed at every POST.
     */
    private void requestHeaders(Exchange exchange) {
        exchange.getMessage().removeHeaders("*");
        String target = exchange.getProperty(TARGET, String.class);
        if (!url.equals(target)) {
            exchange.getMessage().setHeader(Exchange.HTTP_URI, target);
        }
        exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, "application/json");
    }

    /** Whether the route's loop has more to send: some event of the batch is not settled yet. */
    public boolean hasUnsettled(Exchange exchange) {
        return !batch(exchange).allSettled();
    }

    /**
     * {@link #hasUnsettled} as the loop's predicate, the {@code fluentdUnsettled} bean (routes name it
     * with the ref language: a {@code method:} expression copies the exchange at every call).
     */
    public Predicate unsettled() {
        return this::hasUnsettled;
    }

    /**
     * What the next POST carries, as the body: the unsettled events, or, in single mode or while
     * narrowing down a refusal, the first unsettled event alone ({@link GoJsonBody} writes them).
     */
    public void nextRequest(Exchange exchange) {
        Batch batch = batch(exchange);
        List<Integer> pending = unsettled(batch);
        boolean one = mode == BatchMode.SINGLE || pending.size() == 1
                || Boolean.TRUE.equals(exchange.getProperty(NARROWING, Boolean.class));
        List<Integer> sent = one ? pending.subList(0, 1) : pending;
        exchange.setProperty(SENT, sent);
        List<AuditEvent> events = new ArrayList<>(sent.size());
        for (int position : sent) {
            events.add(batch.events().get(position));
        }
        exchange.getMessage().setBody(events);
    }

    /**
     * Fluentd's answer to the last POST: 200 settles its events; a refusal of several events starts
     * sending them one by one; a refusal of one makes the body its {@link DeadLetter}, which the route
     * writes before {@link #deadLettered} settles the event; anything else is thrown.
     *
     * @throws FluentdUnavailableException for any other status (5xx, 408, 429, other 2xx, 3xx)
     */
    @SuppressWarnings("unchecked")
    public void answered(Exchange exchange) {
        int status = exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, 0, Integer.class);
        Batch batch = batch(exchange);
        List<Integer> sent = exchange.getProperty(SENT, List.class);
        Tally tally = exchange.getProperty(TALLY, Tally.class);
        String target = exchange.getProperty(TARGET, String.class);
        if (status == 200) {
            sent.forEach(batch::settle);
            tally.sent.addAndGet(sent.size());
            if (!hasUnsettled(exchange)) {
                tally.batches.incrementAndGet();
            }
            return;
        }
        requestsFailed.incrementAndGet();
        if (!rejected(status)) {
            throw unavailable(target, status);
        }
        if (sent.size() > 1) {
            // one bad event must not hold back the others: find it by sending them one by one
            LOG.debug("Fluentd at {} rejected a batch of {} with {}; sending its events one by one",
                    printable(target), sent.size(), status);
            exchange.setProperty(NARROWING, true);
            return;
        }
        AuditEvent event = batch.events().get(sent.get(0));
        String response = head(exchange.getMessage().getBody(String.class));
        DeadLetter letter = DeadLetter.of(event, status, response, printable(target));
        exchange.setProperty(REFUSED, letter);
        exchange.getMessage().setBody(letter);
    }

    /** The refused event's dead letter is written: the event is settled, and the POSTs go on. */
    @SuppressWarnings("unchecked")
    public void deadLettered(Exchange exchange) {
        Batch batch = batch(exchange);
        int position = ((List<Integer>) exchange.getProperty(SENT, List.class)).get(0);
        DeadLetter letter = exchange.getProperty(REFUSED, DeadLetter.class);
        AuditEvent event = batch.events().get(position);
        batch.settle(position);
        Tally tally = exchange.getProperty(TALLY, Tally.class);
        tally.deadLettered.incrementAndGet();
        LOG.warn("dead-lettered event {} ({}) to {}: Fluentd answered {}: {}", event.id(), event.type(),
                DeadLetter.FILE_NAME, letter.status(), oneLine(letter.response()));
        exchange.removeProperty(REFUSED);
        requestHeaders(exchange);
        if (!hasUnsettled(exchange)) {
            tally.batches.incrementAndGet();
        }
    }

    /**
     * The route's last step: the body is the batch again, and the exchange carries none of this bean's
     * properties on (the caller's error handler copies the exchange, properties and all, before each
     * of its next steps).
     */
    public void end(Exchange exchange) {
        exchange.getMessage().removeHeaders("*");
        exchange.getMessage().setBody(batch(exchange));
        for (String property : List.of(BATCH, TARGET, SENT, NARROWING, REFUSED, TALLY)) {
            exchange.removeProperty(property);
        }
    }

    /**
     * The POST got no answer (refused, timed out, TLS failure): says why, in one sentence.
     *
     * @throws FluentdUnavailableException always
     */
    public void unreachable(Exchange exchange) {
        requestsFailed.incrementAndGet();
        Exception caught = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        IOException e = caught instanceof IOException io ? io : new IOException(String.valueOf(caught), caught);
        String hint = !tls.presentsCertificate() && (e instanceof SSLException || e instanceof SocketException)
                ? " (no client certificate is set; Fluentd with client_cert_auth needs " + FluentdTls.CERT_KEY
                        + " and " + FluentdTls.KEY_KEY + ")"
                : "";
        String target = exchange.getProperty(TARGET, String.class);
        throw new FluentdUnavailableException("Fluentd at " + printable(target) + " " + problem(e) + hint, e);
    }

    private static Batch batch(Exchange exchange) {
        return exchange.getProperty(BATCH, Batch.class);
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
                "Fluentd at " + printable(target) + " answered " + status + " (expected 200)", status);
    }

    /** What went wrong, as the rest of a sentence that starts with "Fluentd at URL". */
    private String problem(IOException e) {
        String alert = e instanceof SSLException ? receivedAlert(e.getMessage()) : null;
        if (alert != null && !alert.contains("certificate") && !alert.equals("unknown_ca")) {
            // e.g. internal_error: the answer of Fluentd's OpenSSL to a resumed session (fluent/fluentd#3632)
            return "refuses the TLS handshake: it sent the alert " + alert;
        }
        return "is unreachable: " + describe(e);
    }

    /** The alert name in the JDK's "Received fatal alert: NAME", or null. */
    static String receivedAlert(String message) {
        String marker = "Received fatal alert: ";
        int at = message == null ? -1 : message.indexOf(marker);
        return at < 0 ? null : message.substring(at + marker.length()).strip();
    }

    private String describe(IOException e) {
        if (e instanceof SSLPeerUnverifiedException) {
            return "TLS: the server certificate does not match the host name (" + e.getMessage() + ")";
        }
        if (e instanceof SSLHandshakeException) {
            if (causedBy(e, CertPathBuilderException.class) || causedBy(e, CertPathValidatorException.class)) {
                return "TLS: the server certificate is not signed by a CA in " + tls.trustSource();
            }
            String message = String.valueOf(e.getMessage());
            if (message.contains("No subject alternative") || message.contains("No name matching")) {
                return "TLS: the server certificate does not match the host name (" + message + ")";
            }
            if (message.contains("fatal alert") && message.contains("certificate")) {
                return "TLS: Fluentd refused our client certificate (" + FluentdTls.CERT_KEY + "): " + message;
            }
            return "TLS handshake failed: " + message;
        }
        if (e instanceof ConnectException) {
            return "connection refused";
        }
        if (e instanceof InterruptedIOException) {
            return "timed out";
        }
        if (e instanceof UnknownHostException) {
            return "unknown host " + e.getMessage();
        }
        if (e instanceof NoHttpResponseException) {
            return "the connection closed without an answer";
        }
        return e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (type.isInstance(cause)) {
                return true;
            }
        }
        return false;
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

    private static String head(String response) {
        if (response == null) {
            return "";
        }
        byte[] bytes = response.getBytes(StandardCharsets.UTF_8);
        return bytes.length <= RESPONSE_LIMIT ? response
                : new String(bytes, 0, RESPONSE_LIMIT, StandardCharsets.UTF_8);
    }

    private static String oneLine(String response) {
        String line = response.strip().replaceAll("\\s*[\\r\\n]+\\s*", " / ");
        return line.length() <= LOGGED_RESPONSE_CHARS ? line : line.substring(0, LOGGED_RESPONSE_CHARS) + "...";
    }

    /** The URL without user info or query, for messages. */
    static String printable(String url) {
        try {
            URI uri = URI.create(url);
            return uri.getScheme() + "://" + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort())
                    + (uri.getRawPath() == null ? "" : uri.getRawPath());
        } catch (IllegalArgumentException e) {
            return "(malformed URL)";
        }
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

    /** Events acknowledged, events dead-lettered and batches completed, for one kind of events. */
    private static final class Tally {
        final AtomicLong sent = new AtomicLong();
        final AtomicLong deadLettered = new AtomicLong();
        final AtomicLong batches = new AtomicLong();
    }
}
