package dev.tee.session;

/**
 * The key of a session recording object: {@code <prefix><sid>/<index of its first event>.gz}, the
 * index zero-padded to ten digits (Teleport's start_index is an int32) so keys list in recorded
 * order. The key depends only on where the object starts in the recording, so writing the same
 * events again after a crash aims at the same key, which the store then finds taken.
 */
public record SessionObjectKey(String prefix, String sessionId, long firstIndex) {

    private static final int INDEX_DIGITS = 10;

    public SessionObjectKey {
        if (firstIndex < 0) {
            throw new IllegalArgumentException("a session event index is never negative: " + firstIndex);
        }
    }

    public String key() {
        String index = Long.toString(firstIndex);
        StringBuilder key = new StringBuilder(prefix.length() + sessionId.length() + INDEX_DIGITS + 4);
        key.append(prefix).append(sessionId).append('/');
        for (int pad = index.length(); pad < INDEX_DIGITS; pad++) {
            key.append('0');
        }
        return key.append(index).append(".gz").toString();
    }

    @Override
    public String toString() {
        return key();
    }
}
