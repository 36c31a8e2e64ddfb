package io.cistern.connections;

import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * A {@code PING} to Redis on a connection of its own, for health checks: a probe never queues behind writes or a
 * blocking read, and it answers (with the failure) while a service still waits for Redis at startup, because the
 * client and connection are opened on the first ping and reopened after they closed. Any topology ({@link
 * RedisDeployment}): on a Redis Cluster the ping reaches one node of it.
 *
 * <p>Thread-safe: pings are serialised.
 */
public final class RedisPing implements AutoCloseable {
    private final RedisSettings settings;
    /** The event loops and timers, kept across failed opens (so a probe of a Redis that is down stays cheap). */
    private ClientResources resources;

    private RedisDeployment deployment;

    public RedisPing(RedisSettings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    /** The Redis this pings. */
    public RedisSettings settings() {
        return settings;
    }

    /**
     * Pings Redis.
     *
     * @return the reply ({@code PONG})
     * @throws RuntimeException as Lettuce throws it when Redis is unreachable or does not answer in time
     */
    public synchronized String ping() {
        if (deployment != null && !deployment.connection().isOpen()) {
            deployment.close();
            deployment = null;
        }
        if (resources == null) {
            resources = DefaultClientResources.create();
        }
        if (deployment == null) {
            deployment = RedisDeployment.open(settings, resources);
        }
        return deployment.sync().ping();
    }

    /** Closes the connection and the client. Idempotent. */
    @Override
    public synchronized void close() {
        if (deployment != null) {
            deployment.close();
            deployment = null;
        }
        if (resources != null) {
            resources.shutdown(0, 2, TimeUnit.SECONDS);
            resources = null;
        }
    }
}
