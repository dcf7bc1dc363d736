package dev.tee.app;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SIGTERM and SIGINT as the Go handler treats them (event-handler.md §2.1): the first stops the
 * exporter gracefully (the batch in flight finishes, the cursor is saved) and it exits 0; a stop
 * that takes longer than the deadline is forced (128 + the signal's number); a second SIGINT exits at
 * once with 130. A forced exit loses nothing: the cursor saved every second never passes an
 * unacknowledged event, and acknowledged ids are on disk before it moves, so a restart repeats
 * nothing. SIGHUP, which would end the JVM, reloads the credentials instead (systemd's
 * {@code ExecReload}). The JVM's own handlers come back on {@link #close}.
 *
 * <p>Until {@link #started()}, a stop also interrupts the thread that installed the handlers, so that
 * start-up ends within a second whatever it waits for (a pause between tries to reach Teleport, a
 * call in flight, a renewed identity): nothing has been read yet, so nothing can be lost.
 *
 * <p>Only {@code sun.misc.Signal} can take a signal from the JVM (a shutdown hook cannot see a second
 * SIGINT). It is used through reflection because javac flags every compile-time use of it as
 * proprietary API; where it is missing, the JVM's handling (Camel's shutdown hook) remains.
 */
final class StopSignals implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(StopSignals.class);
    private static final List<String> HANDLED = List.of("TERM", "INT", "HUP");
    private static final int INT = 2;
    private static final String HUP = "HUP";

    private final Runnable stop;
    private final Duration deadline;
    private final Runnable reload;
    private final Map<Object, Object> previous = new LinkedHashMap<>();
    private Method handle;
    private String received;
    private boolean closed;
    /** The thread starting the exporter, until it has started. */
    private Thread starting;
    private boolean interruptedStart;

    private StopSignals(Runnable stop, Duration deadline, Runnable reload) {
        this.stop = stop;
        this.deadline = deadline;
        this.reload = reload;
        this.starting = Thread.currentThread();
    }

    /**
     * Handles SIGTERM, SIGINT and SIGHUP from now on.
     *
     * @param stop begins the graceful stop (returns at once)
     * @param deadline how long the graceful stop may take
     * @param reload reloads the credentials (on the signal's own thread)
     */
    static StopSignals install(Runnable stop, Duration deadline, Runnable reload) {
        StopSignals signals = new StopSignals(stop, deadline, reload);
        try {
            Class<?> signalType = Class.forName("sun.misc.Signal");
            Class<?> handlerType = Class.forName("sun.misc.SignalHandler");
            Method name = signalType.getMethod("getName");
            Method number = signalType.getMethod("getNumber");
            Object handler = Proxy.newProxyInstance(StopSignals.class.getClassLoader(), new Class<?>[] {handlerType},
                    (proxy, method, args) -> switch (method.getName()) {
                        case "handle" -> {
                            signals.received((String) name.invoke(args[0]), (Integer) number.invoke(args[0]));
                            yield null;
                        }
                        case "hashCode" -> System.identityHashCode(proxy);
                        case "equals" -> proxy == args[0];
                        default -> "stop on SIGTERM or SIGINT, reload on SIGHUP";
                    });
            signals.handle = signalType.getMethod("handle", signalType, handlerType);
            for (String signalName : HANDLED) {
                Object signal = signalType.getConstructor(String.class).newInstance(signalName);
                try {
                    signals.previous.put(signal, signals.handle.invoke(null, signal, handler));
                } catch (InvocationTargetException e) {
                    // e.g. SIGHUP under nohup, or any signal with -Xrs: the others are still ours
                    LOG.debug("SIG{} stays with the JVM: {}", signalName, e.getCause().toString());
                }
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.debug("Signals stay with the JVM: {}", e.toString());
        }
        return signals;
    }

    /**
     * Start-up is over: from now on a stop is graceful and interrupts nothing.
     *
     * @return false when a stop came while starting (the caller stops instead of running)
     */
    synchronized boolean started() {
        starting = null;
        Thread.interrupted(); // a stop that came after the last wait must not hit the pipeline's first one
        return received == null;
    }

    /** Whether SIGTERM or SIGINT came before {@link #started()}, and interrupted start-up. */
    synchronized boolean interruptedStart() {
        return interruptedStart;
    }

    private void received(String signal, int number) {
        if (signal.equals(HUP)) {
            reload();
            return;
        }
        Thread interrupt;
        synchronized (this) {
            if (closed) {
                return;
            }
            if (received != null) {
                if (number == INT) {
                    System.err.println("Interrupted again: exiting now; the saved cursor is at most a second old");
                    Runtime.getRuntime().halt(128 + number);
                }
                return; // already stopping; the deadline forces it if need be
            }
            received = signal;
            interrupt = starting;
            interruptedStart = interrupt != null;
        }
        if (interrupt != null) {
            LOG.info("SIG{}: stopping before the export began; nothing was read yet", signal);
            interrupt.interrupt();
        } else {
            LOG.info("SIG{}: stopping; the batch in flight finishes and the cursor is saved (at most {}s{})", signal,
                    deadline.toSeconds(), number == INT ? "; interrupt again to exit at once" : "");
        }
        Thread watchdog = new Thread(() -> forceAfterDeadline(number), "stop-deadline");
        watchdog.setDaemon(true);
        watchdog.start();
        stop.run();
    }

    private void reload() {
        synchronized (this) {
            if (closed || received != null) {
                return; // stopping: the credentials no longer matter
            }
        }
        try {
            reload.run();
        } catch (RuntimeException e) {
            LOG.error("SIGHUP: the reload failed, the credentials in use stay: {}", e.toString());
        }
    }

    private void forceAfterDeadline(int number) {
        try {
            Thread.sleep(deadline.toMillis());
        } catch (InterruptedException e) {
            return;
        }
        synchronized (this) {
            if (closed) {
                return;
            }
        }
        LOG.warn("Not stopped after {}s: exiting now; the saved cursor is at most a second old", deadline.toSeconds());
        Runtime.getRuntime().halt(128 + number);
    }

    /** Gives SIGTERM, SIGINT and SIGHUP back to the JVM. */
    @Override
    public synchronized void close() {
        closed = true;
        previous.forEach((signal, handler) -> {
            try {
                handle.invoke(null, signal, handler);
            } catch (IllegalAccessException | InvocationTargetException e) {
                LOG.debug("Cannot give SIG{} back to the JVM: {}", signal, e.toString());
            }
        });
    }
}
