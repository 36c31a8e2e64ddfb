package io.cistern.writer;

import io.cistern.connections.EnvironmentReader;
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

    /**
     * Settings from {@code CISTERN_PREFIX}, {@code CISTERN_REGISTRY_REFRESH_MS} and the Redis variables; unset or blank
     * variables take the default.
     *
     * @throws IllegalArgumentException naming the variable when a value is wrong
     */
    public static WriterSettings fromEnvironment(Map<String, String> env) {
        EnvironmentReader reader = new EnvironmentReader(env);
        return new WriterSettings(
                RedisSettings.fromEnvironment(env),
                new KeyLayout(reader.get("CISTERN_PREFIX", KeyLayout.DEFAULT_PREFIX)),
                reader.millis("CISTERN_REGISTRY_REFRESH_MS", Duration.ofSeconds(1)));
    }

    public WriterSettings withPrefix(String prefix) {
        return new WriterSettings(redis, new KeyLayout(prefix), registryRefresh);
    }
}
