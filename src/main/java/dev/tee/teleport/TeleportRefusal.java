package dev.tee.teleport;

import dev.tee.config.ConfigException;

/**
 * Teleport and the exporter's credentials cannot work together, and retrying will not change that:
 * the server's certificate is not signed by the CA we trust (or is no Teleport certificate), the
 * server rejects our client certificate, or it denies the identity. At start it is a configuration
 * problem (one line naming the file and the fix, exit 2); once Teleport has answered the client, the
 * same problem comes out as a retried {@link TeleportException#isRefusal() refusal} instead.
 */
public final class TeleportRefusal extends ConfigException {

    /** How far the connection got before the refusal, shallowest first: a deeper one says more. */
    enum Reason {
        /** Our check of the server: its certificate lacks the name teleport.cluster.local. */
        NOT_TELEPORT,
        /** Our check of the server: its certificate is not signed by a CA we trust. */
        UNTRUSTED_SERVER,
        /** The server's check of us, after it passed ours: a TLS alert about our certificate. */
        CLIENT_CERTIFICATE,
        /** Teleport answered Ping, with PERMISSION_DENIED. */
        DENIED
    }

    private final Reason reason;

    TeleportRefusal(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
    }

    Reason reason() {
        return reason;
    }
}
