package dev.tee.demo;

import java.util.Random;

import io.grpc.Status;

/**
 * The fake's bulk-export API: its chunks, and the share of export streams that break midway, as
 * Teleport's own exporter test breaks a third of them to prove resumption from cursors.
 */
final class FakeExport {

    private final FakeExportChunks chunks;
    private final double cutFraction;
    private final int cutAfter;
    private final Random random;

    /**
     * @param cutAfter when positive, every stream with more events than this breaks after this many
     *     (and {@code cutFraction} is not used)
     */
    FakeExport(FakeExportChunks chunks, double cutFraction, int cutAfter, Random random) {
        if (cutFraction < 0 || cutFraction > 1) {
            throw new IllegalArgumentException("the share of export streams to cut must be in [0, 1], not "
                    + cutFraction);
        }
        this.chunks = chunks;
        this.cutFraction = cutFraction;
        this.cutAfter = cutAfter;
        this.random = random;
    }

    FakeExportChunks chunks() {
        return chunks;
    }

    /**
     * Whether and where to break a stream that has {@code remaining} events to send: with probability
     * {@code cutFraction}, after 1 to {@code remaining - 1} of them (a stream of one event or none
     * cannot break midway); null for no cut.
     */
    OutboundStream.Cut cutFor(int remaining) {
        if (cutAfter > 0) {
            return remaining > cutAfter ? cut(cutAfter) : null;
        }
        synchronized (random) {
            if (remaining < 2 || cutFraction == 0 || random.nextDouble() >= cutFraction) {
                return null;
            }
            return cut(1 + random.nextInt(remaining - 1));
        }
    }

    private static OutboundStream.Cut cut(int after) {
        return new OutboundStream.Cut(after, Status.UNAVAILABLE
                .withDescription("export stream cut midway after " + after + " events (fault injection)"));
    }
}
