package io.cistern.spring.boot;

import io.cistern.connections.Backoff;
import io.cistern.schema.postgres.Initializer;
import io.cistern.schema.registry.TableRegistry;
import io.cistern.sync.SyncSettings;
import io.cistern.sync.SyncWorker;
import io.lettuce.core.AbstractRedisClient;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * A {@link SyncWorker} running inside the application, started and stopped with its context.
 *
 * <p>Starting never blocks the application: a starter thread reads the table registry and the buffer limits from
 * PostgreSQL (the source of truth, as {@code ops/cistern sync-worker} does) and starts the worker, retrying with
 * capped exponential backoff while PostgreSQL is down or Cistern is not initialised there yet, so an application whose
 * database is away at startup still starts and writes. Stopping drains: the worker commits and acknowledges its batches
 * in hand and releases its leases. It stops in {@link #PHASE}, after the application's executors and web server (which
 * may still be writing) and before the Redis connection factory (phase 0) closes the client it uses.
 *
 * <p>Thread-safe.
 */
public final class EmbeddedSyncWorker implements SmartLifecycle {
    /** The lifecycle phase: high, so it stops early, yet below the executors' and the web server's. */
    public static final int PHASE = 1 << 20;

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedSyncWorker.class);

    private final SyncSettings settings;
    private final DataSource dataSource;
    private final AbstractRedisClient redisClient;
    private final MeterRegistry meters;
    private final Backoff backoff;
    private final CountDownLatch stopping = new CountDownLatch(1);

    private Thread starter;
    private SyncWorker worker;
    private boolean running;

    EmbeddedSyncWorker(
            SyncSettings settings, DataSource dataSource, AbstractRedisClient redisClient, MeterRegistry meters) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.redisClient = Objects.requireNonNull(redisClient, "redisClient");
        this.meters = Objects.requireNonNull(meters, "meters");
        this.backoff = new Backoff(settings.backoffInitial(), settings.backoffMax(), Duration.ZERO);
    }

    @Override
    public synchronized void start() {
        if (running) {
            return;
        }
        running = true;
        starter = Thread.ofPlatform()
                .name("cistern-embedded-worker-start")
                .daemon(true)
                .start(this::startWhenDatabaseAnswers);
    }

    private void startWhenDatabaseAnswers() {
        for (int attempt = 1; stopping.getCount() > 0; attempt++) {
            try {
                TableRegistry registry = Initializer.registry(dataSource);
                SyncWorker started = new SyncWorker(
                        settings.mutate().limits(Initializer.limits(dataSource)).build(),
                        registry,
                        dataSource,
                        redisClient,
                        meters);
                synchronized (this) {
                    if (stopping.getCount() == 0) {
                        return;
                    }
                    started.start();
                    worker = started;
                }
                return;
            } catch (RuntimeException e) {
                Duration delay =
                        backoff.delay(attempt, ThreadLocalRandom.current().nextDouble());
                LOG.warn(
                        "embedded sync worker {}: cannot start yet, retry {} in {} ms: {}",
                        settings.workerId(),
                        attempt,
                        delay.toMillis(),
                        e.getMessage());
                try {
                    if (stopping.await(delay.toMillis(), TimeUnit.MILLISECONDS)) {
                        return;
                    }
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /**
     * Stops taking partitions, lets the batches in hand commit (up to the drain timeout) and releases the leases. Waits
     * for it.
     */
    @Override
    public void stop() {
        Thread startingThread;
        synchronized (this) {
            if (!running) {
                return;
            }
            running = false;
            stopping.countDown();
            startingThread = starter;
        }
        try {
            startingThread.join(settings.drainTimeout().plusSeconds(5).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        SyncWorker toClose;
        synchronized (this) {
            toClose = worker;
            worker = null;
        }
        if (toClose != null) {
            toClose.close();
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

    /** Whether the worker has started (PostgreSQL answered and Cistern is initialised there). */
    public synchronized boolean workerStarted() {
        return worker != null;
    }

    /** The partitions the worker owns right now; empty before it started. */
    public Set<Integer> ownedPartitions() {
        SyncWorker w;
        synchronized (this) {
            w = worker;
        }
        return w == null ? Set.of() : w.ownedPartitions();
    }

    /** The worker's settings. */
    public SyncSettings settings() {
        return settings;
    }
}
