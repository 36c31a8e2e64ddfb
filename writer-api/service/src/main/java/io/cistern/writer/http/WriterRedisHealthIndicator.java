package io.cistern.writer.http;

import io.cistern.connections.DependencyCheck;
import io.cistern.connections.RedisPing;
import io.cistern.connections.RedisSettings;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * Whether the writer's Redis answers a {@code PING}, on a connection of its own so that a health probe never queues
 * behind writes ({@link DependencyCheck#redis}, which the other services' checks use too). Part of the readiness group,
 * not of liveness: a service whose Redis is away should stop receiving traffic, not be restarted. Details name Redis
 * by its redacted URL and, when it is down, say what to check; never a password.
 *
 * <p>Thread-safe: checks are serialised, and the connection is opened on the first check (Lettuce reconnects it
 * afterwards, and refuses commands at once while it is disconnected).
 */
final class WriterRedisHealthIndicator implements HealthIndicator, AutoCloseable {
    private final RedisPing redis;

    WriterRedisHealthIndicator(RedisSettings settings) {
        this.redis = new RedisPing(settings);
    }

    @Override
    public Health health() {
        DependencyCheck check = DependencyCheck.redis(redis);
        return (check.up() ? Health.up() : Health.down())
                .withDetails(check.details())
                .build();
    }

    @Override
    public void close() {
        redis.close();
    }
}
