package dev.tee.teleport;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import io.grpc.netty.shaded.io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.api.Test;

class NettyMemoryTest {

    @Test
    void asksForOneDirectArenaUnlessTheCommandLineNamesANumber() {
        Properties none = new Properties();
        NettyMemory.oneDirectArena(none);
        assertThat(none.getProperty(NettyMemory.DIRECT_ARENAS)).isEqualTo("1");

        Properties chosen = new Properties();
        chosen.setProperty(NettyMemory.DIRECT_ARENAS, "4");
        NettyMemory.oneDirectArena(chosen);
        assertThat(chosen.getProperty(NettyMemory.DIRECT_ARENAS)).isEqualTo("4");
    }

    /** In a JVM of its own: the allocator reads the property once, when it is first used. */
    @Test
    void gRpcsNettyTakesIt() throws Exception {
        Process jvm = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Arenas.class.getName()))
                .redirectErrorStream(true).start();
        assertThat(jvm.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String output = new String(jvm.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

        assertThat(output.strip()).isEqualTo("1 direct arena(s)");
    }

    /** Sets the property as the exporter's main does, then asks the allocator. */
    public static final class Arenas {
        public static void main(String[] args) {
            NettyMemory.oneDirectArena(System.getProperties());
            System.out.println(PooledByteBufAllocator.defaultNumDirectArena() + " direct arena(s)");
        }
    }
}
