package dev.tee.config;

/**
 * Configuration or input the exporter cannot use. The message is one line for the user that names
 * the key, file or value and what is wrong with it; it never contains secrets. The CLI prints it and
 * exits with status 2, without a stack trace.
 */
public class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
