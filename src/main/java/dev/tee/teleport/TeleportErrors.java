package dev.tee.teleport;

import java.math.BigDecimal;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.net.ssl.SSLHandshakeException;

import dev.tee.config.ConfigException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * Turns a failed gRPC call into what the exporter can act on: a {@link TeleportRefusal} (a
 * {@link ConfigException}) when the credentials cannot work with this server (nothing to retry),
 * otherwise a {@link TeleportException} whose code says whether to retry, fall back or skip.
 */
final class TeleportErrors {

    private static final Pattern ALERT =
            Pattern.compile("Received fatal alert: ([a-z_]+)|(?:SSLV3|TLSV1|TLSV13)_ALERT_([A-Z_]+)");

    /** Alerts a server sends when it refuses the client's certificate (Go's: unknown_ca, expired, bad). */
    private static final Set<String> CLIENT_CERTIFICATE_ALERTS = Set.of("bad_certificate", "unknown_ca",
            "certificate_expired", "certificate_unknown", "certificate_revoked", "certificate_required",
            "unsupported_certificate", "access_denied");

    /** gRPC's description when the peer closed the connection before the TLS handshake finished. */
    private static final String CLOSED_DURING_HANDSHAKE = "Connection closed while performing TLS negotiation";

    /** gRPC's description when the server picked no ALPN protocol it speaks (h2). */
    private static final String FAILED_ALPN = "Failed ALPN negotiation";

    private final TeleportRoute route;
    private final String address;
    private final Supplier<TeleportCredentials> credentials;
    private final boolean refreshing;
    private final Duration callTimeout;

    /**
     * {@code credentials}: the identity in use now (it may be renewed while running);
     * {@code refreshing}: whether the identity file is re-read, which changes the advice for an
     * expired certificate.
     */
    TeleportErrors(TeleportRoute route, Supplier<TeleportCredentials> credentials, boolean refreshing,
            Duration callTimeout) {
        this.route = route;
        this.address = route.address();
        this.credentials = credentials;
        this.refreshing = refreshing;
        this.callTimeout = callTimeout;
    }

    RuntimeException translate(String method, StatusRuntimeException e) {
        Status status = e.getStatus();
        String description = status.getDescription() == null ? "" : status.getDescription();
        return switch (status.getCode()) {
            case UNAVAILABLE -> {
                RuntimeException tls = tlsProblem(e);
                yield tls != null ? tls : new TeleportException(status.getCode(),
                        "cannot reach Teleport at " + address + ": " + detail(e), e);
            }
            case PERMISSION_DENIED -> description.contains("client version")
                    ? new TeleportException(status.getCode(), "Teleport at " + address + " refused the exporter's"
                            + " client version (" + description + ")", e)
                    : method.equals("Ping") ? deniedIdentity(description, e)
                    : new TeleportException(status.getCode(),
                            "Teleport denied access (" + description + "): " + requiredRights(method), e);
            case DEADLINE_EXCEEDED -> new TeleportException(status.getCode(),
                    "Teleport at " + address + " did not answer " + method + " within " + seconds(callTimeout), e);
            case UNAUTHENTICATED -> new TeleportException(status.getCode(),
                    "Teleport at " + address + " did not accept the exporter's identity (" + description
                            + "): check " + credentials.get().source().certificateKey(), e);
            case UNIMPLEMENTED -> new TeleportException(status.getCode(),
                    "Teleport at " + address + " does not support " + method + ": " + description, e);
            default -> new TeleportException(status.getCode(),
                    "Teleport " + method + " failed (" + status.getCode() + "): " + description, e);
        };
    }

    /**
     * Ping needs no rights beyond a valid identity, so a denial there is about the identity itself:
     * a user that no longer exists, a lock in force on it, a role removed.
     */
    private TeleportRefusal deniedIdentity(String description, StatusRuntimeException e) {
        TeleportCredentials credentials = this.credentials.get();
        return new TeleportRefusal(TeleportRefusal.Reason.DENIED, credentials.source().certificateKey()
                + ": Teleport at " + address + " denied the identity in " + credentials.source().certificateFile()
                + " (" + description + "): check that its user exists and is not locked, and that its role allows"
                + " resources event and session with verbs list and read", e);
    }

    /** What the exporter's role must allow for {@code method} (teleport-wire.md §2.1). */
    private static String requiredRights(String method) {
        if (method.equals("UpsertLock")) {
            return "the exporter's role needs a rule for resource lock with verbs create and update";
        }
        return "the exporter's role needs rules for resources event and session with verbs list and read";
    }

    /**
     * A handshake that failed for a reason retrying cannot fix. gRPC reports every handshake failure
     * as UNAVAILABLE, so the cause chain tells them apart: our check of the server's certificate
     * (validity, CA, name) or the server's TLS alert about ours. The whole chain is searched for each
     * reason in turn, because an outer wrapper ("PKIX path validation failed") can hide a more
     * specific inner one (the certificate expired).
     */
    private RuntimeException tlsProblem(StatusRuntimeException e) {
        TeleportCredentials credentials = this.credentials.get();
        List<Throwable> causes = new ArrayList<>();
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            causes.add(cause);
        }
        if (causes.stream().anyMatch(cause -> cause instanceof CertificateExpiredException
                || cause instanceof CertificateNotYetValidException)) {
            return new TeleportException(Status.Code.UNAVAILABLE, "the Teleport server's certificate at " + address
                    + " is expired or not yet valid: check the clocks of both machines", e);
        }
        if (causes.stream().anyMatch(cause -> cause instanceof CertPathValidatorException
                || message(cause).contains("PKIX path"))) {
            return new TeleportRefusal(TeleportRefusal.Reason.UNTRUSTED_SERVER, credentials.source().authoritiesKey()
                    + ": the Teleport server's certificate at "
                    + address + " is not signed by a CA in " + authoritiesFile(credentials)
                    + " (wrong cluster or wrong CA)", e);
        }
        if (causes.stream().anyMatch(cause -> message(cause).contains("No subject alternative")
                || message(cause).contains("No name matching"))) {
            return new TeleportRefusal(TeleportRefusal.Reason.NOT_TELEPORT, "teleport.addr: the server at " + address
                    + " presented a certificate"
                    + " without the name " + TeleportDialer.SERVER_NAME + ": it is not a Teleport Auth Service", e);
        }
        for (Throwable cause : causes) {
            String alert = clientCertificateAlert(message(cause));
            if (alert != null) {
                return new TeleportRefusal(TeleportRefusal.Reason.CLIENT_CERTIFICATE,
                        credentials.source().certificateKey() + ": the Teleport server at "
                        + address + " rejected the client certificate in " + credentials.source().certificateFile()
                        + " (TLS alert " + alert + "): " + rejectionHint(credentials, alert), e);
            }
        }
        if (route.viaProxy() && message(e.getStatus().getDescription()).contains(CLOSED_DURING_HANDSHAKE)) {
            // Teleport's Proxy drops a connection it cannot route instead of answering
            String cluster = route.clusterName().map(name -> "cluster \"" + name + "\"")
                    .orElse("the cluster its /webapi/find names");
            return new TeleportException(Status.Code.UNAVAILABLE, "the Teleport Proxy at " + address + " closed the"
                    + " connection during the TLS handshake, as it does when it cannot route to the Auth Service of "
                    + cluster + ": check teleport.cluster-name and that the Proxy has TLS routing on", e);
        }
        if (causes.stream().anyMatch(SSLHandshakeException.class::isInstance)) {
            return new TeleportException(Status.Code.UNAVAILABLE,
                    "TLS handshake with Teleport at " + address + " failed: " + detail(e), e);
        }
        return null;
    }

    /**
     * Whether a direct dial failed because the server does not serve the Auth Service that way: it
     * closed the connection during the handshake, or picked no h2 (a Proxy's web port does either,
     * depending on what else it routes), so the Proxy route is the one to use at that address.
     */
    static boolean notAnAuthService(StatusRuntimeException e) {
        String description = message(e.getStatus().getDescription());
        return description.contains(CLOSED_DURING_HANDSHAKE) || description.contains(FAILED_ALPN);
    }

    private static String message(Throwable throwable) {
        return message(throwable.getMessage());
    }

    private static String message(String message) {
        return message == null ? "" : message;
    }

    /**
     * The name of a TLS alert the server sent about our certificate, as the JDK ("Received fatal alert:
     * bad_certificate") or BoringSSL ("SSLV3_ALERT_BAD_CERTIFICATE") reports it; null for other errors.
     */
    static String clientCertificateAlert(String message) {
        Matcher matcher = ALERT.matcher(message);
        if (!matcher.find()) {
            return null;
        }
        String alert = (matcher.group(1) != null ? matcher.group(1) : matcher.group(2)).toLowerCase(Locale.ROOT);
        return CLIENT_CERTIFICATE_ALERTS.contains(alert) ? alert : null;
    }

    private String rejectionHint(TeleportCredentials credentials, String alert) {
        Instant notAfter = credentials.notAfter();
        if (Instant.now().isAfter(notAfter)) {
            return refreshing
                    ? "it expired at " + notAfter + " and " + credentials.source().certificateFile() + " has not been"
                            + " renewed since; check that tbot (or whatever renews it) is running"
                    : "it expired at " + notAfter + "; issue a new one (or let tbot renew it and set"
                            + " teleport.refresh.enabled)";
        }
        if (alert.equals("certificate_expired")) {
            return "the server considers it expired, but it is valid until " + notAfter
                    + ": check the clocks of both machines";
        }
        return "it is not issued by this cluster's user CA, or it was revoked";
    }

    private String authoritiesFile(TeleportCredentials credentials) {
        return credentials.source().authoritiesKey().equals(IdentityFile.KEY)
                ? "the identity file " + credentials.source().authoritiesFile()
                : credentials.source().authoritiesFile().toString();
    }

    private static String seconds(Duration duration) {
        return BigDecimal.valueOf(duration.toMillis(), 3).stripTrailingZeros().toPlainString() + " s";
    }

    /** The most specific reason: the innermost cause's message (e.g. "Connection refused"), else gRPC's. */
    private static String detail(StatusRuntimeException e) {
        String detail = e.getStatus().getDescription();
        for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
            if (cause.getMessage() != null) {
                detail = cause.getMessage();
            }
        }
        return detail == null ? e.getStatus().getCode().toString() : detail;
    }
}
