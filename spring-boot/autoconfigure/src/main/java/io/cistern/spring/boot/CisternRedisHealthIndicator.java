package io.cistern.spring.boot;

import io.cistern.connections.RedisSettings;
import io.cistern.schema.keys.KeyLayout;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.time.Duration;
import java.util.Map;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * {@code cisternRedis}: whether the Redis buffer answers a {@code PING} and holds Cistern's registry under the
 * configured prefix, on a connection of its own so a probe never queues behind writes. Redis is named by its address
 * without credentials. Thread-safe; the connection is a {@link ProbeConnection}.
 */
final class CisternRedisHealthIndicator implements HealthIndicator, AutoCloseable {
    private final ProbeConnection probe;
    private final RedisSettings description;
    private final KeyLayout layout;

    CisternRedisHealthIndicator(AbstractRedisClient client, RedisSettings description, KeyLayout layout) {
        this.probe = new ProbeConnection(client);
        this.description = description;
        this.layout = layout;
    }

    @Override
    public Health health() {
        return probe.check(this::check, Map.of("redis", description.redactedUrl()));
    }

    private Health check(RedisClusterCommands<String, String> redis) {
        long start = System.nanoTime();
        redis.ping();
        long latency = Duration.ofNanos(System.nanoTime() - start).toMillis();
        boolean initialised = redis.exists(layout.registry()) > 0;
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
    }

    @Override
    public void close() {
        probe.close();
    }
}
