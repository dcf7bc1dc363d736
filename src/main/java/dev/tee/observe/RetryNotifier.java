package dev.tee.observe;

import dev.tee.teleport.TeleportException;
import org.apache.camel.Exchange;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.support.EventNotifierSupport;

/**
 * Tells the metrics about every send the output could not take now and Camel's error handler tries
 * again: audit batches (exporter-errors in audit.yaml) and session recordings (session-errors in
 * sessions.yaml). Redeliveries that read from Teleport again (a cut export chunk or recording stream)
 * are not sends, and the output is not failing for them.
 */
final class RetryNotifier extends EventNotifierSupport {

    private final ExporterMetrics metrics;

    RetryNotifier(ExporterMetrics metrics) {
        this.metrics = metrics;
        // only redeliveries, which Camel counts among the failure events: it then skips creating the
        // events of every exchange, which would cost per event read
        setIgnoreCamelContextEvents(true);
        setIgnoreRouteEvents(true);
        setIgnoreServiceEvents(true);
        setIgnoreStepEvents(true);
        setIgnoreExchangeCreatedEvent(true);
        setIgnoreExchangeCompletedEvent(true);
        setIgnoreExchangeSendingEvents(true);
        setIgnoreExchangeSentEvents(true);
    }

    @Override
    public boolean isEnabled(CamelEvent event) {
        return event instanceof CamelEvent.ExchangeRedeliveryEvent;
    }

    @Override
    public void notify(CamelEvent event) {
        Exchange exchange = ((CamelEvent.ExchangeRedeliveryEvent) event).getExchange();
        Throwable failure = exchange.getException() != null ? exchange.getException()
                : exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        if (failure instanceof TeleportException) {
            return;
        }
        metrics.retried(failure == null ? "unknown failure" : String.valueOf(failure.getMessage()));
    }
}
