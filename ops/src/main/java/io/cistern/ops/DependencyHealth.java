package io.cistern.ops;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.sql.Connection;
import java.time.Duration;
import javax.sql.DataSource;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * Readiness contributors of the sync worker's service: Redis answers PING, PostgreSQL hands out a valid connection.
 * Each says what is wrong when it is down; neither shows a secret. Thread-safe.
 */
final class DependencyHealth {
    private DependencyHealth() {}

    /** Redis, through its own connection (a blocking read on a worker connection must not delay health). */
    static final class RedisReady implements HealthIndicator, AutoCloseable {
        private final RedisClient client;
        private StatefulRedisConnection<String, String> connection;

        RedisReady(RedisClient client) {
            this.client = client;
        }

        @Override
        public synchronized Health health() {
            long start = System.nanoTime();
            try {
                if (connection == null || !connection.isOpen()) {
                    connection = client.connect();
                }
                connection.sync().ping();
                return Health.up()
                        .withDetail(
                                "latencyMillis",
                                Duration.ofNanos(System.nanoTime() - start).toMillis())
                        .build();
            } catch (RuntimeException e) {
                return Health.down()
                        .withDetail("error", "Redis does not answer: " + e.getMessage())
                        .build();
            }
        }

        @Override
        public synchronized void close() {
            if (connection != null) {
                connection.close();
            }
        }
    }

    /** PostgreSQL, through the worker's pool. */
    static final class PostgresReady implements HealthIndicator {
        private final DataSource dataSource;

        PostgresReady(DataSource dataSource) {
            this.dataSource = dataSource;
        }

        @Override
        public Health health() {
            long start = System.nanoTime();
            try (Connection c = dataSource.getConnection()) {
                if (!c.isValid(2)) {
                    return Health.down()
                            .withDetail("error", "PostgreSQL connection is not valid")
                            .build();
                }
                return Health.up()
                        .withDetail(
                                "latencyMillis",
                                Duration.ofNanos(System.nanoTime() - start).toMillis())
                        .build();
            } catch (Exception e) {
                return Health.down()
                        .withDetail("error", "PostgreSQL does not answer: " + e.getMessage())
                        .build();
            }
        }
    }
}
