package dev.tee.sink.fluentd;

import java.time.Duration;

import org.apache.camel.component.http.HttpClientConfigurer;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;

/**
 * The {@code fluentdHttpClient} bean ({@code httpClientConfigurer} of the Fluentd endpoint): how the
 * pooled, kept-alive connections to Fluentd's in_http behave.
 */
public final class FluentdConnections implements HttpClientConfigurer {

    /** The Go handler's whole-request timeout. */
    public static final Duration RESPONSE_TIMEOUT = Duration.ofSeconds(30);
    /**
     * A pooled connection idle longer than this is not used again: in_http closes it after 10 s
     * ({@code keepalive_timeout}), and a POST on a connection it is closing would fail.
     */
    static final Duration KEEP_ALIVE = Duration.ofSeconds(5);

    private final Duration responseTimeout;

    public FluentdConnections(Duration responseTimeout) {
        this.responseTimeout = responseTimeout;
    }

    @Override
    public void configureHttpClient(HttpClientBuilder builder) {
        builder.setKeepAliveStrategy((response, context) -> TimeValue.of(KEEP_ALIVE))
                .evictIdleConnections(TimeValue.of(KEEP_ALIVE))
                .setDefaultRequestConfig(RequestConfig.custom()
                        .setResponseTimeout(Timeout.of(responseTimeout))
                        .setConnectionRequestTimeout(Timeout.of(responseTimeout))
                        .build())
                // with a client certificate HttpClient tags each connection with its TLS principal and
                // then leases it only to requests carrying that same token, so none would ever be reused
                .disableConnectionState()
                // the route owns retries (backoff, redelivery of unsettled events); a 3xx is a failure, not a hop
                .disableAutomaticRetries()
                .disableRedirectHandling()
                .disableCookieManagement()
                .disableContentCompression();
    }
}
