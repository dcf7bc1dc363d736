package dev.tee.observe;

import org.apache.camel.Exchange;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.support.EventNotifierSupport;

/**
 * Tells the metrics about every redelivery Camel's error handler makes: in the exporter's routes only
 * a send the output could not take now is redelivered (exporter-errors in audit.yaml).
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
        metrics.retried(failure == null ? "unknown failure" : String.valueOf(failure.getMessage()));
    }
}
