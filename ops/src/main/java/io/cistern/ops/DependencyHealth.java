package io.cistern.ops;

import io.cistern.connections.ConnectionFailureTranslator;
import io.cistern.connections.DatabaseSettings;
import io.cistern.connections.RedisPing;
import io.cistern.connections.RedisSettings;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * Readiness contributors of the services that need Redis and PostgreSQL. They work from settings alone, so they answer
 * while the service is still waiting for its servers at startup: down, with what is wrong and what to check (the
 * connection-failure translator's message, never a secret). Thread-safe.
 */
final class DependencyHealth {
    private DependencyHealth() {}

    /** Redis answers PING, on a connection of its own (a blocking read elsewhere must not delay health). */
    static final class RedisReady implements HealthIndicator, AutoCloseable {
        private final RedisPing redis;

        RedisReady(RedisSettings settings) {
            this.redis = new RedisPing(settings);
        }

        @Override
        public Health health() {
            RedisSettings settings = redis.settings();
            long start = System.nanoTime();
            try {
                redis.ping();
                return Health.up()
                        .withDetail("redis", settings.redactedUrl())
                        .withDetail(
                                "latencyMillis",
                                Duration.ofNanos(System.nanoTime() - start).toMillis())
                        .build();
            } catch (RuntimeException e) {
                return Health.down()
                        .withDetail("redis", settings.redactedUrl())
                        .withDetail(
                                "error",
                                ConnectionFailureTranslator.translate(e, settings)
                                        .getMessage())
                        .build();
            }
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
            long start = System.nanoTime();
            try (Connection c = DriverManager.getConnection(settings.jdbcUrl(), settings.driverProperties())) {
                c.createStatement().execute("SELECT 1");
                return Health.up()
                        .withDetail("postgres", settings.hosts().get(0) + "/" + settings.database())
                        .withDetail(
                                "latencyMillis",
                                Duration.ofNanos(System.nanoTime() - start).toMillis())
                        .build();
            } catch (Exception e) {
                return Health.down()
                        .withDetail("postgres", settings.hosts().get(0) + "/" + settings.database())
                        .withDetail(
                                "error",
                                ConnectionFailureTranslator.translate(e, settings)
                                        .getMessage())
                        .build();
            }
        }
    }
}
