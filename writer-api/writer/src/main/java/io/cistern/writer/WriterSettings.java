package io.cistern.writer;

import io.cistern.connections.RedisSettings;
import io.cistern.schema.keys.KeyLayout;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * Settings of a {@link RecordWriter}. Immutable; validated in the constructor.
 *
 * @param redis how to reach Redis
 * @param layout the key layout (its prefix, {@code CISTERN_PREFIX}, default {@code cistern})
 * @param registryRefresh how often, at most, an unknown table or column makes the writer re-read the registry from
 *     Redis before refusing the write ({@code CISTERN_REGISTRY_REFRESH_MS}, default 1000)
 */
public record WriterSettings(RedisSettings redis, KeyLayout layout, Duration registryRefresh) {
    public WriterSettings {
        Objects.requireNonNull(redis, "redis");
        Objects.requireNonNull(layout, "layout");
        if (registryRefresh == null || registryRefresh.isNegative()) {
            throw new IllegalArgumentException("registryRefresh must not be negative, was " + registryRefresh);
        }
    }

    /** Settings for the Redis at {@code redisUrl} and the default prefix. */
    public static WriterSettings of(String redisUrl) {
        return new WriterSettings(RedisSettings.of(redisUrl), KeyLayout.defaults(), Duration.ofSeconds(1));
    }

    public static WriterSettings fromEnvironment(Map<String, String> env) {
        String prefix =
                env.getOrDefault("CISTERN_PREFIX", KeyLayout.DEFAULT_PREFIX).strip();
        long refresh = Long.parseLong(
                env.getOrDefault("CISTERN_REGISTRY_REFRESH_MS", "1000").strip());
        return new WriterSettings(
                RedisSettings.fromEnvironment(env), new KeyLayout(prefix), Duration.ofMillis(refresh));
    }

    public WriterSettings withPrefix(String prefix) {
        return new WriterSettings(redis, new KeyLayout(prefix), registryRefresh);
    }
}
