package io.cistern.spring.boot;

import io.cistern.connections.RedisSettings;
import io.cistern.schema.keys.KeyLayout;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * {@code cisternRedis}: whether the Redis buffer answers a {@code PING} and holds Cistern's registry under the
 * configured prefix, on a connection of its own so a probe never queues behind writes. Redis is named by its address
 * without credentials. Thread-safe: checks are serialised; the connection is opened on the first check.
 */
final class CisternRedisHealthIndicator implements HealthIndicator, AutoCloseable {
    private final RedisClient client;
    private final RedisSettings description;
    private final KeyLayout layout;
    private StatefulRedisConnection<String, String> connection;
    private boolean closed;

    CisternRedisHealthIndicator(RedisClient client, RedisSettings description, KeyLayout layout) {
        this.client = client;
        this.description = description;
        this.layout = layout;
    }

    @Override
    public synchronized Health health() {
        long start = System.nanoTime();
        if (closed) {
            return Health.unknown()
                    .withDetail("reason", "the application is shutting down")
                    .build();
        }
        try {
            if (connection == null) {
                connection = client.connect();
            }
            connection.sync().ping();
            long latency = Duration.ofNanos(System.nanoTime() - start).toMillis();
            boolean initialised = connection.sync().exists(layout.registry()) > 0;
            Health.Builder health = initialised ? Health.up() : Health.down();
            health.withDetail("redis", description.redactedUrl())
                    .withDetail("prefix", layout.prefix())
                    .withDetail("latencyMillis", latency);
            if (!initialised) {
                health.withDetail(
                        "reason",
                        "no Cistern registry at " + layout.registry() + ": run `ops/cistern init`, or check"
                                + " cistern.key-prefix");
            }
            return health.build();
        } catch (RuntimeException e) {
            return Health.down()
                    .withDetail("redis", description.redactedUrl())
                    .withDetail("error", e.getClass().getSimpleName() + ": " + e.getMessage())
                    .build();
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (connection != null) {
            connection.close();
        }
    }
}
