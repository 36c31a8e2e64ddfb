package io.cistern.spring.boot;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
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
        Health check(RedisClusterCommands<String, String> redis);
    }

    private final AbstractRedisClient client;
    private StatefulConnection<String, String> connection;
    private RedisClusterCommands<String, String> commands;
    private boolean closed;

    /** On {@code client}: a single server's or Sentinel's ({@link RedisClient}), or a Redis Cluster's. */
    ProbeConnection(AbstractRedisClient client) {
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
                if (client instanceof RedisClusterClient cluster) {
                    StatefulRedisClusterConnection<String, String> c = cluster.connect();
                    commands = c.sync();
                    connection = c;
                } else {
                    StatefulRedisConnection<String, String> c = ((RedisClient) client).connect();
                    commands = c.sync();
                    connection = c;
                }
            }
            return probe.check(commands);
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
