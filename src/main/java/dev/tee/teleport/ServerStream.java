package dev.tee.teleport;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.function.Function;
import java.util.function.Supplier;

import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * The responses of one server-streaming Teleport call, read one by one. Closing it cancels the call,
 * so a reader that stops early (or fails) never leaves the stream open on the server, the leak behind
 * Teleport's Go handler bug #68275. Any thread may close it; a reader blocked in {@link #hasNext()}
 * then gets a CANCELLED {@link TeleportException}, never a silent end of stream.
 */
public final class ServerStream<T> implements Iterator<T>, AutoCloseable {

    private final Context.CancellableContext context;
    private final Iterator<T> responses;
    private final Function<StatusRuntimeException, RuntimeException> errors;
    private volatile boolean closed;

    private ServerStream(Context.CancellableContext context, Iterator<T> responses,
            Function<StatusRuntimeException, RuntimeException> errors) {
        this.context = context;
        this.responses = responses;
        this.errors = errors;
    }

    /**
     * Starts the call {@code start} makes inside a context of its own, so that cancelling that context
     * cancels exactly this call.
     */
    static <T> ServerStream<T> open(Supplier<Iterator<T>> start,
            Function<StatusRuntimeException, RuntimeException> errors) {
        Context.CancellableContext context = Context.current().withCancellation();
        Context previous = context.attach();
        try {
            return new ServerStream<>(context, start.get(), errors);
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
        try {
            boolean more = responses.hasNext();
            if (!more) {
                context.cancel(null); // the call is over; this only releases the context
            }
            return more;
        } catch (StatusRuntimeException e) {
            context.cancel(null);
            if (closed && e.getStatus().getCode() == Status.Code.CANCELLED) {
                throw closedError(e);
            }
            throw errors.apply(e);
        }
    }

    @Override
    public T next() {
        if (!hasNext()) {
            throw new NoSuchElementException("the stream has ended");
        }
        return responses.next();
    }

    /** Cancels the call if it is still running; safe to call more than once and from any thread. */
    @Override
    public void close() {
        closed = true;
        context.cancel(null);
    }

    private static TeleportException closedError(Throwable cause) {
        return new TeleportException(Status.Code.CANCELLED, "the Teleport stream was closed by the exporter", cause);
    }
}
