package dev.tee.demo;

import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

/**
 * Counts the calls of each method and fails the next ones with statuses a test queued, before the
 * service sees them, as a Teleport outage or a denied role would.
 */
final class FaultInjector implements ServerInterceptor {

    private final Set<String> methods;
    private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    private final Map<String, Queue<Status>> faults = new ConcurrentHashMap<>();

    /** {@code methods}: the bare names of every method served, to catch a misspelt name in a test. */
    FaultInjector(Set<String> methods) {
        this.methods = Set.copyOf(methods);
    }

    void failNext(String method, int times, Status status) {
        Queue<Status> queue = faults.computeIfAbsent(known(method), name -> new ConcurrentLinkedQueue<>());
        for (int i = 0; i < times; i++) {
            queue.add(status);
        }
    }

    int calls(String method) {
        AtomicInteger count = calls.get(known(method));
        return count == null ? 0 : count.get();
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        String method = call.getMethodDescriptor().getBareMethodName();
        calls.computeIfAbsent(method, name -> new AtomicInteger()).incrementAndGet();
        Queue<Status> queue = faults.get(method);
        Status fault = queue == null ? null : queue.poll();
        if (fault != null) {
            call.close(fault, new Metadata());
            return new ServerCall.Listener<>() {
            };
        }
        return next.startCall(call, headers);
    }

    private String known(String method) {
        if (!methods.contains(method)) {
            throw new IllegalArgumentException("the fake Teleport serves no method " + method + "; it serves " + methods);
        }
        return method;
    }
}
