package io.cistern.connections;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The outcome of one readiness check of a server Cistern needs, in a form every health endpoint renders as it is
 * (Spring's {@code Health}, the status command, the dashboard): up or down, and named details. The one place that
 * decides what a check of Redis or PostgreSQL reports, so the writer service, the read proxy, the sync worker and the
 * launcher say the same thing: where (an address without credentials), how fast, and, when down, what is wrong and
 * what to check ({@link ConnectionFailureTranslator}'s message, never a secret).
 *
 * @param up whether the server answered
 * @param details the details in the order they are shown
 */
public record DependencyCheck(boolean up, Map<String, Object> details) {
    public DependencyCheck {
        details = Collections.unmodifiableMap(new LinkedHashMap<>(details));
    }

    /** {@code PING} on the probe's own connection. Details: {@code redis}, {@code ping}, {@code latencyMillis}. */
    public static DependencyCheck redis(RedisPing redis) {
        Objects.requireNonNull(redis, "redis");
        RedisSettings settings = redis.settings();
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("redis", settings.redactedUrl());
        long start = System.nanoTime();
        try {
            details.put("ping", redis.ping());
            details.put("latencyMillis", millisSince(start));
            return new DependencyCheck(true, details);
        } catch (RuntimeException e) {
            details.put(
                    "error", ConnectionFailureTranslator.translate(e, settings).getMessage());
            return new DependencyCheck(false, details);
        }
    }

    /**
     * A new connection (not a pooled one: this checks the path a new connection takes) and {@code SELECT 1}. Details:
     * {@code postgres} (first host and database), {@code latencyMillis}.
     */
    public static DependencyCheck postgres(DatabaseSettings settings) {
        Objects.requireNonNull(settings, "settings");
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("postgres", settings.hosts().get(0) + "/" + settings.database());
        long start = System.nanoTime();
        try (Connection c = DriverManager.getConnection(settings.jdbcUrl(), settings.driverProperties());
                Statement s = c.createStatement()) {
            s.execute("SELECT 1");
            details.put("latencyMillis", millisSince(start));
            return new DependencyCheck(true, details);
        } catch (Exception e) {
            details.put(
                    "error", ConnectionFailureTranslator.translate(e, settings).getMessage());
            return new DependencyCheck(false, details);
        }
    }

    private static long millisSince(long startNanos) {
        return Duration.ofNanos(System.nanoTime() - startNanos).toMillis();
    }
}
