package io.cistern.ops;

import io.cistern.connections.DatabaseSettings;
import io.cistern.connections.DependencyCheck;
import io.cistern.connections.RedisPing;
import io.cistern.connections.RedisSettings;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * Readiness contributors of the services that need Redis and PostgreSQL, rendering {@link DependencyCheck}s. They work
 * from settings alone, so they answer while the service is still waiting for its servers at startup: down, with what
 * is wrong and what to check. Thread-safe.
 */
final class DependencyHealth {
    private DependencyHealth() {}

    /** Spring's form of a check: its state and its details as they are. */
    static Health render(DependencyCheck check) {
        return (check.up() ? Health.up() : Health.down())
                .withDetails(check.details())
                .build();
    }

    /** Redis answers PING, on a connection of its own (a blocking read elsewhere must not delay health). */
    static final class RedisReady implements HealthIndicator, AutoCloseable {
        private final RedisPing redis;

        RedisReady(RedisSettings settings) {
            this.redis = new RedisPing(settings);
        }

        @Override
        public Health health() {
            return render(DependencyCheck.redis(redis));
        }

        @Override
        public void close() {
            redis.close();
        }
    }

    /** PostgreSQL accepts a connection and answers {@code SELECT 1}. */
    static final class PostgresReady implements HealthIndicator {
        private final DatabaseSettings settings;

        PostgresReady(DatabaseSettings settings) {
            this.settings = settings;
        }

        @Override
        public Health health() {
            return render(DependencyCheck.postgres(settings));
        }
    }
}
