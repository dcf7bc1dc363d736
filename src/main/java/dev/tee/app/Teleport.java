package dev.tee.app;

import static dev.tee.config.ConfigKey.TELEPORT_ADDR;
import static dev.tee.config.ConfigKey.TELEPORT_CA;
import static dev.tee.config.ConfigKey.TELEPORT_CERT;
import static dev.tee.config.ConfigKey.TELEPORT_IDENTITY;
import static dev.tee.config.ConfigKey.TELEPORT_CLUSTER_NAME;
import static dev.tee.config.ConfigKey.TELEPORT_KEY;
import static dev.tee.config.ConfigKey.TELEPORT_REFRESH_ENABLED;
import static dev.tee.config.ConfigKey.TELEPORT_REFRESH_INTERVAL;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import dev.tee.config.ConfigException;
import dev.tee.config.ExporterConfig;
import dev.tee.config.GoDuration;
import dev.tee.observe.TeleportReachability;
import dev.tee.teleport.IdentityFile;
import dev.tee.teleport.RetryDelay;
import dev.tee.teleport.TeleportClient;
import dev.tee.teleport.TeleportCredentials;
import dev.tee.teleport.TeleportException;
import dev.tee.teleport.TeleportRefusal;
import dev.tee.teleport.proto.auth.PingResponse;
import io.grpc.Status;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Opens the connection to Teleport the configuration describes and checks it with Ping. */
final class Teleport {

    private static final Logger LOG = LoggerFactory.getLogger(Teleport.class);
    private static final Duration FIRST_RETRY = Duration.ofSeconds(1);
    private static final Duration LONGEST_RETRY = Duration.ofSeconds(30);

    private Teleport() {
    }

    /** The identity file or the cert/key/CA trio, read and checked; a problem is a ConfigException naming the file. */
    static TeleportCredentials credentials(ExporterConfig config) {
        // tbot renews an identity it refreshes: an expired one is waited for (connect), not refused here
        boolean renewed = config.bool(TELEPORT_REFRESH_ENABLED);
        return config.optionalPath(TELEPORT_IDENTITY)
                .map(file -> renewed ? IdentityFile.loadForRenewal(file) : IdentityFile.load(file))
                .orElseGet(() -> TeleportCredentials.fromFiles(config.path(TELEPORT_CA), config.path(TELEPORT_CERT),
                        config.path(TELEPORT_KEY)));
    }

    /**
     * A client that has answered Ping, through whichever way to the Auth Service won the race. While
     * Teleport is unreachable this waits and tries again with growing pauses (the Auth Service may
     * simply be restarting). Credentials Teleport refuses, or a server we cannot trust, are a
     * {@link dev.tee.config.ConfigException} at once, naming the file; unless the identity file is
     * re-read ({@code teleport.refresh.enabled}): then it says once that it waits for tbot to renew
     * it, and tries again after each re-read. Every wait ends at once when the thread is interrupted
     * (a stop signal while starting). {@code credentials} are what {@link #credentials} read before
     * the start; {@code reachability} sees every call and every refusal.
     *
     * @throws InterruptedException when interrupted while waiting or dialing
     */
    static TeleportClient connect(ExporterConfig config, TeleportCredentials credentials,
            TeleportReachability reachability) throws InterruptedException {
        TeleportClient.Builder builder = TeleportClient.builder()
                .address(config.string(TELEPORT_ADDR), config.optionalString(TELEPORT_CLUSTER_NAME))
                .interceptor(reachability)
                .onRefusal(refusal -> refusal.ifPresentOrElse(reachability::refused, reachability::accepted));
        Optional<Path> identity = config.optionalPath(TELEPORT_IDENTITY);
        boolean refreshing = identity.isPresent() && config.bool(TELEPORT_REFRESH_ENABLED);
        if (refreshing) {
            // tbot renews the file in place: re-read it, and use what it holds for new connections
            builder.identityFile(identity.get(), credentials).refreshEvery(config.duration(TELEPORT_REFRESH_INTERVAL));
        } else {
            builder.credentials(credentials);
        }
        TeleportClient client = builder.build();
        try {
            PingResponse ping = pingUntilAnswered(client, refreshing ? config.duration(TELEPORT_REFRESH_INTERVAL) : null);
            LOG.info("Connected to Teleport cluster {} (Teleport {}) at {}", ping.getClusterName(),
                    ping.getServerVersion(), client.address());
            return client;
        } catch (RuntimeException | InterruptedException e) {
            client.close();
            throw e;
        }
    }

    /** {@code refreshEvery}: the identity re-read interval, or null when it is read once. */
    private static PingResponse pingUntilAnswered(TeleportClient client, Duration refreshEvery)
            throws InterruptedException {
        RetryDelay backoff = RetryDelay.exponential(FIRST_RETRY, LONGEST_RETRY);
        String waitingFor = null;
        while (true) {
            Duration wait;
            try {
                return client.ping();
            } catch (TeleportRefusal e) {
                if (refreshEvery == null) {
                    throw e;
                }
                if (!e.getMessage().equals(waitingFor)) {
                    waitingFor = e.getMessage();
                    LOG.warn("{}. Waiting for a renewed identity (teleport.refresh.enabled): trying again after each"
                            + " re-read of {}, every {}", e.getMessage(), client.credentials().source().certificateFile(),
                            GoDuration.format(refreshEvery));
                }
                wait = refreshEvery;
            } catch (TeleportException e) {
                if (Thread.currentThread().isInterrupted()) {
                    throw new InterruptedException("stopped while connecting to Teleport");
                }
                if (e.code() == Status.Code.PERMISSION_DENIED) {
                    // Teleport answered, and will answer the same: nothing to wait for
                    throw new ConfigException(client.credentials().source().certificateKey() + ": " + e.getMessage()
                            + " (with the identity in " + client.credentials().source().certificateFile() + ")", e);
                }
                if (!e.isRetryable()) {
                    throw e;
                }
                wait = backoff.next();
                LOG.warn("{}; trying again in {} s", e.getMessage(), Math.max(1, Math.round(wait.toMillis() / 1000.0)));
            }
            Thread.sleep(wait.toMillis());
        }
    }
}
