package dev.tee.demo;

import java.util.Iterator;
import java.util.concurrent.atomic.AtomicInteger;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;

/**
 * Sends the responses of one server-streaming call as fast as the client reads them (gRPC flow
 * control, so a million-event chunk never piles up in memory), optionally failing it after a given
 * number of responses as a dropped connection would, and keeps the count of streams still open: a
 * stream counts until it ended or the client cancelled it, which is what Teleport's leak (#68275)
 * was about.
 */
final class OutboundStream<T> {

    /** A planned failure: after {@code afterResponses} responses the call ends with {@code status}. */
    record Cut(int afterResponses, Status status) {
    }

    private final ServerCallStreamObserver<T> call;
    private final Iterator<? extends T> responses;
    private final Cut cut;
    private final AtomicInteger openStreams;
    private int sent;
    private boolean finished;

    private OutboundStream(ServerCallStreamObserver<T> call, Iterator<? extends T> responses, Cut cut,
            AtomicInteger openStreams) {
        this.call = call;
        this.responses = responses;
        this.cut = cut;
        this.openStreams = openStreams;
    }

    /**
     * Serves {@code responses} on {@code observer}; call from the service method itself, which gRPC
     * requires for installing the handlers. {@code cut} may be null.
     */
    static <T> void serve(StreamObserver<T> observer, Iterator<? extends T> responses, Cut cut,
            AtomicInteger openStreams) {
        OutboundStream<T> stream = new OutboundStream<>((ServerCallStreamObserver<T>) observer, responses, cut,
                openStreams);
        openStreams.incrementAndGet();
        // gRPC runs these handlers and the service method one at a time for a call, never concurrently
        stream.call.setOnCancelHandler(stream::finish);
        stream.call.setOnReadyHandler(stream::drain);
        stream.drain();
    }

    private void drain() {
        while (!finished && call.isReady()) {
            if (cut != null && sent == cut.afterResponses()) {
                finish();
                call.onError(cut.status().asRuntimeException());
                return;
            }
            if (!responses.hasNext()) {
                finish();
                call.onCompleted();
                return;
            }
            call.onNext(responses.next());
            sent++;
        }
    }

    private void finish() {
        if (!finished) {
            finished = true;
            openStreams.decrementAndGet();
        }
    }
}
