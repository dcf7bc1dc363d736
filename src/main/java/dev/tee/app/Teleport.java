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

import dev.tee.config.ExporterConfig;
import dev.tee.teleport.IdentityFile;
import dev.tee.teleport.TeleportClient;
import dev.tee.teleport.TeleportCredentials;
import dev.tee.teleport.TeleportException;
import dev.tee.teleport.TeleportRoute;
import dev.tee.teleport.proto.auth.PingResponse;
import io.grpc.ClientInterceptor;
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
        return config.optionalPath(TELEPORT_IDENTITY)
                .map(IdentityFile::load)
                .orElseGet(() -> TeleportCredentials.fromFiles(config.path(TELEPORT_CA), config.path(TELEPORT_CERT),
                        config.path(TELEPORT_KEY)));
    }

    /**
     * A client that has answered Ping. While Teleport is unreachable this waits and tries again with
     * growing pauses (the Auth Service may simply be restarting); credentials it refuses are a
     * {@link dev.tee.config.ConfigException} at once. {@code credentials} are what {@link #credentials}
     * read before the start; {@code observer} sees every call.
     */
    static TeleportClient connect(ExporterConfig config, TeleportCredentials credentials, ClientInterceptor observer) {
        TeleportRoute route = TeleportRoute.of(config.string(TELEPORT_ADDR), config.optionalString(TELEPORT_CLUSTER_NAME));
        TeleportClient.Builder builder = TeleportClient.builder().route(route).interceptor(observer);
        Optional<Path> identity = config.optionalPath(TELEPORT_IDENTITY);
        if (identity.isPresent() && config.bool(TELEPORT_REFRESH_ENABLED)) {
            // tbot renews the file in place: re-read it, and use what it holds for new connections
            builder.identityFile(identity.get(), credentials).refreshEvery(config.duration(TELEPORT_REFRESH_INTERVAL));
        } else {
            builder.credentials(credentials);
        }
        if (route.viaProxy()) {
            LOG.info("Dialing the Auth Service through the Proxy at {} (TLS routing{})", route.address(),
                    route.clusterName().map(name -> ", cluster " + name).orElse(", cluster from /webapi/find"));
        }
        TeleportClient client = builder.build();
        try {
            PingResponse ping = pingUntilAnswered(client);
            LOG.info("Connected to Teleport cluster {} (Teleport {}) at {}", ping.getClusterName(),
                    ping.getServerVersion(), client.address());
            return client;
        } catch (RuntimeException | InterruptedException e) {
            client.close();
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while connecting to Teleport", e);
            }
            throw (RuntimeException) e;
        }
    }

    private static PingResponse pingUntilAnswered(TeleportClient client) throws InterruptedException {
        Duration wait = FIRST_RETRY;
        while (true) {
            try {
                return client.ping();
            } catch (TeleportException e) {
                if (!e.isRetryable()) {
                    throw e;
                }
                LOG.warn("{}; trying again in {}s", e.getMessage(), wait.toSeconds());
                Thread.sleep(wait.toMillis());
                wait = wait.multipliedBy(2).compareTo(LONGEST_RETRY) > 0 ? LONGEST_RETRY : wait.multipliedBy(2);
            }
        }
    }
}
