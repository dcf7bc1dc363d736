package dev.tee.teleport;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tee.config.ConfigException;
import dev.tee.tls.TlsMaterial;
import io.grpc.Status;

/**
 * Asks a Teleport Proxy which cluster it fronts, with the unauthenticated {@code GET /webapi/find}
 * Teleport's own clients start with (teleport-wire.md §2.4). The Proxy's web certificate is checked
 * like a browser would, against the system trust store and its host name, with the cluster's CAs
 * trusted as well for proxies that use a Teleport-issued certificate. Never without verification.
 */
final class WebFind {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** What the answer says: the cluster name, the Teleport version and whether TLS routing is on. */
    record Answer(String clusterName, String serverVersion, boolean tlsRouting) {
    }

    private WebFind() {
    }

    /**
     * The Proxy's answer.
     *
     * @throws TeleportException (UNAVAILABLE) when the Proxy cannot be reached now
     * @throws ConfigException when it is not a Teleport Proxy with TLS routing or its certificate is not trusted
     */
    static Answer ask(String proxyAddress, TeleportCredentials credentials, Duration timeout) {
        URI uri = URI.create("https://" + proxyAddress + "/webapi/find");
        HttpClient http = HttpClient.newBuilder()
                .sslContext(TlsMaterial.sslContext(null, systemAndClusterTrust(credentials.trustedAuthorities())))
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(timeout)
                .build();
        HttpResponse<String> response;
        try {
            response = http.send(HttpRequest.newBuilder(uri).timeout(timeout).header("Accept", "application/json")
                    .GET().build(), HttpResponse.BodyHandlers.ofString());
        } catch (SSLHandshakeException e) {
            if (!untrusted(e)) {
                // e.g. an Auth Service, which wants a client certificate before it answers anything
                throw new ConfigException("teleport.addr: " + proxyAddress + " is not a Teleport Proxy web port: the"
                        + " TLS handshake for GET /webapi/find failed (" + e.getMessage() + ")", e);
            }
            throw new ConfigException("teleport.addr: the web certificate of the Teleport Proxy at " + proxyAddress
                    + " is trusted neither by the system trust store nor by the cluster CA in "
                    + credentials.source().authoritiesFile() + " (" + e.getMessage() + ")", e);
        } catch (HttpTimeoutException e) {
            throw new TeleportException(Status.Code.UNAVAILABLE, "the Teleport Proxy at " + proxyAddress
                    + " did not answer GET /webapi/find within " + timeout.toSeconds() + " s", e);
        } catch (IOException e) {
            throw new TeleportException(Status.Code.UNAVAILABLE, "cannot reach the Teleport Proxy at " + proxyAddress
                    + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TeleportException(Status.Code.CANCELLED, "interrupted while asking the Teleport Proxy at "
                    + proxyAddress + " for its cluster name", e);
        }
        return answer(proxyAddress, response.statusCode(), response.body());
    }

    static Answer answer(String proxyAddress, int status, String body) {
        String notAProxy = "teleport.addr: " + proxyAddress + " is not a Teleport Proxy web port: ";
        String hint = "; set teleport.cluster-name, or point teleport.addr at the Auth Service (port 3025)";
        if (status >= 500) {
            throw new TeleportException(Status.Code.UNAVAILABLE, "the Teleport Proxy at " + proxyAddress
                    + " answered GET /webapi/find with HTTP " + status, null);
        }
        if (status != 200) {
            throw new ConfigException(notAProxy + "GET /webapi/find answered HTTP " + status + hint);
        }
        JsonNode find;
        try {
            find = JSON.readTree(body);
        } catch (IOException e) {
            throw new ConfigException(notAProxy + "GET /webapi/find did not answer JSON" + hint, e);
        }
        String clusterName = find.path("cluster_name").asText("");
        if (clusterName.isEmpty()) {
            throw new ConfigException(notAProxy + "its /webapi/find names no cluster_name (Teleport before 15?)"
                    + hint);
        }
        Answer answer = new Answer(clusterName, find.path("server_version").asText(""),
                find.path("proxy").path("tls_routing_enabled").asBoolean(false));
        if (!answer.tlsRouting()) {
            throw new ConfigException("teleport.addr: the Teleport Proxy at " + proxyAddress + " (cluster "
                    + clusterName + ") does not have TLS routing enabled, and the exporter reaches the Auth Service"
                    + " through a Proxy only with TLS routing: point teleport.addr at the Auth Service (port 3025)");
        }
        return answer;
    }

    /** Whether our check of the server's certificate failed, rather than the server refusing us. */
    private static boolean untrusted(SSLHandshakeException e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof CertificateException || String.valueOf(cause.getMessage()).contains("PKIX")) {
                return true;
            }
        }
        return false;
    }

    /** The JDK's default roots plus the cluster CAs, checked by one trust manager (which checks host names too). */
    private static X509TrustManager systemAndClusterTrust(List<X509Certificate> clusterAuthorities) {
        List<X509Certificate> roots = new ArrayList<>(clusterAuthorities);
        try {
            TrustManagerFactory system = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            system.init((KeyStore) null);
            for (TrustManager manager : system.getTrustManagers()) {
                if (manager instanceof X509TrustManager x509) {
                    roots.addAll(Arrays.asList(x509.getAcceptedIssuers()));
                }
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot read the system trust store", e);
        }
        return TlsMaterial.trustManager(roots);
    }
}
