package io.cistern.writer;

import io.cistern.connections.EnvironmentReader;
import io.cistern.connections.RedisSettings;
import io.cistern.schema.keys.KeyLayout;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * Settings of a {@link RecordWriter}. Immutable; validated in the constructor. Built by {@link #of(String)} or {@link
 * #fromEnvironment(Map)}, changed by {@link #mutate()}.
 *
 * @param redis how to reach Redis
 * @param layout the key layout (its prefix, {@code CISTERN_PREFIX}, default {@code cistern})
 * @param registryRefresh how often, at most, an unknown table or column makes the writer re-read the registry from
 *     Redis before refusing the write ({@code CISTERN_REGISTRY_REFRESH_MS}, default 1000)
 */
public record WriterSettings(RedisSettings redis, KeyLayout layout, Duration registryRefresh) {
    public static final Duration DEFAULT_REGISTRY_REFRESH = Duration.ofSeconds(1);

    /** {@link #registryRefresh()} in milliseconds, 0 or more. */
    public static final String REGISTRY_REFRESH_VARIABLE = "CISTERN_REGISTRY_REFRESH_MS";

    public WriterSettings {
        Objects.requireNonNull(redis, "redis");
        Objects.requireNonNull(layout, "layout");
        if (registryRefresh == null || registryRefresh.isNegative()) {
            throw new IllegalArgumentException(
                    "registryRefresh (" + REGISTRY_REFRESH_VARIABLE + ") must not be negative, was " + registryRefresh);
        }
    }

    /** Settings for the Redis at {@code redisUrl} and the default prefix. */
    public static WriterSettings of(String redisUrl) {
        return new WriterSettings(RedisSettings.of(redisUrl), KeyLayout.defaults(), DEFAULT_REGISTRY_REFRESH);
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
                reader.millis(REGISTRY_REFRESH_VARIABLE, DEFAULT_REGISTRY_REFRESH));
    }

    /** A builder holding these settings, to change some of them: {@code settings.mutate().prefix("shop").build()}. */
    public Builder mutate() {
        return new Builder(this);
    }

    /**
     * Changes some of a {@link WriterSettings}' values; {@link #build()} validates them all, as the constructor does.
     * Not thread-safe; one per change.
     */
    public static final class Builder {
        private RedisSettings redis;
        private KeyLayout layout;
        private Duration registryRefresh;

        private Builder(WriterSettings from) {
            redis = from.redis;
            layout = from.layout;
            registryRefresh = from.registryRefresh;
        }

        public Builder redis(RedisSettings value) {
            redis = value;
            return this;
        }

        public Builder layout(KeyLayout value) {
            layout = value;
            return this;
        }

        /** The {@link #layout(KeyLayout) layout} of the key prefix {@code value}. */
        public Builder prefix(String value) {
            return layout(new KeyLayout(value));
        }

        public Builder registryRefresh(Duration value) {
            registryRefresh = value;
            return this;
        }

        /**
         * The settings.
         *
         * @throws IllegalArgumentException naming the value that is wrong
         */
        public WriterSettings build() {
            return new WriterSettings(redis, layout, registryRefresh);
        }
    }
}
