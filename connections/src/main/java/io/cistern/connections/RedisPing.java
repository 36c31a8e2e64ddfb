package io.cistern.connections;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.Objects;

/**
 * A {@code PING} to Redis on a connection of its own, for health checks: a probe never queues behind writes or a
 * blocking read, and it answers (with the failure) while a service still waits for Redis at startup, because the
 * client and connection are opened on the first ping and reopened after they closed.
 *
 * <p>Thread-safe: pings are serialised.
 */
public final class RedisPing implements AutoCloseable {
    private final RedisSettings settings;
    private RedisClient client;
    private StatefulRedisConnection<String, String> connection;

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
        if (client == null) {
            client = RedisClients.create(settings);
        }
        if (connection == null || !connection.isOpen()) {
            connection = client.connect();
        }
        return connection.sync().ping();
    }

    /** Closes the connection and the client. Idempotent. */
    @Override
    public synchronized void close() {
        if (connection != null) {
            connection.close();
            connection = null;
        }
        if (client != null) {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            client = null;
        }
    }
}
