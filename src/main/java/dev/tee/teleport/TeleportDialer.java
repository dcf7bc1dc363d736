package dev.tee.teleport;

import java.util.List;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLException;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509TrustManager;

import dev.tee.config.ConfigException;
import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettySslContextChannelCredentials;
import io.grpc.netty.shaded.io.netty.handler.ssl.ApplicationProtocolConfig;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;

/**
 * Opens the one gRPC channel to a Teleport Auth Service, directly or through a Proxy, with the TLS
 * settings Teleport's Go client always applies (teleport-wire.md §2.3): client certificate, the
 * cluster CAs as the only roots, the server name {@code teleport.cluster.local}, and ALPN h2 after the
 * Proxy's routing value if any (§2.4).
 */
final class TeleportDialer {

    /**
     * The name every Teleport Auth/Proxy host certificate carries: SNI and server verification use it
     * instead of the host name dialed, as the Go client does.
     */
    static final String SERVER_NAME = "teleport.cluster.local";

    /** The Go client pings every 60 s even when idle (ServerKeepAliveTTL); Teleport's server permits that. */
    private static final long KEEPALIVE_SECONDS = 60;

    /**
     * A page is capped at about 1 MiB of event JSON, which grows somewhat as a protobuf Struct; gRPC's
     * 4 MiB default would leave too little margin for one oversized event.
     */
    private static final int MAX_INBOUND_MESSAGE_BYTES = 16 * 1024 * 1024;

    private TeleportDialer() {
    }

    /**
     * A channel to {@code address} offering the ALPN {@code protocols} (the Proxy routing value first,
     * when there is one; the server must pick h2), presenting the certificate {@code keys} holds and
     * trusting what {@code trust} trusts; every call passes through {@code interceptors}.
     */
    static ManagedChannel dial(String address, List<String> protocols, X509ExtendedKeyManager keys,
            X509TrustManager trust, List<ClientInterceptor> interceptors) {
        checkAddress(address);
        SslContext tls;
        try {
            // GrpcSslContexts picks the TLS provider and HTTP/2 ciphers; only the ALPN list is ours
            tls = GrpcSslContexts.configure(SslContextBuilder.forClient())
                    .keyManager(keys)
                    .trustManager(trust)
                    .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, protocols))
                    .build();
        } catch (SSLException e) {
            throw new IllegalStateException("cannot set up TLS for Teleport: " + e.getMessage(), e);
        }
        return NettyChannelBuilder.forTarget(address, NettySslContextChannelCredentials.create(tls))
                .overrideAuthority(SERVER_NAME)
                .keepAliveTime(KEEPALIVE_SECONDS, TimeUnit.SECONDS)
                .keepAliveWithoutCalls(true)
                .maxInboundMessageSize(MAX_INBOUND_MESSAGE_BYTES)
                .intercept(interceptors)
                .build();
    }

    /** {@code host:port}, as the Go handler's {@code teleport.addr}; gRPC would otherwise guess port 443. */
    static void checkAddress(String address) {
        String problem = null;
        if (address == null || address.isBlank()) {
            problem = "is empty";
        } else if (address.contains("://")) {
            problem = "must be host:port without a scheme";
        } else {
            int colon = address.lastIndexOf(':');
            String host = colon < 0 ? "" : address.substring(0, colon);
            String port = colon < 0 ? "" : address.substring(colon + 1);
            if (host.isEmpty() || !port.matches("[0-9]{1,5}") || Integer.parseInt(port) == 0
                    || Integer.parseInt(port) > 65535) {
                problem = "must be host:port";
            }
        }
        if (problem != null) {
            throw new ConfigException("teleport.addr: \"" + (address == null ? "" : address) + "\" " + problem
                    + ", e.g. teleport.example.com:3025");
        }
    }
}
