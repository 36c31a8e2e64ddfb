package io.cistern.writer.http;

import io.cistern.connections.RedisPing;
import io.cistern.connections.RedisSettings;
import java.time.Duration;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * Whether the writer's Redis answers a {@code PING}, on a connection of its own so that a health probe never queues
 * behind writes. Part of the readiness group, not of liveness: a service whose Redis is away should stop receiving
 * traffic, not be restarted. Details name Redis by its redacted URL, never with its password.
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
        RedisSettings settings = redis.settings();
        long start = System.nanoTime();
        try {
            String reply = redis.ping();
            return Health.up()
                    .withDetail("redis", settings.redactedUrl())
                    .withDetail("ping", reply)
                    .withDetail(
                            "latencyMillis",
                            Duration.ofNanos(System.nanoTime() - start).toMillis())
                    .build();
        } catch (RuntimeException e) {
            return Health.down()
                    .withDetail("redis", settings.redactedUrl())
                    .withDetail("error", e.getClass().getSimpleName() + ": " + redact(e.getMessage()))
                    .build();
        }
    }

    @Override
    public void close() {
        redis.close();
    }

    /** Lettuce messages name host and port, not passwords; any {@code user:password@} is stripped all the same. */
    static String redact(String message) {
        return message == null ? "" : message.replaceAll("(://[^:@/\\s]*:)[^@/\\s]*@", "$1****@");
    }
}
