package dev.tee.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stand-in against real Fluentd 1.18.0 ({@code run-fluentd}, the source, {@code <transport tls>} and
 * {@code <parse>} of configure's fluent.conf on 127.0.0.1), compared on 2026-12-06 with openssl s_client,
 * a JDK 17 client and raw requests. What real Fluentd did, and the test that holds the stand-in to it:
 *
 * <pre>
 * request                                      real Fluentd 1.18.0                               test
 * JDK client, one SSLContext, reconnects       ClientHello offers the session ticket: fatal        refusesAClientResumingItsSession...
 *                                              alert internal_error (15 03 03 00 02 02 50), reset, refusesAResumingClientHelloWithTheRaw...
 *                                              "session id context uninitialized"; every reconnect
 * openssl s_client -sess_in (ticket)           the same alert 80                                   (the same code path)
 * openssl -no_ticket -sess_in (session id);   full handshake: OpenSSL caches no such session      doesAFullHandshakeForAClientResuming...
 *   SessionIdClient (JDK without tickets)
 * TLS 1.3 session (pre_shared_key) offered     ignored, full TLS 1.2 handshake                     (Java ignores it too: TLS 1.2 only)
 * new SSLContext per connection                a full handshake each time, 200                     acceptsFreshHandshakesOnEveryReconnect
 * old ticket after a restart                   full handshake; the reconnect after it is refused   aRestartedStandInCannotResume...
 * TLS 1.3-only client                          fatal alert protocol_version                        speaksOnlyTls12AndNoAlpn
 * idle kept-alive connection                   closed 10-11 s after the last bytes read            closesIdleConnectionsAfterTheKeepAlive...
 *                                              (1 s timer), close_notify then reset: read gives -1
 * TCP connection sending no ClientHello        never closed (still open after 25 s)                neverTimesOutAConnectionThatHasNot...
 * Connection: close, HTTP/1.0, GET, OPTIONS,  the same answer, then a reset without close_notify  keepsOneConnectionAlive..., answersGet...,
 *   413, 417, undecodable gzip body                                                                handlesExpectContinue, readsChunked...
 * HTTP/1.0 with Connection: keep-alive         200 with Connection: Keep-Alive, kept open          keepsOneConnectionAlive...
 * array [good time, "bad" time, no time]       400 "invalid time format: value = bad, ...",        answersAnArrayWithOneUnparseable...
 *                                              kept alive, no record of the array kept
 * array with "time":12                         400 "value must be string: 12", nothing kept        answersANonStringTime400...
 * Content-Length 32 MiB + 1, head only         no answer: in_http counts body bytes received       answersTooLargeBodies413OnlyOnce...
 * Content-Length 32 MiB + 1, whole body        413 "Too large" after the last byte, then closed    answersTooLargeBodies413OnlyOnce...
 * chunked: 32 MiB, then a 1-byte chunk         no answer at its size line, 413 at its data byte    answersTooLargeChunkedBodies413...
 * Expect: 100-continue, Content-Length 32 MiB  413 at once, then a reset                           handlesExpectContinue
 * empty body; no Content-Length                200, nothing recorded                               dropsInvalidJsonAndEmptyBodies...
 * Content-Type text/plain, form, none          parsed as JSON all the same, recorded               parsesTheBodyAsJsonWhatever...
 * x-ndjson (2 lines), form "json=..."          200, nothing recorded (not one JSON document)       parsesTheBodyAsJsonWhatever...
 * {..}{..}, {..} trailing, {"uid":, 42         200, nothing recorded                               dropsInvalidJsonAndEmptyBodies...
 * [{..}, 1, "x", [2], null, {..}]              200, the two objects recorded                       takesArraysOfObjectsAndSkips...
 * graceful stop with an idle connection        close_notify then reset                             stopsAndStartsAgainOnTheSamePort
 * </pre>
 *
 * Still different: real Fluentd closes idle connections 10-11 s after the last read, the stand-in at
 * 10 s; after a closing answer Fluentd's close_notify sometimes gets out before the reset (Nagle and
 * timing), the stand-in never sends it; plain HTTP on the TLS port gets no alert from Fluentd, an
 * unexpected_message alert from the stand-in; a session ticket counts as resumable once the running
 * stand-in has issued any, where OpenSSL checks that it can decrypt that very ticket.
 */
class FluentdStandInTest {

    private static final String OK_KEEP_ALIVE =
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n";
    /** How a connection ends: the TLS close_notify (a read gives -1), or a TCP reset without one. */
    private static final String END_OF_STREAM = "end of stream";
    private static final String RESET = "reset";

    @TempDir
    Path dir;

    private TestPki pki;
    private FluentdStandIn standIn;

    @BeforeEach
    void start() {
        pki = TestPki.create(dir);
        standIn = pki.standIn().recordTo(dir.resolve("received.jsonl")).build().start();
    }

    @AfterEach
    void stop() {
        standIn.close();
    }

    @Test
    void acceptsAnEventWithFluentdsExact200AndRecordsItWithoutItsTime() throws Exception {
        String event = "{\"event\":\"user.login\",\"time\":\"2026-11-23T17:22:20.123Z\",\"uid\":\"u-1\"}";
        try (Raw raw = connect()) {
            raw.send(post("/test.log", event));
            assertThat(raw.response()).isEqualTo(OK_KEEP_ALIVE);
        }
        List<ReceivedEvent> events = standIn.events("test.log");
        assertThat(events).hasSize(1);
        ReceivedEvent received = events.get(0);
        assertThat(received.json()).isEqualTo(event);
        assertThat(received.uid()).isEqualTo("u-1");
        assertThat(received.postedTime()).isEqualTo("2026-11-23T17:22:20.123Z");
        assertThat(received.time()).isEqualTo(Instant.parse("2026-11-23T17:22:20Z"));
        assertThat(received.record().toString()).isEqualTo("{\"event\":\"user.login\",\"uid\":\"u-1\"}");
        assertThat(standIn.requestCount()).isEqualTo(1);
    }

    @Test
    void readsTheTimeAsUtcWallClockIgnoringFractionAndOffsetAndUsesNowWhenMissing() throws Exception {
        Instant before = Instant.now().minusSeconds(1);
        try (Raw raw = connect()) {
            raw.send(post("/test.log", "[{\"uid\":\"a\",\"time\":\"2026-11-23T19:22:30+02:00\"},{\"uid\":\"b\"}]"));
            assertThat(raw.response()).isEqualTo(OK_KEEP_ALIVE);
        }
        List<ReceivedEvent> events = standIn.events("test.log");
        assertThat(events.get(0).time()).isEqualTo(Instant.parse("2026-11-23T19:22:30Z"));
        assertThat(events.get(1).time()).isBetween(before, Instant.now());
        assertThat(events.get(1).postedTime()).isNull();
    }

    @Test
    void takesArraysOfObjectsAndSkipsOtherElements() throws Exception {
        try (Raw raw = connect()) {
            raw.send(post("/test.log", "[{\"uid\":\"a\"}, 1, \"x\", [2], null, {\"uid\":\"b\",\"n\":[1,{\"c\":2}]}]"));
            assertThat(raw.response()).isEqualTo(OK_KEEP_ALIVE);
        }
        assertThat(standIn.eventIds("test.log")).containsExactly("a", "b");
        assertThat(standIn.events("test.log").get(1).json()).isEqualTo("{\"uid\":\"b\",\"n\":[1,{\"c\":2}]}");
    }

    @Test
    void parsesTheBodyAsJsonWhateverTheContentType() throws Exception {
        try (Raw raw = connect()) {
            raw.send("POST /test.log HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\n{\"uid\":\"a\"}");
            assertThat(raw.response()).isEqualTo(OK_KEEP_ALIVE);
            raw.send("POST /test.log HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                    + "Content-Length: 11\r\n\r\n{\"uid\":\"b\"}");
            assertThat(raw.response()).isEqualTo(OK_KEEP_ALIVE);
            raw.send("POST /test.log HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n{\"uid\":\"c\"}");
            assertThat(raw.response()).isEqualTo(OK_KEEP_ALIVE);
            // with a <parse> section in_http never looks at the Content-Type: no form fields, no NDJSON
            raw.send("POST /test.log HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                    + "Content-Length: 16\r\n\r\njson={\"uid\":\"d\"}");
            assertThat(raw.response()).isEqualTo(OK_KEEP_ALIVE);
            raw.send("POST /test.log HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\n"
                    + "Content-Length: 23\r\n\r\n{\"uid\":\"e\"}\n{\"uid\":\"f\"}");
            assertThat(raw.response()).isEqualTo(OK_KEEP_ALIVE);
        }
        assertThat(standIn.eventIds("test.log")).containsExactly("a", "b", "c");
    }

    @Test
    void answersANonStringTime400WithFluentdsMessageAndRecordsNothingOfTheRequest() throws Exception {
        try (Raw raw = connect()) {
            raw.send(post("/test.log", "[{\"uid\":\"a\",\"time\":\"2026-11-23T17:22:20Z\"},{\"uid\":\"b\",\"time\":12}]"));
            String body = "400 Bad Request\nvalue must be string: 12\n";
            assertThat(raw.response()).isEqualTo("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n"
                    + "Connection: Keep-Alive\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
        }
        assertThat(standIn.eventCount()).isZero();
    }

    @Test
    void answersAnArrayWithOneUnparseableTime400AndKeepsNoneOfItsRecords() throws Exception {
        try (Raw raw = connect()) {
            raw.send(post("/test.log", "[{\"uid\":\"a\",\"time\":\"2026-11-23T17:22:20Z\"},{\"uid\":\"b\",\"time\":\"bad\"},"
                    + "{\"uid\":\"c\"}]"));
            String body = "400 Bad Request\ninvalid time format: value = bad, error_class = ArgumentError, "
                    + "error = string doesn't match\n";
            assertThat(raw.response()).isEqualTo("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n"
                    + "Connection: Keep-Alive\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
            raw.send(post("/test.log", "{\"uid\":\"d\"}"));
            assertThat(raw.response()).isEqualTo(OK_KEEP_ALIVE);
        }
        assertThat(standIn.eventIds("test.log")).containsExactly("d");
    }

    @Test
    void answersAnUnparseableTime400WithFluentdsMessage() throws Exception {
        try (Raw raw = connect()) {
            raw.send(post("/test.log", "{\"uid\":\"a\",\"time\":\"23.11.2026 17:22\"}"));
            String body = "400 Bad Request\ninvalid time format: value = 23.11.2026 17:22, error_class = ArgumentError, "
                    + "error = string doesn't match\n";
            assertThat(raw.response()).isEqualTo("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n"
                    + "Connection: Keep-Alive\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
            raw.send(post("/test.log", "{\"uid\":\"b\",\"time\":null}"));
            assertThat(raw.response()).endsWith("\r\n\r\n400 Bad Request\nvalue must be string: \n");
        }
        assertThat(standIn.eventCount()).isZero();
    }

    @Test
    void dropsInvalidJsonAndEmptyBodiesWithA200() throws Exception {
        try (Raw raw = connect()) {
            raw.send(post("/test.log", "{\"uid\":"));
            assertThat(raw.response()).isEqualTo(OK_KEEP_ALIVE);
            raw.send(post("/test.log", ""));
            assertThat(raw.response()).isEqualTo(OK_KEEP_ALIVE);
            raw.send(post("/test.log", "{\"uid\":\"a\"} trailing"));
            assertThat(raw.response()).isEqualTo(OK_KEEP_ALIVE);
            raw.send(post("/test.log", "{\"uid\":\"b\"}{\"uid\":\"c\"}"));
            assertThat(raw.response()).isEqualTo(OK_KEEP_ALIVE);
            raw.send(post("/test.log", "42"));
            assertThat(raw.response()).isEqualTo(OK_KEEP_ALIVE);
            raw.send("POST /test.log HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\r\n");
            assertThat(raw.response()).isEqualTo(OK_KEEP_ALIVE);
        }
        assertThat(standIn.eventCount()).isZero();
        assertThat(standIn.requestCount()).isEqualTo(6);
    }

    @Test
    void takesTheTagFromThePathWithoutTheQuery() throws Exception {
        try (Raw raw = connect()) {
            raw.send(post("/session/4a5b.log?x=1", "{\"uid\":\"a\"}"));
            assertThat(raw.response()).isEqualTo(OK_KEEP_ALIVE);
            raw.send(post("/session.4a5c.log", "{\"uid\":\"b\"}"));
            assertThat(raw.response()).isEqualTo(OK_KEEP_ALIVE);
        }
        assertThat(standIn.tags()).containsExactly("session.4a5b.log", "session.4a5c.log");
        assertThat(FluentdStandIn.tag("/test.log/")).isEqualTo("test.log");
        assertThat(FluentdStandIn.tag("/")).isEmpty();
    }

    @Test
    void timeQueryParameterOverridesTheRecordTime() throws Exception {
        try (Raw raw = connect()) {
            raw.send(post("/test.log?time=1700000000.5", "{\"uid\":\"a\",\"time\":\"2026-11-23T17:22:20Z\"}"));
            assertThat(raw.response()).isEqualTo(OK_KEEP_ALIVE);
        }
        assertThat(standIn.events("test.log").get(0).time()).isEqualTo(Instant.ofEpochSecond(1_700_000_000L, 500_000_000));
    }

    @Test
    void answersTooLargeBodies413OnlyOnceTheBytePastTheLimitArrived() throws Exception {
        try (Raw raw = connect()) {
            raw.send("POST /test.log HTTP/1.1\r\nHost: x\r\nContent-Length: " + (FluentdStandIn.BODY_SIZE_LIMIT + 1) + "\r\n\r\n");
            assertThat(raw.silentFor(Duration.ofMillis(300))).isTrue();
            byte[] megabyte = new byte[1024 * 1024];
            for (int i = 0; i < 32; i++) {
                raw.out.write(megabyte);
            }
            assertThat(raw.silentFor(Duration.ofMillis(300))).isTrue();
            raw.send("x");
            assertThat(raw.response()).isEqualTo(
                    "HTTP/1.1 413 Request Entity Too Large\r\nContent-Length: 9\r\nContent-Type: text/plain\r\n\r\nToo large");
            assertThat(raw.end()).isEqualTo(RESET);
        }
    }

    @Test
    void answersTooLargeChunkedBodies413OnceTheirDataPassesTheLimit() throws Exception {
        try (Raw raw = connect()) {
            raw.send("POST /test.log HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
            byte[] chunk = new byte[1024 * 1024];
            for (int i = 0; i < 32; i++) {
                raw.send(Integer.toHexString(chunk.length) + "\r\n");
                raw.out.write(chunk);
                raw.send("\r\n");
            }
            // exactly the limit so far; the next chunk's size line is not refused yet, its first byte is
            raw.send("1\r\n");
            assertThat(raw.silentFor(Duration.ofMillis(300))).isTrue();
            raw.send("x");
            assertThat(raw.response()).isEqualTo(
                    "HTTP/1.1 413 Request Entity Too Large\r\nContent-Length: 9\r\nContent-Type: text/plain\r\n\r\nToo large");
            assertThat(raw.end()).isEqualTo(RESET);
        }
    }

    @Test
    void handlesExpectContinue() throws Exception {
        try (Raw raw = connect()) {
            raw.send("POST /test.log HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 11\r\n\r\n");
            assertThat(raw.response()).isEqualTo("HTTP/1.1 100 Continue\r\n\r\n");
            raw.send("{\"uid\":\"a\"}");
            assertThat(raw.response()).isEqualTo(OK_KEEP_ALIVE);
        }
        try (Raw raw = connect()) {
            raw.send("POST /test.log HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: "
                    + FluentdStandIn.BODY_SIZE_LIMIT + "\r\n\r\n");
            assertThat(raw.response()).isEqualTo(
                    "HTTP/1.1 413 Request Entity Too Large\r\nContent-Length: 9\r\nContent-Type: text/plain\r\n\r\nToo large");
            assertThat(raw.end()).isEqualTo(RESET);
        }
        try (Raw raw = connect()) {
            raw.send("POST /test.log HTTP/1.1\r\nHost: x\r\nExpect: something\r\nContent-Length: 2\r\n\r\n");
            assertThat(raw.response()).isEqualTo(
                    "HTTP/1.1 417 Expectation Failed\r\nContent-Length: 0\r\nContent-Type: text/plain\r\n\r\n");
            assertThat(raw.end()).isEqualTo(RESET);
        }
        assertThat(standIn.eventIds("test.log")).containsExactly("a");
    }

    @Test
    void readsChunkedAndCompressedBodies() throws Exception {
        try (Raw raw = connect()) {
            raw.send("POST /test.log HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5\r\n{\"uid\r\n6;ext=1\r\n\":\"a\"}\r\n0\r\n\r\n");
            assertThat(raw.response()).isEqualTo(OK_KEEP_ALIVE);
            ByteArrayOutputStream gzip = new ByteArrayOutputStream();
            try (GZIPOutputStream out = new GZIPOutputStream(gzip)) {
                out.write("{\"uid\":\"b\"}".getBytes(StandardCharsets.UTF_8));
            }
            raw.send("POST /test.log HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\nContent-Length: " + gzip.size() + "\r\n\r\n");
            raw.out.write(gzip.toByteArray());
            assertThat(raw.response()).isEqualTo(OK_KEEP_ALIVE);
            raw.send("POST /test.log HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\nContent-Length: 3\r\n\r\nabc");
            assertThat(raw.response()).isEqualTo("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nContent-Type: text/plain\r\n\r\n");
            assertThat(raw.end()).isEqualTo(RESET);
        }
        assertThat(standIn.eventIds("test.log")).containsExactly("a", "b");
    }

    @Test
    void keepsOneConnectionAliveForManyRequestsAndResetsItAfterAnAnswerToHttp10OrConnectionClose() throws Exception {
        try (Raw raw = connect()) {
            for (int i = 0; i < 5; i++) {
                raw.send(post("/test.log", "{\"uid\":\"" + i + "\"}"));
                assertThat(raw.response()).isEqualTo(OK_KEEP_ALIVE);
            }
        }
        assertThat(standIn.handshakeCount()).isEqualTo(1);
        try (Raw raw = connect()) {
            raw.send("POST /test.log HTTP/1.0\r\nContent-Length: 11\r\n\r\n{\"uid\":\"5\"}");
            assertThat(raw.response()).isEqualTo("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n\r\n");
            assertThat(raw.end()).isEqualTo(RESET);
        }
        try (Raw raw = connect()) {
            raw.send("POST /test.log HTTP/1.1\r\nConnection: close\r\nContent-Length: 11\r\n\r\n{\"uid\":\"6\"}");
            assertThat(raw.response()).isEqualTo("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n\r\n");
            assertThat(raw.end()).isEqualTo(RESET);
        }
        try (Raw raw = connect()) {
            raw.send("POST /test.log HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 11\r\n\r\n{\"uid\":\"7\"}");
            assertThat(raw.response()).isEqualTo(OK_KEEP_ALIVE);
            assertThat(raw.silentFor(Duration.ofMillis(300))).isTrue();
        }
        assertThat(standIn.eventIds("test.log")).containsExactly("0", "1", "2", "3", "4", "5", "6", "7");
    }

    @Test
    void closesIdleConnectionsAfterTheKeepAliveTimeoutWithCloseNotify() throws Exception {
        try (FluentdStandIn quick = pki.standIn().keepAliveTimeout(Duration.ofMillis(300)).build().start();
                Raw raw = new Raw(pki.clientContext(pki.client()), quick.port())) {
            raw.send(post("/test.log", "{\"uid\":\"a\"}"));
            assertThat(raw.response()).isEqualTo(OK_KEEP_ALIVE);
            long start = System.nanoTime();
            assertThat(raw.end()).isEqualTo(END_OF_STREAM);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(200), Duration.ofSeconds(4));
        }
    }

    @Test
    void neverTimesOutAConnectionThatHasNotStartedTls() throws Exception {
        try (FluentdStandIn quick = pki.standIn().keepAliveTimeout(Duration.ofMillis(100)).build().start();
                Socket tcp = new Socket("127.0.0.1", quick.port())) {
            tcp.setSoTimeout(1_000);
            assertThatThrownBy(() -> tcp.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
        }
    }

    @Test
    void answersGet200AndOptions403ThenCloses() throws Exception {
        try (Raw raw = connect()) {
            raw.send("GET /test.log HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(raw.response()).isEqualTo("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nContent-Type: text/plain\r\n\r\n");
            assertThat(raw.end()).isEqualTo(RESET);
        }
        try (Raw raw = connect()) {
            raw.send("OPTIONS /test.log HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(raw.response()).isEqualTo("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nContent-Type: text/plain\r\n\r\n");
            assertThat(raw.end()).isEqualTo(RESET);
        }
    }

    @Test
    void speaksOnlyTls12AndNoAlpn() throws Exception {
        try (Raw raw = new Raw(pki.clientContext(pki.client()), standIn.port(), new String[] {"TLSv1.3", "TLSv1.2"},
                new String[] {"h2", "http/1.1"})) {
            assertThat(raw.socket.getSession().getProtocol()).isEqualTo("TLSv1.2");
            assertThat(raw.socket.getApplicationProtocol()).isEmpty();
        }
        assertThatThrownBy(() -> new Raw(pki.clientContext(pki.client()), standIn.port(), new String[] {"TLSv1.3"}, null).close())
                .isInstanceOf(SSLException.class)
                .hasMessageContaining("protocol_version");
    }

    @Test
    void refusesClientsWithoutACertificateOrWithOneFromAnotherCa() {
        assertThatThrownBy(() -> {
            try (Raw raw = new Raw(pki.clientContext(null), standIn.port())) {
                raw.send(post("/test.log", "{\"uid\":\"a\"}"));
                raw.response();
            }
        }).isInstanceOfAny(SSLException.class, SocketException.class);
        TestPki other = TestPki.create(dir.resolve("other"));
        assertThatThrownBy(() -> {
            try (Raw raw = new Raw(pki.clientContext(other.client()), standIn.port())) {
                raw.send(post("/test.log", "{\"uid\":\"a\"}"));
                raw.response();
            }
        }).isInstanceOfAny(SSLException.class, SocketException.class);
        assertThat(standIn.handshakeCount()).isZero();
        assertThat(standIn.eventCount()).isZero();
    }

    @Test
    void refusesAClientResumingItsSessionWithFatalInternalErrorOnEveryReconnect() throws Exception {
        SSLContext resuming = pki.clientContext(pki.client()); // a JDK client resumes on a new connection to the same port
        try (Raw raw = new Raw(resuming, standIn.port())) {
            raw.send(post("/test.log", "{\"uid\":\"a\"}"));
            assertThat(raw.response()).isEqualTo(OK_KEEP_ALIVE);
        }
        for (int reconnect = 0; reconnect < 2; reconnect++) {
            assertThatThrownBy(() -> new Raw(resuming, standIn.port()).close())
                    .isInstanceOf(SSLException.class)
                    .hasMessageContaining("internal_error");
        }
        assertThat(standIn.connectionCount()).isEqualTo(3);
        assertThat(standIn.handshakeCount()).isEqualTo(1);
        assertThat(standIn.refusedResumptionCount()).isEqualTo(2);
        assertThat(standIn.eventIds("test.log")).containsExactly("a");
    }

    @Test
    void refusesAResumingClientHelloWithTheRawAlertRecordOpenSslSendsThenAReset() throws Exception {
        SSLContext resuming = pki.clientContext(pki.client());
        new Raw(resuming, standIn.port()).close();
        byte[] hello = ClientHelloTest.firstFlight(clientEngine(resuming, standIn.port()));
        try (Socket tcp = new Socket("127.0.0.1", standIn.port())) {
            tcp.setSoTimeout(5_000);
            tcp.getOutputStream().write(hello);
            assertThat(tcp.getInputStream().readNBytes(7)).containsExactly(0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x50);
            assertThatThrownBy(() -> tcp.getInputStream().read()).isInstanceOf(SocketException.class)
                    .hasMessageContaining("reset");
        }
        assertThat(standIn.refusedResumptionCount()).isEqualTo(1);
    }

    @Test
    void acceptsFreshHandshakesOnEveryReconnect() throws Exception {
        for (int i = 0; i < 3; i++) {
            try (Raw raw = new Raw(pki.clientContext(pki.client()), standIn.port())) {
                raw.send(post("/test.log", "{\"uid\":\"" + i + "\"}"));
                assertThat(raw.response()).isEqualTo(OK_KEEP_ALIVE);
            }
        }
        assertThat(standIn.handshakeCount()).isEqualTo(3);
        assertThat(standIn.refusedResumptionCount()).isZero();
        assertThat(standIn.eventIds("test.log")).containsExactly("0", "1", "2");
    }

    @Test
    void aRestartedStandInCannotResumeAnOldTicketSoTheFirstReconnectIsAFullHandshake() throws Exception {
        SSLContext resuming = pki.clientContext(pki.client());
        byte[] before;
        try (Raw raw = new Raw(resuming, standIn.port())) {
            before = raw.socket.getSession().getId();
        }
        standIn.stop();
        standIn.start();
        try (Raw raw = new Raw(resuming, standIn.port())) {
            assertThat(raw.socket.getSession().getId()).isNotEqualTo(before);
            raw.send(post("/test.log", "{\"uid\":\"a\"}"));
            assertThat(raw.response()).isEqualTo(OK_KEEP_ALIVE);
        }
        assertThatThrownBy(() -> new Raw(resuming, standIn.port()).close())
                .isInstanceOf(SSLException.class)
                .hasMessageContaining("internal_error");
        assertThat(standIn.handshakeCount()).isEqualTo(2);
        assertThat(standIn.refusedResumptionCount()).isEqualTo(1);
    }

    @Test
    void doesAFullHandshakeForAClientResumingByItsSessionIdOnly() throws Exception {
        Process client = new ProcessBuilder(SessionIdClient.command(standIn.port(), dir))
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        List<String> sessionIds = new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines()
                .toList();
        assertThat(client.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(client.exitValue()).isZero();
        assertThat(sessionIds).hasSize(2).doesNotHaveDuplicates();
        assertThat(standIn.handshakeCount()).isEqualTo(2);
        assertThat(standIn.refusedResumptionCount()).isZero();
    }

    @Test
    void injectsFailuresWithFluentdsBodiesAndRecordsNothingOfThem() throws Exception {
        standIn.failNext(2, 500, "buffer space has too many data");
        try (Raw raw = connect()) {
            String body = "500 Internal Server Error\nbuffer space has too many data\n";
            String expected = "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\nConnection: Keep-Alive\r\n"
                    + "Content-Length: " + body.length() + "\r\n\r\n" + body;
            raw.send(post("/test.log", "{\"uid\":\"a\"}"));
            assertThat(raw.response()).isEqualTo(expected);
            raw.send(post("/test.log", "{\"uid\":\"a\"}"));
            assertThat(raw.response()).isEqualTo(expected);
            raw.send(post("/test.log", "{\"uid\":\"a\"}"));
            assertThat(raw.response()).isEqualTo(OK_KEEP_ALIVE);
            standIn.rejectEvent("p", 400);
            raw.send(post("/test.log", "[{\"uid\":\"b\"},{\"uid\":\"p\"}]"));
            assertThat(raw.response()).endsWith("\r\n\r\n400 Bad Request\nrejected event p\n");
            standIn.failNext(1, 204);
            raw.send(post("/test.log", "{\"uid\":\"c\"}"));
            assertThat(raw.response()).isEqualTo("HTTP/1.1 204 No Content\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n"
                    + "Content-Type: text/plain\r\n\r\n");
        }
        assertThat(standIn.eventIds("test.log")).containsExactly("a");
    }

    @Test
    void appendsEveryAcceptedRecordToTheRecordFile() throws Exception {
        try (Raw raw = connect()) {
            raw.send(post("/test.log", "[{\"uid\":\"a\",\"time\":\"2026-11-23T17:22:20Z\"},{\"uid\":\"b\"}]"));
            assertThat(raw.response()).isEqualTo(OK_KEEP_ALIVE);
            raw.send(post("/session.s1.log", "{\n  \"uid\": \"c\"\n}"));
            assertThat(raw.response()).isEqualTo(OK_KEEP_ALIVE);
        }
        assertThat(Files.readAllLines(dir.resolve("received.jsonl"))).containsExactly(
                "{\"tag\":\"test.log\",\"event\":{\"uid\":\"a\",\"time\":\"2026-11-23T17:22:20Z\"}}",
                "{\"tag\":\"test.log\",\"event\":{\"uid\":\"b\"}}",
                "{\"tag\":\"session.s1.log\",\"event\":{\"uid\":\"c\"}}");
    }

    @Test
    void stopsAndStartsAgainOnTheSamePort() throws Exception {
        int port = standIn.port();
        try (Raw raw = connect()) {
            raw.send(post("/test.log", "{\"uid\":\"a\"}"));
            assertThat(raw.response()).isEqualTo(OK_KEEP_ALIVE);
            standIn.stop();
            assertThat(raw.end()).isEqualTo(END_OF_STREAM);
        }
        assertThatThrownBy(() -> new Socket("127.0.0.1", port).close()).isInstanceOf(ConnectException.class);
        standIn.start();
        assertThat(standIn.port()).isEqualTo(port);
        try (Raw raw = connect()) {
            raw.send(post("/test.log", "{\"uid\":\"b\"}"));
            assertThat(raw.response()).isEqualTo(OK_KEEP_ALIVE);
        }
        assertThat(standIn.eventIds("test.log")).containsExactly("a", "b");
        assertThat(Files.readAllLines(dir.resolve("received.jsonl"))).hasSize(2);
    }

    @Test
    void delaysAnswersByTheConfiguredLatency() throws Exception {
        standIn.latency(Duration.ofMillis(300));
        try (Raw raw = connect()) {
            long start = System.nanoTime();
            raw.send(post("/test.log", "{\"uid\":\"a\"}"));
            assertThat(raw.response()).isEqualTo(OK_KEEP_ALIVE);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> standIn.eventCount() == 1);
    }

    /** A connection from a new client, so a fresh TLS handshake. */
    private Raw connect() throws IOException {
        return new Raw(pki.clientContext(pki.client()), standIn.port());
    }

    /** A client engine for the stand-in's port, which offers a session it holds for that port. */
    private static SSLEngine clientEngine(SSLContext context, int port) {
        SSLEngine engine = context.createSSLEngine("127.0.0.1", port);
        engine.setUseClientMode(true);
        return engine;
    }

    private static String post(String path, String json) {
        return "POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: "
                + json.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + json;
    }

    /** A TLS connection that writes raw bytes and reads responses byte for byte. */
    private static final class Raw implements AutoCloseable {
        final SSLSocket socket;
        final InputStream in;
        final OutputStream out;

        Raw(SSLContext context, int port) throws IOException {
            this(context, port, null, null);
        }

        Raw(SSLContext context, int port, String[] protocols, String[] alpn) throws IOException {
            socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port);
            try {
                socket.setSoTimeout(5_000);
                SSLParameters parameters = socket.getSSLParameters();
                if (protocols != null) {
                    parameters.setProtocols(protocols);
                }
                if (alpn != null) {
                    parameters.setApplicationProtocols(alpn);
                }
                socket.setSSLParameters(parameters);
                socket.startHandshake();
                in = socket.getInputStream();
                out = socket.getOutputStream();
            } catch (IOException e) {
                socket.close();
                throw e;
            }
        }

        void send(String text) throws IOException {
            out.write(text.getBytes(StandardCharsets.UTF_8));
            out.flush();
        }

        /** One response: the head up to the empty line, then Content-Length bytes of body. */
        String response() throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) {
                    throw new IOException("connection closed after " + head.toString(StandardCharsets.ISO_8859_1));
                }
                head.write(b);
            }
            String text = head.toString(StandardCharsets.ISO_8859_1);
            int length = 0;
            for (String line : text.split("\r\n")) {
                if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) {
                    length = Integer.parseInt(line.substring(15).trim());
                }
            }
            return text + new String(in.readNBytes(length), StandardCharsets.UTF_8);
        }

        /** How the server ends the connection, which must be the next thing it does: END_OF_STREAM or RESET. */
        String end() throws IOException {
            try {
                int next = in.read();
                if (next >= 0) {
                    throw new AssertionError("the server sent " + next + " instead of closing");
                }
                return END_OF_STREAM;
            } catch (SocketException e) {
                if (e.getMessage().contains("reset")) {
                    return RESET;
                }
                throw e;
            }
        }

        /** Whether the server sends nothing and keeps the connection open for {@code time}. */
        boolean silentFor(Duration time) throws IOException {
            int timeout = socket.getSoTimeout();
            socket.setSoTimeout((int) time.toMillis());
            try {
                in.read();
                return false;
            } catch (SocketTimeoutException e) {
                return true;
            } finally {
                socket.setSoTimeout(timeout);
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
