package dev.tee.testing;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;

import dev.tee.event.Batch;
import dev.tee.pipeline.RouteInlet;
import dev.tee.sink.fluentd.FluentdConnections;
import dev.tee.sink.fluentd.FluentdSink;
import dev.tee.sink.fluentd.FluentdTls;
import dev.tee.sink.fluentd.GoJsonBody;
import org.apache.camel.CamelContext;
import org.apache.camel.component.http.HttpComponent;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.PluginHelper;

/**
 * The fluentd-deliver route of routes/deliver-fluentd.yaml, and the dead-letter route it calls, in a
 * Camel context of its own, with the beans the exporter binds: what the audit route and the session
 * export call, for tests of the sink.
 */
public final class FluentdRoute implements AutoCloseable {

    private final CamelContext camel;
    private final RouteInlet<Batch> inlet;
    private final FluentdSink sink;

    private FluentdRoute(CamelContext camel, RouteInlet<Batch> inlet, FluentdSink sink) {
        this.camel = camel;
        this.inlet = inlet;
        this.sink = sink;
    }

    /** @param stateDirectory where the dead-letter route writes dead-letter.jsonl */
    public static FluentdRoute start(FluentdSink sink, FluentdTls tls, String url, int maxConnections,
            Duration responseTimeout, Path stateDirectory) {
        CamelContext camel = new DefaultCamelContext();
        try {
            camel.getRegistry().bind("fluentd", sink);
            camel.getRegistry().bind("fluentdUnsettled", sink.unsettled());
            camel.getRegistry().bind("goJson", new GoJsonBody());
            camel.getRegistry().bind("fluentdTls", tls);
            camel.getRegistry().bind("fluentdHttpClient", new FluentdConnections(responseTimeout));
            Properties properties = new Properties();
            properties.put("delivery", "fluentd");
            properties.put("forward.fluentd.url", url);
            properties.put("fluentd-connections", Integer.toString(maxConnections));
            properties.put("state-directory", stateDirectory.toString());
            properties.put("retry-delay-ms", "20");
            properties.put("retry-max-delay-ms", "200");
            camel.getPropertiesComponent().setInitialProperties(properties);
            HttpComponent https = camel.getComponent("https", HttpComponent.class);
            https.setConnectTimeout(10_000);
            https.setSoTimeout((int) responseTimeout.toMillis());
            https.setResponseTimeout((int) responseTimeout.toMillis());
            PluginHelper.getRoutesLoader(camel).loadRoutes(
                    PluginHelper.getResourceLoader(camel).resolveResource("file:routes/deliver-fluentd.yaml"),
                    PluginHelper.getResourceLoader(camel).resolveResource("file:routes/dead-letters.yaml"));
            camel.start();
        } catch (Exception e) {
            camel.stop();
            throw new IllegalStateException("cannot start the fluentd-deliver route: " + e.getMessage(), e);
        }
        RouteInlet<Batch> inlet = RouteInlet.fluentd();
        inlet.attach(camel.createProducerTemplate());
        return new FluentdRoute(camel, inlet, sink);
    }

    /** The route's {@code fluentd} bean, with the counters. */
    public FluentdSink sink() {
        return sink;
    }

    /** Into the route, as the session export holds it. */
    public RouteInlet<Batch> inlet() {
        return inlet;
    }

    /** The context the route runs in, for tests that add a caller of their own. */
    public CamelContext camel() {
        return camel;
    }

    /** Delivers {@code batch} to forward.fluentd.url, as audit-deliver does (without its redelivery). */
    public void deliver(Batch batch) {
        inlet.accept(batch);
    }

    /** Delivers {@code batch} to {@code target}, as the session export does. */
    public void deliver(String target, Batch batch) {
        inlet.send(batch, Map.of(FluentdSink.TARGET_HEADER, target));
    }

    @Override
    public void close() {
        camel.stop();
    }
}
