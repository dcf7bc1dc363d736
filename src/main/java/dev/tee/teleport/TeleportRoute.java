package dev.tee.teleport;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import dev.tee.config.ConfigException;

/**
 * One way to reach the Teleport Auth Service: directly (usually port 3025), or through a Proxy web
 * port with TLS routing, where the ALPN value {@code teleport-auth@<hex cluster name>} asks the Proxy
 * to pipe the connection to that cluster's Auth Service (teleport-wire.md §2.4). Given only an
 * address, the client races both ({@link DialRace}).
 */
public final class TeleportRoute {

    /** gRPC's ALPN protocol, which the Auth Service picks in both routes. */
    static final String H2 = "h2";

    private final String address;
    private final boolean viaProxy;
    private final Optional<String> clusterName;

    private TeleportRoute(String address, boolean viaProxy, Optional<String> clusterName) {
        TeleportDialer.checkAddress(address);
        this.address = address;
        this.viaProxy = viaProxy;
        this.clusterName = clusterName;
    }

    /** Straight to the Auth Service at {@code address} (host:port). */
    public static TeleportRoute direct(String address) {
        return new TeleportRoute(address, false, Optional.empty());
    }

    /** Through the Proxy web port at {@code address} to the Auth Service of cluster {@code clusterName}. */
    public static TeleportRoute proxy(String address, String clusterName) {
        if (clusterName == null || clusterName.isBlank()) {
            throw new ConfigException("teleport.cluster-name: is empty; leave it unset to learn it from the proxy");
        }
        return new TeleportRoute(address, true, Optional.of(clusterName.strip()));
    }

    /**
     * Through the Proxy web port at {@code address}, to the cluster the Proxy names in its
     * unauthenticated {@code GET /webapi/find} answer (asked once, when the client first connects).
     */
    public static TeleportRoute proxy(String address) {
        return new TeleportRoute(address, true, Optional.empty());
    }

    public String address() {
        return address;
    }

    public boolean viaProxy() {
        return viaProxy;
    }

    /** The cluster to route to when it was given; empty for direct routes and for routes that ask the Proxy. */
    public Optional<String> clusterName() {
        return clusterName;
    }

    /**
     * The ALPN value that asks a Proxy for the Auth Service of {@code clusterName}: the lowercase hex of
     * its UTF-8 bytes between {@code teleport-auth@} and {@code .teleport.cluster.local}.
     */
    public static String authProtocol(String clusterName) {
        return "teleport-auth@" + HexFormat.of().formatHex(clusterName.getBytes(StandardCharsets.UTF_8)) + "."
                + TeleportDialer.SERVER_NAME;
    }

    /** The ALPN list to offer: the routing value first (the Proxy reads only the first), then h2. */
    static List<String> protocols(Optional<String> routedCluster) {
        return routedCluster.map(name -> List.of(authProtocol(name), H2)).orElse(List.of(H2));
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof TeleportRoute route && route.address.equals(address) && route.viaProxy == viaProxy
                && route.clusterName.equals(clusterName);
    }

    @Override
    public int hashCode() {
        return Objects.hash(address, viaProxy, clusterName);
    }

    @Override
    public String toString() {
        if (!viaProxy) {
            return "Auth Service at " + address;
        }
        return "Proxy at " + address
                + clusterName.map(name -> " to cluster " + name).orElse(" (cluster from /webapi/find)");
    }
}
