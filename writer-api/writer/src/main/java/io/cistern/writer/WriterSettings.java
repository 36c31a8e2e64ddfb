package io.cistern.writer;

import io.cistern.connections.EnvironmentReader;
import io.cistern.connections.RedisSettings;
import io.cistern.schema.failure.RetryableException;
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
 * @param waitReplicas how many replicas of the master a write reached must hold it before the write counts as accepted
 *     ({@code WAIT}, {@code CISTERN_WRITER_WAIT_REPLICAS}, default 0: no wait). A write whose wait ends with fewer
 *     fails as retryable with {@link RetryableException#outcomeUnknown()} true: it may have been applied. No write is
 *     lost by a failover only when this is every replica of its master and the promoted replica is one of them
 *     (docs/durability.md)
 * @param waitTimeout how long a write waits for {@link #waitReplicas()} replicas at most ({@code
 *     CISTERN_WRITER_WAIT_TIMEOUT_MS}, default 1000); less than the Redis command timeout, as the {@code WAIT} is one
 *     Redis command
 * @param maxInFlight how many writes of one {@link RecordWriter#writeAll} batch are sent to Redis before the first of
 *     them is answered ({@code CISTERN_WRITER_MAX_IN_FLIGHT}, default 1000): the next writes are sent, in batch order,
 *     as earlier ones are answered, so a write's command timeout starts near its turn in Redis and a large batch to a
 *     healthy Redis never outlives it. A batch of at most this many is sent in one go
 * @param maxBatch the most writes {@link RecordWriter#writeAll} accepts in one batch ({@code CISTERN_WRITER_MAX_BATCH},
 *     default 10000); a larger batch is refused whole ({@code BATCH_TOO_LARGE}), nothing written
 */
public record WriterSettings(
        RedisSettings redis,
        KeyLayout layout,
        Duration registryRefresh,
        int waitReplicas,
        Duration waitTimeout,
        int maxInFlight,
        int maxBatch) {
    public static final Duration DEFAULT_REGISTRY_REFRESH = Duration.ofSeconds(1);

    /** {@link #registryRefresh()} in milliseconds, 0 or more. */
    public static final String REGISTRY_REFRESH_VARIABLE = "CISTERN_REGISTRY_REFRESH_MS";

    /** {@link #waitReplicas()}: 0 (no wait) or more. */
    public static final String WAIT_REPLICAS_VARIABLE = "CISTERN_WRITER_WAIT_REPLICAS";

    /** {@link #waitTimeout()} in milliseconds, 1 or more. */
    public static final String WAIT_TIMEOUT_VARIABLE = "CISTERN_WRITER_WAIT_TIMEOUT_MS";

    public static final Duration DEFAULT_WAIT_TIMEOUT = Duration.ofSeconds(1);

    /** {@link #maxInFlight()}: 1 or more. */
    public static final String MAX_IN_FLIGHT_VARIABLE = "CISTERN_WRITER_MAX_IN_FLIGHT";

    /**
     * 1000 writes: a healthy Redis answers that many {@code FCALL}s in tens of milliseconds, far inside the default
     * 2 s command timeout, and a batch of the bench's default size still goes out in one go.
     */
    public static final int DEFAULT_MAX_IN_FLIGHT = 1000;

    /** {@link #maxBatch()}: 1 or more. */
    public static final String MAX_BATCH_VARIABLE = "CISTERN_WRITER_MAX_BATCH";

    /**
     * 10,000 writes: about what a default 8 MiB HTTP body ({@code CISTERN_WRITER_MAX_BODY_BYTES}) holds of
     * small records, and a batch whose receipts and answers stay small in memory.
     */
    public static final int DEFAULT_MAX_BATCH = 10_000;

    public WriterSettings {
        Objects.requireNonNull(redis, "redis");
        Objects.requireNonNull(layout, "layout");
        if (registryRefresh == null || registryRefresh.isNegative()) {
            throw new IllegalArgumentException(
                    "registryRefresh (" + REGISTRY_REFRESH_VARIABLE + ") must not be negative, was " + registryRefresh);
        }
        if (waitReplicas < 0) {
            throw new IllegalArgumentException("waitReplicas (" + WAIT_REPLICAS_VARIABLE
                    + ") must be 0 (no wait) or a number of replicas, was " + waitReplicas);
        }
        if (waitTimeout == null || waitTimeout.isNegative() || waitTimeout.isZero()) {
            // WAIT's 0 means "for ever": a write would hang as long as a replica is away.
            throw new IllegalArgumentException(
                    "waitTimeout (" + WAIT_TIMEOUT_VARIABLE + ") must be at least 1 ms, was " + waitTimeout);
        }
        if (waitReplicas > 0 && waitTimeout.compareTo(redis.commandTimeout()) >= 0) {
            throw new IllegalArgumentException("waitTimeout (" + WAIT_TIMEOUT_VARIABLE + ", " + waitTimeout.toMillis()
                    + " ms) must be shorter than the Redis command timeout (REDIS_COMMAND_TIMEOUT_MS, "
                    + redis.commandTimeout().toMillis() + " ms): the WAIT is one Redis command; lower "
                    + WAIT_TIMEOUT_VARIABLE + " or raise REDIS_COMMAND_TIMEOUT_MS");
        }
        if (maxInFlight < 1) {
            throw new IllegalArgumentException(
                    "maxInFlight (" + MAX_IN_FLIGHT_VARIABLE + ") must be at least 1 write, was " + maxInFlight);
        }
        if (maxBatch < 1) {
            throw new IllegalArgumentException(
                    "maxBatch (" + MAX_BATCH_VARIABLE + ") must be at least 1 write, was " + maxBatch);
        }
    }

    /** Settings with the default window and batch limit. */
    public WriterSettings(
            RedisSettings redis, KeyLayout layout, Duration registryRefresh, int waitReplicas, Duration waitTimeout) {
        this(redis, layout, registryRefresh, waitReplicas, waitTimeout, DEFAULT_MAX_IN_FLIGHT, DEFAULT_MAX_BATCH);
    }

    /** Settings without a replica wait. */
    public WriterSettings(RedisSettings redis, KeyLayout layout, Duration registryRefresh) {
        this(redis, layout, registryRefresh, 0, DEFAULT_WAIT_TIMEOUT);
    }

    /** Whether writes wait for replicas ({@link #waitReplicas()} above 0). */
    public boolean waitsForReplicas() {
        return waitReplicas > 0;
    }

    /** Settings for the Redis at {@code redisUrl} and the default prefix. */
    public static WriterSettings of(String redisUrl) {
        return new WriterSettings(RedisSettings.of(redisUrl), KeyLayout.defaults(), DEFAULT_REGISTRY_REFRESH);
    }

    /**
     * Settings from {@code CISTERN_PREFIX}, {@code CISTERN_REGISTRY_REFRESH_MS}, {@code
     * CISTERN_WRITER_WAIT_REPLICAS}, {@code CISTERN_WRITER_WAIT_TIMEOUT_MS}, {@code CISTERN_WRITER_MAX_IN_FLIGHT},
     * {@code CISTERN_WRITER_MAX_BATCH} and the Redis variables; unset or blank
     * variables take the default.
     *
     * @throws IllegalArgumentException naming the variable when a value is wrong
     */
    public static WriterSettings fromEnvironment(Map<String, String> env) {
        EnvironmentReader reader = new EnvironmentReader(env);
        return new WriterSettings(
                RedisSettings.fromEnvironment(env),
                new KeyLayout(reader.get("CISTERN_PREFIX", KeyLayout.DEFAULT_PREFIX)),
                reader.millis(REGISTRY_REFRESH_VARIABLE, DEFAULT_REGISTRY_REFRESH),
                reader.integer(WAIT_REPLICAS_VARIABLE, 0, 0),
                reader.millis(WAIT_TIMEOUT_VARIABLE, DEFAULT_WAIT_TIMEOUT),
                reader.integer(MAX_IN_FLIGHT_VARIABLE, DEFAULT_MAX_IN_FLIGHT, 1),
                reader.integer(MAX_BATCH_VARIABLE, DEFAULT_MAX_BATCH, 1));
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
        private int waitReplicas;
        private Duration waitTimeout;
        private int maxInFlight;
        private int maxBatch;

        private Builder(WriterSettings from) {
            redis = from.redis;
            layout = from.layout;
            registryRefresh = from.registryRefresh;
            waitReplicas = from.waitReplicas;
            waitTimeout = from.waitTimeout;
            maxInFlight = from.maxInFlight;
            maxBatch = from.maxBatch;
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

        public Builder waitReplicas(int value) {
            waitReplicas = value;
            return this;
        }

        public Builder waitTimeout(Duration value) {
            waitTimeout = value;
            return this;
        }

        public Builder maxInFlight(int value) {
            maxInFlight = value;
            return this;
        }

        public Builder maxBatch(int value) {
            maxBatch = value;
            return this;
        }

        /**
         * The settings.
         *
         * @throws IllegalArgumentException naming the value that is wrong
         */
        public WriterSettings build() {
            return new WriterSettings(redis, layout, registryRefresh, waitReplicas, waitTimeout, maxInFlight, maxBatch);
        }
    }
}
