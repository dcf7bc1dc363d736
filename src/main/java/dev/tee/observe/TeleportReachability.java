package dev.tee.observe;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;

/**
 * Watches every call to Teleport and remembers since when they have been failing, for the health
 * check and the metrics: any answer from Teleport (a message, or a status such as NOT_FOUND) counts
 * as reachable; UNAVAILABLE, DEADLINE_EXCEEDED, refused credentials and the like count as failing.
 * A refusal the client reports ({@link #refused}) counts as failing at once.
 */
public final class TeleportReachability implements ClientInterceptor {

    /** Statuses that are Teleport answering a question, not Teleport failing to. */
    private static final Set<Status.Code> ANSWERS = EnumSet.of(Status.Code.OK, Status.Code.NOT_FOUND,
            Status.Code.ALREADY_EXISTS, Status.Code.UNIMPLEMENTED, Status.Code.INVALID_ARGUMENT,
            Status.Code.OUT_OF_RANGE, Status.Code.FAILED_PRECONDITION);

    private final Clock clock;
    private volatile Instant failingSince;
    private String lastFailure;
    private String refusal;

    public TeleportReachability(Clock clock) {
        this.clock = clock;
    }

    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
            @Override
            public void start(Listener<R> listener, Metadata headers) {
                super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
                    @Override
                    public void onMessage(R message) {
                        answered();
                        super.onMessage(message);
                    }

                    @Override
                    public void onClose(Status status, Metadata trailers) {
                        closed(method.getBareMethodName(), status);
                        super.onClose(status, trailers);
                    }
                }, headers);
            }
        };
    }

    private void closed(String method, Status status) {
        if (ANSWERS.contains(status.getCode())) {
            answered();
        } else if (status.getCode() != Status.Code.CANCELLED) { // we cancel streams ourselves when stopping
            failed(method + ": " + status.getCode()
                    + (status.getDescription() == null ? "" : " (" + status.getDescription() + ")"));
        }
    }

    private void answered() {
        if (failingSince != null) { // a volatile read per message, the lock only after failures
            synchronized (this) {
                failingSince = null;
                refusal = null;
            }
        }
    }

    /**
     * Teleport refuses the exporter (its certificate, its CA, its role) after having answered it:
     * failing at once, whatever health.unreachable-after says, until Teleport answers again.
     */
    public synchronized void refused(String why) {
        if (failingSince == null) {
            failingSince = clock.instant();
        }
        refusal = why;
        lastFailure = why;
    }

    /** Teleport accepts the exporter again. */
    public synchronized void accepted() {
        refusal = null;
    }

    private synchronized void failed(String why) {
        if (failingSince == null) {
            failingSince = clock.instant();
        }
        lastFailure = why;
    }

    /** How long every call has been failing, the last failure, and whether it is a refusal; empty while Teleport answers. */
    public synchronized Optional<Failing> failing() {
        return failingSince == null ? Optional.empty()
                : Optional.of(new Failing(Duration.between(failingSince, clock.instant()),
                        refusal != null ? refusal : lastFailure, refusal != null));
    }
}
