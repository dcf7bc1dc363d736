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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.net.ssl.SSLHandshakeException;

import dev.tee.config.ConfigException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * Turns a failed gRPC call into what the exporter can act on: a {@link ConfigException} when the
 * credentials cannot work with this server (nothing to retry), otherwise a {@link TeleportException}
 * whose code says whether to retry, fall back or skip.
 */
final class TeleportErrors {

    private static final Pattern ALERT =
            Pattern.compile("Received fatal alert: ([a-z_]+)|(?:SSLV3|TLSV1|TLSV13)_ALERT_([A-Z_]+)");

    /** Alerts a server sends when it refuses the client's certificate (Go's: unknown_ca, expired, bad). */
    private static final Set<String> CLIENT_CERTIFICATE_ALERTS = Set.of("bad_certificate", "unknown_ca",
            "certificate_expired", "certificate_unknown", "certificate_revoked", "certificate_required",
            "unsupported_certificate", "access_denied");

    private final String address;
    private final TeleportCredentials credentials;
    private final Duration callTimeout;

    TeleportErrors(String address, TeleportCredentials credentials, Duration callTimeout) {
        this.address = address;
        this.credentials = credentials;
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
            case DEADLINE_EXCEEDED -> new TeleportException(status.getCode(),
                    "Teleport at " + address + " did not answer " + method + " within " + seconds(callTimeout), e);
            case PERMISSION_DENIED -> new TeleportException(status.getCode(),
                    "Teleport denied access (" + description + "): " + requiredRights(method), e);
            case UNAUTHENTICATED -> new TeleportException(status.getCode(),
                    "Teleport at " + address + " did not accept the exporter's identity (" + description
                            + "): check " + credentials.source().certificateKey(), e);
            case UNIMPLEMENTED -> new TeleportException(status.getCode(),
                    "Teleport at " + address + " does not support " + method + ": " + description, e);
            default -> new TeleportException(status.getCode(),
                    "Teleport " + method + " failed (" + status.getCode() + "): " + description, e);
        };
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
            return new ConfigException(credentials.source().authoritiesKey() + ": the Teleport server's certificate at "
                    + address + " is not signed by a CA in " + authoritiesFile() + " (wrong cluster or wrong CA)", e);
        }
        if (causes.stream().anyMatch(cause -> message(cause).contains("No subject alternative")
                || message(cause).contains("No name matching"))) {
            return new ConfigException("teleport.addr: the server at " + address + " presented a certificate"
                    + " without the name " + TeleportDialer.SERVER_NAME + ": it is not a Teleport Auth Service", e);
        }
        for (Throwable cause : causes) {
            String alert = clientCertificateAlert(message(cause));
            if (alert != null) {
                return new ConfigException(credentials.source().certificateKey() + ": the Teleport server at "
                        + address + " rejected the client certificate in " + credentials.source().certificateFile()
                        + " (TLS alert " + alert + "): " + rejectionHint(), e);
            }
        }
        if (causes.stream().anyMatch(SSLHandshakeException.class::isInstance)) {
            return new TeleportException(Status.Code.UNAVAILABLE,
                    "TLS handshake with Teleport at " + address + " failed: " + detail(e), e);
        }
        return null;
    }

    private static String message(Throwable throwable) {
        return throwable.getMessage() == null ? "" : throwable.getMessage();
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

    private String rejectionHint() {
        if (Instant.now().isAfter(credentials.notAfter())) {
            return "it expired at " + credentials.notAfter() + "; issue a new one (or let tbot renew it and set"
                    + " teleport.refresh.enabled)";
        }
        return "it is not issued by this cluster's user CA, or it was revoked";
    }

    private String authoritiesFile() {
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
