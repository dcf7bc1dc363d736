package dev.tee.teleport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;

import javax.net.ssl.SSLHandshakeException;

import dev.tee.config.ConfigException;
import dev.tee.teleport.proto.auth.AuthServiceGrpc;
import dev.tee.teleport.proto.auth.PingRequest;
import dev.tee.teleport.proto.auth.PingResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.Test;

/** How failures against servers other than the fake Teleport reach the user. */
class TeleportErrorsTest {

    /** An Auth Service that accepts calls and never answers, as a hung server does. */
    private static final class Silent extends AuthServiceGrpc.AuthServiceImplBase {
        @Override
        public void ping(PingRequest request, StreamObserver<PingResponse> responses) {
        }
    }

    @Test
    void unaryCallGivesUpAtItsDeadlineRetryably() throws Exception {
        try (TestServer server = new TestServer(new Silent(), "teleport.cluster.local");
                TeleportClient client = new TeleportClient(server.address(), server.credentials(),
                        Duration.ofMillis(300))) {
            assertThatThrownBy(client::ping).isInstanceOfSatisfying(TeleportException.class, e -> {
                assertThat(e.code()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
                assertThat(e.isRetryable()).isTrue();
            }).hasMessage("Teleport at " + server.address() + " did not answer Ping within 0.3 s");
        }
    }

    @Test
    void serverCertificateWithoutTeleportNameIsRefused() throws Exception {
        try (TestServer server = new TestServer(new Silent(), "auth.example.com", "localhost");
                TeleportClient client = new TeleportClient(server.address(), server.credentials())) {
            assertThatThrownBy(client::ping).isInstanceOf(ConfigException.class)
                    .hasMessage("teleport.addr: the server at " + server.address() + " presented a certificate"
                            + " without the name teleport.cluster.local: it is not a Teleport Auth Service");
        }
    }

    @Test
    void expiredServerCertificateIsNotMistakenForAWrongCa() throws Exception {
        Instant past = Instant.now().minus(Duration.ofDays(2));
        try (TestServer server = new TestServer(new Silent(), leaf -> leaf.dnsNames("teleport.cluster.local")
                        .validity(past, past.plus(Duration.ofDays(1))));
                TeleportClient client = new TeleportClient(server.address(), server.credentials())) {
            assertThatThrownBy(client::ping).isInstanceOfSatisfying(TeleportException.class,
                            e -> assertThat(e.isRetryable()).isTrue())
                    .hasMessage("the Teleport server's certificate at " + server.address()
                            + " is expired or not yet valid: check the clocks of both machines");
        }
    }

    @Test
    void expiredAlertForACertificateStillValidHereBlamesTheClocks() throws Exception {
        try (TestServer server = new TestServer(new Silent(), "teleport.cluster.local")) {
            TeleportCredentials credentials = server.credentials();
            TeleportErrors errors = new TeleportErrors(TeleportRoute.direct(server.address()), () -> credentials, false,
                    Duration.ofSeconds(1));
            StatusRuntimeException alert = Status.UNAVAILABLE.withDescription("ssl exception")
                    .withCause(new SSLHandshakeException("Received fatal alert: certificate_expired"))
                    .asRuntimeException();

            assertThat(errors.translate("Ping", alert)).isInstanceOf(ConfigException.class)
                    .hasMessage("teleport.identity: the Teleport server at " + server.address() + " rejected the client"
                            + " certificate in test-identity (TLS alert certificate_expired): the server considers it"
                            + " expired, but it is valid until " + credentials.notAfter() + ": check the clocks of both"
                            + " machines");
        }
    }

    @Test
    void recognisesCertificateAlertsAsTheJdkAndBoringSslSpellThem() {
        assertThat(TeleportErrors.clientCertificateAlert("Received fatal alert: bad_certificate"))
                .isEqualTo("bad_certificate");
        assertThat(TeleportErrors.clientCertificateAlert(
                "error:10000418:SSL routines:OPENSSL_internal:TLSV1_ALERT_UNKNOWN_CA")).isEqualTo("unknown_ca");
        assertThat(TeleportErrors.clientCertificateAlert(
                "error:1000045c:SSL routines:OPENSSL_internal:TLSV13_ALERT_CERTIFICATE_REQUIRED"))
                .isEqualTo("certificate_required");
        assertThat(TeleportErrors.clientCertificateAlert("Received fatal alert: handshake_failure")).isNull();
        assertThat(TeleportErrors.clientCertificateAlert("Connection refused")).isNull();
    }
}
