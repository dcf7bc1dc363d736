package dev.tee.teleport;

import java.util.Properties;

/**
 * The memory gRPC's Netty keeps outside the heap. Its pooled allocator makes one arena of direct
 * buffers per two cores by default, each growing in chunks of a few MiB, for servers with many
 * connections; the exporter has one connection to Teleport, read by one event loop thread. One arena
 * took 6 MiB instead of 12 and the peak resident memory of a 1,000,000-event backfill into S3 from
 * 431 to 411 MiB (bench/README.md), at the same speed.
 */
public final class NettyMemory {

    /** The shaded Netty's name for the number of direct arenas (grpc-netty-shaded relocates io.netty). */
    static final String DIRECT_ARENAS = "io.grpc.netty.shaded.io.netty.allocator.numDirectArenas";

    private NettyMemory() {
    }

    /**
     * One direct arena, unless the command line names a number ({@code -D}); call before the first
     * gRPC channel or server, which reads it once.
     */
    public static void oneDirectArena(Properties system) {
        system.putIfAbsent(DIRECT_ARENAS, "1");
    }
}
