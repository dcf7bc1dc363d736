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
    private final Random random;

    FakeExport(FakeExportChunks chunks, double cutFraction, Random random) {
        if (cutFraction < 0 || cutFraction > 1) {
            throw new IllegalArgumentException("the share of export streams to cut must be in [0, 1], not "
                    + cutFraction);
        }
        this.chunks = chunks;
        this.cutFraction = cutFraction;
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
        synchronized (random) {
            if (remaining < 2 || cutFraction == 0 || random.nextDouble() >= cutFraction) {
                return null;
            }
            int after = 1 + random.nextInt(remaining - 1);
            return new OutboundStream.Cut(after, Status.UNAVAILABLE
                    .withDescription("export stream cut midway after " + after + " events (fault injection)"));
        }
    }
}
