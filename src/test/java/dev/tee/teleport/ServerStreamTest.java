package dev.tee.teleport;

import static dev.tee.testing.RawTwins.full;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.tee.teleport.proto.raw.RawEvent;
import dev.tee.teleport.proto.auditlog.AuditLogServiceGrpc;
import dev.tee.teleport.proto.auditlog.EventUnstructured;
import dev.tee.teleport.proto.auditlog.StreamUnstructuredSessionEventsRequest;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.Test;

class ServerStreamTest {

    /** Streams a recording: endless for session "endless", cut after 2 events for "cut", 3 events otherwise. */
    private static final class Recordings extends AuditLogServiceGrpc.AuditLogServiceImplBase {
        final CountDownLatch cancelled = new CountDownLatch(1);
        final AtomicInteger sent = new AtomicInteger();

        @Override
        public void streamUnstructuredSessionEvents(StreamUnstructuredSessionEventsRequest request,
                StreamObserver<EventUnstructured> responses) {
            ServerCallStreamObserver<EventUnstructured> call = (ServerCallStreamObserver<EventUnstructured>) responses;
            call.setOnCancelHandler(cancelled::countDown);
            switch (request.getSessionId()) {
                case "endless" -> call.setOnReadyHandler(() -> {
                    while (call.isReady() && !call.isCancelled()) {
                        call.onNext(event(sent.getAndIncrement()));
                    }
                });
                case "loud" -> call.setOnReadyHandler(() -> {
                    while (call.isReady() && !call.isCancelled()) {
                        call.onNext(loud(sent.getAndIncrement()));
                    }
                });
                case "cut" -> {
                    call.onNext(event(0));
                    call.onNext(event(1));
                    call.onError(Status.UNAVAILABLE.withDescription("stream cut").asRuntimeException());
                }
                default -> {
                    for (int i = request.getStartIndex(); i < 3; i++) {
                        call.onNext(event(i));
                    }
                    call.onCompleted();
                }
            }
        }

        /** A print event of 256 KiB of terminal output. */
        private static EventUnstructured loud(int index) {
            Struct data = Struct.newBuilder().putFields("data", Value.newBuilder().setStringValue("x".repeat(256 * 1024))
                    .build()).build();
            return event(index).toBuilder().setUnstructured(data).build();
        }

        private static EventUnstructured event(int index) {
            return EventUnstructured.newBuilder().setType("print").setId("e" + index).setIndex(index).build();
        }
    }

    @Test
    void closingAStreamCancelsTheCallOnTheServer() throws Exception {
        Recordings recordings = new Recordings();
        try (TestServer server = new TestServer(recordings, "teleport.cluster.local");
                TeleportClient client = new TeleportClient(server.address(), server.credentials())) {
            ServerStream<RawEvent> stream = client.streamSessionEvents("endless", 0);
            assertThat(stream.next().getIndex()).isEqualTo(0);
            assertThat(stream.next().getIndex()).isEqualTo(1);

            stream.close();

            assertThat(recordings.cancelled.await(10, TimeUnit.SECONDS)).isTrue();
            assertThatThrownBy(stream::hasNext).isInstanceOfSatisfying(TeleportException.class,
                    e -> assertThat(e.code()).isEqualTo(Status.Code.CANCELLED));
        }
    }

    @Test
    void largeEventsAreAskedForAFewAtATime() throws Exception {
        Recordings recordings = new Recordings();
        try (TestServer server = new TestServer(recordings, "teleport.cluster.local");
                TeleportClient client = new TeleportClient(server.address(), server.credentials());
                ServerStream<RawEvent> stream = client.streamSessionEvents("loud", 0)) {
            assertThat(stream.next().getIndex()).isEqualTo(0);
            assertThat(stream.next().getIndex()).isEqualTo(1);
            Thread.sleep(1000); // whatever was asked for arrives meanwhile

            // 64 small events ahead, but only about a MiB of these: what is not asked for stays on the server
            assertThat(stream.queued()).as("responses queued ahead of the reader").isBetween(1, 4);
            assertThat(recordings.sent.get()).as("sent by the server").isLessThan(16);
        }
    }

    @Test
    void streamReadToTheEndEndsCleanlyFromTheStartIndex() throws Exception {
        try (TestServer server = new TestServer(new Recordings(), "teleport.cluster.local");
                TeleportClient client = new TeleportClient(server.address(), server.credentials());
                ServerStream<RawEvent> stream = client.streamSessionEvents("s1", 1)) {
            List<Long> indexes = new ArrayList<>();
            stream.forEachRemaining(event -> indexes.add(event.getIndex()));

            assertThat(indexes).containsExactly(1L, 2L);
            assertThat(stream.hasNext()).isFalse();
        }
    }

    @Test
    void streamCutMidwayFailsRetryablyAfterTheEventsItDelivered() throws Exception {
        try (TestServer server = new TestServer(new Recordings(), "teleport.cluster.local");
                TeleportClient client = new TeleportClient(server.address(), server.credentials());
                ServerStream<RawEvent> stream = client.streamSessionEvents("cut", 0)) {
            assertThat(stream.next().getIndex()).isEqualTo(0);
            assertThat(stream.next().getIndex()).isEqualTo(1);

            assertThatThrownBy(stream::hasNext).isInstanceOfSatisfying(TeleportException.class,
                    e -> assertThat(e.isRetryable()).isTrue()).hasMessageEndingWith(": stream cut");
        }
    }
}
