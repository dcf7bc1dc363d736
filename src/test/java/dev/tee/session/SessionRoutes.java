package dev.tee.session;

import java.util.concurrent.atomic.AtomicInteger;

import dev.tee.event.Batch;
import dev.tee.observe.RetryCount;
import org.apache.camel.Processor;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.main.Main;

/**
 * A {@link SessionExporter} at work as the exporter runs it: bound as {@code sessions} (and its queue
 * as {@code sessionBacklog}) in a Camel that runs routes/sessions.yaml.
 */
final class SessionRoutes {

    private final SessionExporter sessions;
    private final Main main;
    private final ProducerTemplate template;
    private final AtomicInteger retries;

    private SessionRoutes(SessionExporter sessions, Main main, AtomicInteger retries) {
        this.sessions = sessions;
        this.main = main;
        this.retries = retries;
        this.template = main.getCamelContext().createProducerTemplate();
    }

    /** Starts {@code sessions} (resuming what its storage holds) and the session routes with {@code workers} workers. */
    static SessionRoutes start(SessionExporter sessions, int workers) {
        Main main = new Main();
        sessions.beans().forEach(main::bind);
        // the error handler's onRedeliveryRef (the exporter binds dev.tee.observe.RetryCount there)
        AtomicInteger retries = new AtomicInteger();
        main.bind(RetryCount.BEAN, (Processor) exchange -> retries.incrementAndGet());
        main.configure().withRoutesIncludePattern("file:routes/sessions.yaml");
        main.configure().withJmxEnabled(false);
        main.addInitialProperty("concurrency", Integer.toString(workers));
        sessions.start();
        try {
            main.start();
        } catch (Exception e) {
            throw new IllegalStateException("the session routes did not start: " + e.getMessage(), e);
        }
        return new SessionRoutes(sessions, main, retries);
    }

    /** Redeliveries of the session-recordings route, as the retries metric counts them. */
    int retries() {
        return retries.get();
    }

    /** What the delivery routes do with each batch before it is acknowledged. */
    void registerUploads(Batch batch) throws InterruptedException {
        template.sendBody("direct:session-uploads", batch);
    }

    /** As the exporter stops: the sessions bean first, then the routes, then its storage. */
    void stop() {
        sessions.stop();
        main.stop();
        sessions.close();
    }

    long sessionsDone() {
        return sessions.sessionsDone();
    }

    long sessionsGivenUp() {
        return sessions.sessionsGivenUp();
    }

    long sessionEventsSent() {
        return sessions.sessionEventsSent();
    }

    int activeSessions() {
        return sessions.activeSessions();
    }

    int backlog() {
        return sessions.backlog();
    }

    int blockedRegistrations() {
        return sessions.blockedRegistrations();
    }

    int missingSessions() {
        return sessions.missingSessions();
    }

    int failedSessions() {
        return sessions.failedSessions();
    }

    boolean idle() {
        return sessions.idle();
    }
}
