package dev.tee.sink.s3;

import java.util.Optional;

/**
 * Where Panther-layout objects go (an S3 bucket, a local directory): written only if the key is
 * still free, and read back when it is not.
 */
public interface ObjectStore {

    /** What a conditional write found. */
    enum PutOutcome {
        /** The object was written. */
        CREATED,
        /** The key was already taken; nothing was written. */
        ALREADY_EXISTS
    }

    /** Writes {@code gzipBody} under {@code key} unless the key exists. */
    PutOutcome putIfAbsent(String key, byte[] gzipBody);

    /** The object's bytes, or empty when the key does not exist. */
    Optional<byte[]> get(String key);
}
