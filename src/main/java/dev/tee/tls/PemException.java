package dev.tee.tls;

/** PEM input that cannot be used; the message says why, without echoing key material. */
public class PemException extends Exception {
    public PemException(String message) {
        super(message);
    }
}
