package dev.tee.sink.s3;

import dev.tee.config.ConfigException;

/** S3 refuses us for a reason retrying cannot cure; the one-line message names the bucket and setting, never a secret. */
public class S3RefusedException extends ConfigException {
    public S3RefusedException(String message, Throwable cause) {
        super(message, cause);
    }
}
