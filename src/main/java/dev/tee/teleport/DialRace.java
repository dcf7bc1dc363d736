package dev.tee.teleport;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import dev.tee.config.ConfigException;
import dev.tee.teleport.proto.auth.AuthServiceGrpc;
import dev.tee.teleport.proto.auth.PingRequest;
import dev.tee.tls.CertificateAuthority;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;

/**
 * Races the two ways to reach the Auth Service at one address, as Teleport's own client races its
 * dial strategies (teleport-wire.md §2.4): straight to the Auth Service, and through a Proxy web port
 * with TLS routing (ALPN {@code teleport-auth@<hex cluster>}). The port says nothing: a Proxy may
 * listen on 8443 behind a load balancer, an Auth Service on 443. The first way that completes mutual
 * TLS and answers Ping wins and keeps its channel; the others are closed. When both succeed, the
 * direct one is preferred if it answers within {@link #DIRECT_PREFERENCE} of the other, since an Auth
 * Service also answers a dial that offers the Proxy's routing value (it simply picks h2).
 */
final class DialRace {

    /** How long a Proxy route that answered waits for the direct dial to the same address to answer too. */
    static final Duration DIRECT_PREFERENCE = Duration.ofMillis(500);

    /** Where the cluster name of a Proxy route came from, for the log line. */
    static final String FROM_CONFIGURATION = "teleport.cluster-name";
    static final String FROM_CERTIFICATE = "the identity's certificate";
    static final String FROM_WEB_API = "the Proxy's /webapi/find";

    /** The way that won, with its open channel, and the line that says which way and why. */
    record Winner(TeleportRoute route, ManagedChannel channel, String report) {
    }

    /** One way to try; through a Proxy without a cluster name, the name comes from /webapi/find first. */
    private record Candidate(TeleportRoute route, String clusterOrigin) {
    }

    /** How one way ended: answered (a channel), or failed (the error and whether this is no Auth Service). */
    private record Outcome(Candidate candidate, TeleportRoute route, String clusterOrigin, ManagedChannel channel,
            RuntimeException failure, boolean notAnAuthService) {

        boolean answered() {
            return channel != null;
        }
    }

    private final String address;
    private final List<Candidate> candidates;
    private final TeleportCredentials credentials;
    private final Duration callTimeout;
    private final Function<TeleportRoute, ManagedChannel> dial;
    private final Function<TeleportRoute, TeleportErrors> errors;
    private final List<ManagedChannel> opened = new ArrayList<>();
    private ManagedChannel kept;
    private boolean decided;

    /**
     * @param clusterName {@code teleport.cluster-name}, if given; else the identity's certificate
     *                    names the cluster, or else the Proxy's /webapi/find does
     * @param dial        opens a channel for a route (not yet connected)
     * @param errors      translates a failed call on a route
     */
    DialRace(String address, Optional<String> clusterName, TeleportCredentials credentials, Duration callTimeout,
            Function<TeleportRoute, ManagedChannel> dial, Function<TeleportRoute, TeleportErrors> errors) {
        this.address = address;
        this.credentials = credentials;
        this.callTimeout = callTimeout;
        this.dial = dial;
        this.errors = errors;
        Candidate proxy = clusterName.map(name -> new Candidate(TeleportRoute.proxy(address, name), FROM_CONFIGURATION))
                .or(() -> clusterNameOf(credentials.certificateChain().get(0))
                        .map(name -> new Candidate(TeleportRoute.proxy(address, name), FROM_CERTIFICATE)))
                .orElseGet(() -> new Candidate(TeleportRoute.proxy(address), FROM_WEB_API));
        this.candidates = List.of(new Candidate(TeleportRoute.direct(address), null), proxy);
    }

    /** The routes this race tries, in order: direct, then through the Proxy. */
    List<TeleportRoute> routes() {
        return candidates.stream().map(Candidate::route).toList();
    }

    /**
     * The cluster a Teleport client certificate belongs to: its subject attribute 1.3.9999.1.7 (the
     * origin cluster, in every certificate since Teleport 5), else its issuer's first Organization,
     * which Teleport sets to the cluster name on its CAs ({@code tlsca.ClusterName}).
     */
    static Optional<String> clusterNameOf(X509Certificate certificate) {
        return firstValue(X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()),
                        CertificateAuthority.TELEPORT_CLUSTER_NAME)
                .or(() -> firstValue(X500Name.getInstance(certificate.getIssuerX500Principal().getEncoded()),
                        BCStyle.O));
    }

    private static Optional<String> firstValue(X500Name name, ASN1ObjectIdentifier type) {
        for (RDN rdn : name.getRDNs(type)) {
            ASN1Encodable value = rdn.getFirst().getValue();
            String text = value instanceof ASN1String string ? string.getString() : value.toString();
            if (!text.isBlank()) {
                return Optional.of(text.strip());
            }
        }
        return Optional.empty();
    }

    /**
     * Runs the race: the winner, or the most telling failure when every way failed (see {@link #verdict}).
     *
     * @throws TeleportException retryable when Teleport could not be reached; CANCELLED when interrupted
     *                           (the interrupt stays set) or {@link #cancel() cancelled}
     * @throws ConfigException   (a {@link TeleportRefusal} when Teleport refused the credentials) when
     *                           no way can work
     */
    Winner run() {
        AtomicInteger threadNumber = new AtomicInteger();
        ExecutorService threads = Executors.newFixedThreadPool(candidates.size(), runnable -> {
            Thread thread = new Thread(runnable, "teleport-dial-" + threadNumber.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        CompletionService<Outcome> finished = new ExecutorCompletionService<>(threads);
        Map<Candidate, Future<Outcome>> running = new HashMap<>();
        candidates.forEach(candidate -> running.put(candidate, finished.submit(() -> attempt(candidate))));
        List<Outcome> outcomes = new ArrayList<>();
        try {
            while (outcomes.size() < candidates.size()) {
                Outcome outcome = finished.take().get();
                outcomes.add(outcome);
                if (!outcome.answered()) {
                    continue;
                }
                if (outcome.route().viaProxy() && outcomes.size() < candidates.size()) {
                    // the same address may be an Auth Service answering both ways: give the direct dial a moment
                    Future<Outcome> direct = finished.poll(DIRECT_PREFERENCE.toMillis(), TimeUnit.MILLISECONDS);
                    if (direct != null) {
                        outcomes.add(direct.get());
                    }
                }
                Outcome winner = outcomes.stream().filter(Outcome::answered)
                        .min(Comparator.comparing(each -> each.route().viaProxy())).orElseThrow();
                return keep(winner, outcomes);
            }
            throw verdict(outcomes);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TeleportException(Status.Code.CANCELLED, "interrupted while dialing Teleport at " + address, e);
        } catch (ExecutionException e) {
            // attempt() reports every failure in its Outcome; anything else is a bug, not Teleport's answer
            throw new IllegalStateException("dialing Teleport failed unexpectedly: " + e.getCause(), e.getCause());
        } finally {
            closeAllBut();
            running.values().forEach(future -> future.cancel(true));
            threads.shutdownNow();
        }
    }

    /** Ends the race from another thread (the client closing): every channel closes, {@link #run} fails. */
    void cancel() {
        synchronized (this) {
            decided = true;
        }
        closeAllBut();
    }

    private Outcome attempt(Candidate candidate) {
        TeleportRoute route = candidate.route();
        String origin = candidate.clusterOrigin();
        ManagedChannel channel = null;
        try {
            if (route.viaProxy() && route.clusterName().isEmpty()) {
                route = TeleportRoute.proxy(address, WebFind.ask(address, credentials, callTimeout).clusterName());
            }
            channel = open(route);
            AuthServiceGrpc.newBlockingStub(channel).withDeadlineAfter(callTimeout.toMillis(), TimeUnit.MILLISECONDS)
                    .ping(PingRequest.getDefaultInstance());
            return new Outcome(candidate, route, origin, channel, null, false);
        } catch (StatusRuntimeException e) {
            close(channel);
            boolean notAnAuthService = !route.viaProxy() && TeleportErrors.notAnAuthService(e);
            return new Outcome(candidate, route, origin, null, errors.apply(route).translate("Ping", e),
                    notAnAuthService);
        } catch (RuntimeException e) {
            close(channel);
            return new Outcome(candidate, route, origin, null, e, false);
        }
    }

    private synchronized ManagedChannel open(TeleportRoute route) {
        if (decided) {
            throw new TeleportException(Status.Code.CANCELLED, "the dial race is over", null);
        }
        ManagedChannel channel = dial.apply(route);
        opened.add(channel);
        return channel;
    }

    private Winner keep(Outcome winner, List<Outcome> outcomes) {
        synchronized (this) {
            if (decided) {
                throw new TeleportException(Status.Code.CANCELLED, "the Teleport client is closed", null);
            }
            decided = true;
            kept = winner.channel();
        }
        Optional<Outcome> other = outcomes.stream().filter(outcome -> outcome != winner).findFirst();
        String how = winner.route().viaProxy()
                ? "through the Proxy at " + address + " (TLS routing, cluster " + winner.route().clusterName().orElseThrow()
                        + " from " + winner.clusterOrigin() + "); the direct dial "
                        + other.map(DialRace::why).orElse("had not answered yet")
                : "directly at " + address + "; the dial through a Proxy with TLS routing "
                        + other.map(DialRace::why).orElse("was not needed");
        return new Winner(winner.route(), winner.channel(), "Teleport: reached the Auth Service " + how);
    }

    private static String why(Outcome outcome) {
        return outcome.answered() ? "answered too" : "failed: " + outcome.failure().getMessage();
    }

    /** Closes every channel the race opened, except the winner's. */
    private void closeAllBut() {
        List<ManagedChannel> losers;
        synchronized (this) {
            losers = opened.stream().filter(channel -> channel != kept).toList();
            opened.clear();
            if (kept != null) {
                opened.add(kept);
            }
        }
        losers.forEach(DialRace::close);
    }

    private static void close(ManagedChannel channel) {
        if (channel != null) {
            channel.shutdownNow();
        }
    }

    /**
     * Why no way worked, when none did. While either could not reach Teleport (unreachable, cut,
     * dropped by the Proxy, too slow) it is that outage, retried. Otherwise the failure that got
     * furthest speaks: an error Teleport answered to Ping, then the server rejecting our certificate,
     * then our rejecting its, then an answer that this is no Proxy with TLS routing, and last a
     * direct dial dropped because the address is no Auth Service. Except that the server rejecting a
     * certificate of ours that has expired speaks first: no outage of the other way changes that.
     */
    private RuntimeException verdict(List<Outcome> outcomes) {
        List<Outcome> inOrder = new ArrayList<>(outcomes);
        inOrder.sort(Comparator.comparing(outcome -> candidates.indexOf(outcome.candidate())));
        // our certificate has expired and a Teleport we trust said so: no wait cures that, whatever the
        // other way met (a Proxy dial to an Auth Service can fail in ways that look like an outage)
        if (!credentials.notAfter().isAfter(Instant.now())) {
            for (Outcome outcome : inOrder) {
                if (outcome.failure() instanceof TeleportRefusal refusal
                        && refusal.reason() == TeleportRefusal.Reason.CLIENT_CERTIFICATE) {
                    return refusal;
                }
            }
        }
        for (Outcome outcome : inOrder) {
            if (outcome.failure() instanceof TeleportException teleport && teleport.isRetryable()
                    && !outcome.notAnAuthService()) {
                return teleport;
            }
        }
        return inOrder.stream().max(Comparator.comparingInt(DialRace::depth)).orElseThrow().failure();
    }

    private static int depth(Outcome outcome) {
        RuntimeException failure = outcome.failure();
        if (outcome.notAnAuthService()) {
            return -2;
        }
        if (failure instanceof TeleportRefusal refusal) {
            return refusal.reason().ordinal();
        }
        if (failure instanceof TeleportException) {
            return TeleportRefusal.Reason.values().length; // Teleport answered Ping, with an error
        }
        return -1; // the Proxy's /webapi/find said it is none, or has no TLS routing
    }
}
