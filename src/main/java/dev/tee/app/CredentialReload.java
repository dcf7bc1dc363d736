package dev.tee.app;

import dev.tee.config.ConfigException;
import dev.tee.config.ExporterConfig;
import dev.tee.sink.fluentd.FluentdTls;
import dev.tee.teleport.TeleportClient;
import dev.tee.teleport.TeleportCredentials;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What SIGHUP does (systemd's {@code ExecReload}): reads the Teleport identity file (or cert/key/CA
 * trio) and the Fluentd client certificate, key and CA again, with the checks of the start, and
 * uses them for every new connection. All files are read before any is used: when one is bad, one
 * ERROR line names it and the exporter keeps running with the credentials it had. Connections
 * already open keep theirs: Teleport calls in progress finish on the old connection, and pooled
 * Fluentd connections present the old certificate until they close (after 5 s idle at most).
 */
final class CredentialReload {

    private static final Logger LOG = LoggerFactory.getLogger(CredentialReload.class);

    private final ExporterConfig config;
    private final FluentdTls fluentdTls;
    private volatile TeleportClient teleport;

    /** @param fluentdTls the Fluentd endpoint's TLS, or null when the output is not Fluentd */
    CredentialReload(ExporterConfig config, FluentdTls fluentdTls) {
        this.config = config;
        this.fluentdTls = fluentdTls;
    }

    /** From now on a reload renews {@code client}'s identity too. */
    void teleportConnected(TeleportClient client) {
        this.teleport = client;
    }

    /** One reload: one INFO line saying what was read, or one ERROR line saying what is wrong. */
    synchronized void reload() {
        TeleportClient client = teleport;
        if (client == null) {
            LOG.warn("SIGHUP: nothing reloaded: still connecting to Teleport; send it again once connected");
            return;
        }
        TeleportCredentials identity;
        FluentdTls fluentd;
        try {
            identity = Teleport.credentials(config);
            fluentd = fluentdTls == null ? null : Outputs.fluentdTls(config);
        } catch (ConfigException e) {
            LOG.error("SIGHUP: nothing reloaded, the credentials in use stay: {}", e.getMessage());
            return;
        }
        boolean renewed = client.useCredentials(identity);
        StringBuilder line = new StringBuilder("SIGHUP: reloaded the Teleport identity from ")
                .append(identity.source().certificateFile()).append(" (")
                .append(identity.certificateChain().get(0).getSubjectX500Principal().getName())
                .append(", valid until ").append(identity.notAfter()).append(renewed ? ")" : ", unchanged)");
        if (fluentd != null) {
            fluentdTls.renewFrom(fluentd);
            line.append(" and Fluentd's ").append(fluentdTls.describe());
        }
        line.append("; new connections use them");
        if (fluentd != null) {
            line.append(", open connections to Fluentd keep the certificate they began with until they close");
        }
        LOG.info("{}", line);
    }
}
