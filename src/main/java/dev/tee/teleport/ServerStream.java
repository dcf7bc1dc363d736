package dev.tee.teleport;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Function;

import com.google.protobuf.MessageLite;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * The responses of one server-streaming Teleport call, read one by one. Closing it cancels the call,
 * so a reader that stops early (or fails) never leaves the stream open on the server, the leak behind
 * Teleport's Go handler bug #68275. Any thread may close it; a reader blocked in {@link #hasNext()}
 * then gets a CANCELLED {@link TeleportException}, never a silent end of stream.
 *
 * <p>Up to {@link #PREFETCH} responses are asked for ahead of the reader, and more each time it has
 * taken half of them: gRPC's blocking iterator asks for one at a time, a round trip between the
 * reader and the transport thread per event that limits a stream to about a tenth of the rate. Large
 * responses are asked for fewer at a time, about {@link #PREFETCH_BYTES} ahead (at least one), so a
 * stream of 1 MiB events does not hold 64 MiB the readers' byte budget never sees.
 */
public final class ServerStream<T> implements Iterator<T>, AutoCloseable {

    /** Responses asked for ahead of the reader: also the most this stream ever holds in memory. */
    static final int PREFETCH = 64;

    /** Bytes asked for ahead of the reader, about: fewer responses when they are large. */
    static final int PREFETCH_BYTES = 1 << 20;

    /** Asked for at the start, before the size of a response is known. */
    private static final int FIRST_REQUEST = 4;

    /** The listener only queues what arrives, so it runs on the transport's thread without a hand-off. */
    private static final Executor DIRECT = Runnable::run;

    /** The end of the call, queued after its last response. */
    private record End(Status status, Metadata trailers) {
    }

    private final Context.CancellableContext context;
    private final Function<StatusRuntimeException, RuntimeException> errors;
    private final BlockingQueue<Object> arrived = new LinkedBlockingQueue<>();
    private final ClientCall<?, T> call;
    private volatile boolean closed;
    private T next;
    private End end;
    /** Responses asked for and not taken yet: queued here, or still to come. */
    private int outstanding;

    private ServerStream(Context.CancellableContext context, ClientCall<?, T> call,
            Function<StatusRuntimeException, RuntimeException> errors) {
        this.context = context;
        this.call = call;
        this.errors = errors;
    }

    /**
     * Starts {@code method} with {@code request} on {@code channel}, inside a context of its own, so
     * that cancelling that context cancels exactly this call.
     */
    static <Q, T> ServerStream<T> open(Channel channel, MethodDescriptor<Q, T> method, Q request,
            Function<StatusRuntimeException, RuntimeException> errors) {
        Context.CancellableContext context = Context.current().withCancellation();
        Context previous = context.attach();
        try {
            // the call belongs to the context current when it is created
            ClientCall<Q, T> call = channel.newCall(method, CallOptions.DEFAULT.withExecutor(DIRECT));
            ServerStream<T> stream = new ServerStream<>(context, call, errors);
            call.start(stream.new Listener(), new Metadata());
            call.sendMessage(request);
            call.halfClose();
            stream.outstanding = FIRST_REQUEST;
            call.request(FIRST_REQUEST);
            return stream;
        } catch (RuntimeException e) {
            context.cancel(e); // whatever failed, no call may outlive this method unowned
            throw e;
        } finally {
            context.detach(previous);
        }
    }

    @Override
    public boolean hasNext() {
        if (closed) {
            throw closedError(null);
        }
        if (next != null) {
            return true;
        }
        if (end == null) {
            Object item = take();
            if (item instanceof End ended) {
                end = ended;
                context.cancel(null); // the call is over; this only releases the context
            } else {
                @SuppressWarnings("unchecked") // the listener queues only responses of type T and one End
                T response = (T) item;
                next = response;
                return true;
            }
        }
        if (end.status().isOk()) {
            return false;
        }
        if (closed && end.status().getCode() == Status.Code.CANCELLED) {
            throw closedError(end.status().asRuntimeException());
        }
        throw errors.apply(end.status().asRuntimeException(end.trailers()));
    }

    @Override
    public T next() {
        if (!hasNext()) {
            throw new NoSuchElementException("the stream has ended");
        }
        T response = next;
        next = null;
        outstanding--;
        int ahead = ahead(response);
        if (outstanding <= ahead / 2) {
            call.request(ahead - outstanding);
            outstanding = ahead;
        }
        return response;
    }

    /** Responses that arrived and wait for the reader. */
    int queued() {
        return arrived.size() + (next == null ? 0 : 1);
    }

    /** How many responses to keep asked for, judged by the size of the one just taken. */
    static int ahead(Object response) {
        if (!(response instanceof MessageLite message)) {
            return PREFETCH;
        }
        int size = Math.max(message.getSerializedSize(), 1); // kept by the message once computed
        return Math.max(1, Math.min(PREFETCH, PREFETCH_BYTES / size));
    }

    /** Cancels the call if it is still running; safe to call more than once and from any thread. */
    @Override
    public void close() {
        closed = true;
        context.cancel(null);
    }

    private Object take() {
        try {
            return arrived.take();
        } catch (InterruptedException e) {
            context.cancel(e);
            Thread.currentThread().interrupt();
            throw new TeleportException(Status.Code.CANCELLED, "interrupted while reading a Teleport stream", e);
        }
    }

    private static TeleportException closedError(Throwable cause) {
        return new TeleportException(Status.Code.CANCELLED, "the Teleport stream was closed by the exporter", cause);
    }

    /** Queues responses and the end of the call, in the order gRPC delivers them. */
    private final class Listener extends ClientCall.Listener<T> {

        @Override
        public void onMessage(T message) {
            arrived.add(message);
        }

        @Override
        public void onClose(Status status, Metadata trailers) {
            arrived.add(new End(status, trailers));
        }
    }
}
