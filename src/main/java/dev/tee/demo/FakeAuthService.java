package dev.tee.demo;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import com.google.protobuf.Empty;
import dev.tee.teleport.proto.auth.PingRequest;
import dev.tee.teleport.proto.auth.PingResponse;
import dev.tee.teleport.proto.auth.AuthServiceGrpc;
import dev.tee.teleport.proto.types.LockV2;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;

/** The two {@code proto.AuthService} calls the exporter makes: Ping, and UpsertLock recorded for tests. */
final class FakeAuthService extends AuthServiceGrpc.AuthServiceImplBase {

    private static final Context.Key<SocketAddress> REMOTE_ADDRESS = Context.key("remote-address");

    private final String clusterName;
    private final String serverVersion;
    private final List<LockV2> locks = new CopyOnWriteArrayList<>();

    FakeAuthService(String clusterName, String serverVersion) {
        this.clusterName = clusterName;
        this.serverVersion = serverVersion;
    }

    /** Makes the caller's address available to Ping, which reports it back like Teleport does. */
    static ServerInterceptor remoteAddress() {
        return new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                    ServerCallHandler<Q, R> next) {
                Context context = Context.current()
                        .withValue(REMOTE_ADDRESS, call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR));
                return Contexts.interceptCall(context, call, headers, next);
            }
        };
    }

    List<LockV2> locks() {
        return List.copyOf(locks);
    }

    @Override
    public void ping(PingRequest request, StreamObserver<PingResponse> responses) {
        PingResponse.Builder response = PingResponse.newBuilder()
                .setClusterName(clusterName)
                .setServerVersion(serverVersion);
        if (REMOTE_ADDRESS.get() instanceof InetSocketAddress remote) {
            response.setRemoteAddr(remote.getAddress().getHostAddress() + ":" + remote.getPort());
        }
        responses.onNext(response.build());
        responses.onCompleted();
    }

    /** Teleport checks the lock before storing it; a nameless one is a bad parameter. */
    @Override
    public void upsertLock(LockV2 lock, StreamObserver<Empty> responses) {
        if (lock.getMetadata().getName().isEmpty()) {
            responses.onError(Status.INVALID_ARGUMENT.withDescription("missing parameter Name").asRuntimeException());
            return;
        }
        locks.add(lock);
        responses.onNext(Empty.getDefaultInstance());
        responses.onCompleted();
    }
}
