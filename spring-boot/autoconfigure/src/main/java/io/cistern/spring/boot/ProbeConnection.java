package io.cistern.spring.boot;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.util.Map;
import org.springframework.boot.health.contributor.Health;

/**
 * The Redis connection of one health indicator: its own, so a probe never queues behind writes or a blocking read;
 * opened on the first check (and the check fails, naming why, while Redis is away); closed with the application, after
 * which a check answers {@code UNKNOWN} instead of opening it again. Thread-safe: checks are serialised.
 */
final class ProbeConnection implements AutoCloseable {
    /** One check on the open connection. */
    @FunctionalInterface
    interface Probe {
        Health check(RedisCommands<String, String> redis);
    }

    private final RedisClient client;
    private StatefulRedisConnection<String, String> connection;
    private boolean closed;

    ProbeConnection(RedisClient client) {
        this.client = client;
    }

    /**
     * Runs {@code probe}; when it (or opening the connection) fails, {@code DOWN} with {@code failureDetails} and the
     * error.
     */
    synchronized Health check(Probe probe, Map<String, ?> failureDetails) {
        if (closed) {
            return Health.unknown()
                    .withDetail("reason", "the application is shutting down")
                    .build();
        }
        try {
            if (connection == null) {
                connection = client.connect();
            }
            return probe.check(connection.sync());
        } catch (RuntimeException e) {
            return Health.down()
                    .withDetails(failureDetails)
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
