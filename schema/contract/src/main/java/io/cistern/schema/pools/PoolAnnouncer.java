package io.cistern.schema.pools;

import io.cistern.schema.keys.KeyLayout;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one pool announced ({@link PoolRegistry}) for a process that has no periodic thread of its own to carry it (the
 * read proxy, an application's pool under the Spring Boot starter): announces it at once and every third of its lifetime
 * on a daemon thread {@code cistern-pool-<component>}, over a Redis connection of its own that it opens there (so a
 * Redis that is down when the process starts delays the announcement, never the start), and withdraws it when closed.
 * An announcement that fails (Redis unreachable) is logged once and tried again at the next tick; the pool never
 * depends on it. Thread-safe.
 */
public final class PoolAnnouncer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PoolAnnouncer.class);

    /** The lifetime services use: a process that dies is no longer counted after at most this long. */
    public static final Duration DEFAULT_LIFETIME = Duration.ofSeconds(30);

    private final DatabasePool pool;
    private final Duration lifetime;
    private final AbstractRedisClient client;
    private final KeyLayout layout;
    private final ScheduledExecutorService thread;
    /** Opened on the announcing thread; read by close() after that thread has ended. */
    private volatile StatefulConnection<String, String> connection;

    private volatile RedisClusterCommands<String, String> commands;

    private volatile boolean failing;

    private PoolAnnouncer(AbstractRedisClient client, KeyLayout layout, DatabasePool pool, Duration lifetime) {
        this.pool = Objects.requireNonNull(pool, "pool");
        this.lifetime = Objects.requireNonNull(lifetime, "lifetime");
        if (lifetime.toMillis() < 3) {
            throw new IllegalArgumentException("pool announcement lifetime must be at least 3 ms, not " + lifetime);
        }
        this.client = Objects.requireNonNull(client, "client");
        this.layout = Objects.requireNonNull(layout, "layout");
        this.thread = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform()
                .daemon(true)
                .name("cistern-pool-" + pool.component())
                .factory());
    }

    /**
     * Starts announcing {@code pool} in {@code layout}'s set with {@code lifetime}; returns at once. {@code client} is a
     * {@link RedisClient} or, on a Redis Cluster, a {@link RedisClusterClient} (the set is one key, on one master).
     */
    public static PoolAnnouncer start(
            AbstractRedisClient client, KeyLayout layout, DatabasePool pool, Duration lifetime) {
        PoolAnnouncer announcer = new PoolAnnouncer(client, layout, pool, lifetime);
        long every = Math.max(1, lifetime.toMillis() / 3);
        announcer.thread.scheduleWithFixedDelay(announcer::announce, 0, every, TimeUnit.MILLISECONDS);
        return announcer;
    }

    /** The announced pool. */
    public DatabasePool pool() {
        return pool;
    }

    private void announce() {
        try {
            if (connection == null) {
                open();
            }
            new PoolRegistry(commands, layout).announce(pool, lifetime);
            if (failing) {
                LOG.info("{} pool of {}: announced again", pool.component(), pool.process());
                failing = false;
            }
        } catch (RuntimeException e) {
            if (!failing) {
                LOG.warn(
                        "{} pool of {}: cannot announce it in Redis ({}); doctor will not count it until this works",
                        pool.component(),
                        pool.process(),
                        e.getMessage());
                failing = true;
            }
        }
    }

    private void open() {
        if (client instanceof RedisClusterClient cluster) {
            var c = cluster.connect();
            commands = c.sync();
            connection = c;
        } else {
            var c = ((RedisClient) client).connect();
            commands = c.sync();
            connection = c;
        }
    }

    /** Stops announcing and withdraws the announcement (best effort: it expires within its lifetime anyway). */
    @Override
    public void close() {
        thread.shutdownNow();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        StatefulConnection<String, String> c = connection;
        if (c == null) {
            return;
        }
        try {
            new PoolRegistry(commands, layout).withdraw(pool);
        } catch (RuntimeException e) {
            LOG.debug("{} pool: withdrawing its announcement failed, it expires instead: {}", pool.component(), e);
        } finally {
            c.close();
        }
    }
}
