package io.cistern.spring.boot;

import java.util.ArrayDeque;
import java.util.Deque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.context.SmartLifecycle;

/**
 * Closes the connections Cistern's beans opened from the application's Redis client while that client is still open.
 *
 * <p>Spring Data Redis' {@code LettuceConnectionFactory} is a lifecycle bean of phase 0 that shuts its client down when
 * the context stops, before any bean is destroyed; closing Cistern's connections afterwards (as destroy methods would)
 * finds them already dead. This lifecycle stops just after the {@link EmbeddedSyncWorker} ({@link #PHASE}), after the
 * application's executors and web server stopped writing, and closes what was registered, last registered first. What
 * a failed startup left open is closed when this bean is destroyed. Thread-safe.
 */
final class ClosedBeforeRedisClient implements SmartLifecycle, DisposableBean {
    static final int PHASE = EmbeddedSyncWorker.PHASE - 1;

    private static final Logger LOG = LoggerFactory.getLogger(ClosedBeforeRedisClient.class);

    private final Deque<AutoCloseable> open = new ArrayDeque<>();
    private boolean running;

    /** Registers a component to close; returns it. */
    synchronized <T extends AutoCloseable> T register(T component) {
        open.push(component);
        return component;
    }

    @Override
    public synchronized void start() {
        running = true;
    }

    @Override
    public void stop() {
        closeAll();
        synchronized (this) {
            running = false;
        }
    }

    @Override
    public synchronized boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }

    @Override
    public void destroy() {
        closeAll();
    }

    private void closeAll() {
        while (true) {
            AutoCloseable next;
            synchronized (this) {
                next = open.poll();
            }
            if (next == null) {
                return;
            }
            try {
                next.close();
            } catch (Exception e) {
                LOG.warn("closing {} failed: {}", next.getClass().getSimpleName(), e.toString());
            }
        }
    }
}
