package io.cistern.reader;

import io.cistern.connections.EnvironmentReader;
import io.cistern.schema.keys.KeyLayout;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * Settings of a {@link CachedReader}. Immutable; every value and combination is validated in the constructor, with a
 * message that names the setting (and its environment variable) and what to change. Built by {@link #defaults()} or
 * {@link #fromEnvironment(Map)}, changed by {@link #mutate()}.
 *
 * @param layout the Redis key layout: its prefix ({@code CISTERN_PREFIX}, default {@code cistern})
 * @param localCacheEntries the most records the in-process cache holds ({@code PROXY_LOCAL_CACHE_ENTRIES}, default
 *     100000); 0 turns the local cache off (every read goes to Redis)
 * @param localCacheTtl how long a record stays in the local cache at most ({@code PROXY_LOCAL_CACHE_TTL_MS}, default 10
 *     minutes). Invalidations remove changed records long before; the TTL bounds staleness only if an invalidation was
 *     lost without the connection dropping (which Redis does not do)
 * @param negativeCacheTtl how long "absent" answered by PostgreSQL stays in the local cache ({@code
 *     PROXY_NEGATIVE_CACHE_TTL_MS}, default 2 s); 0 never caches such answers. At most {@code localCacheTtl}
 * @param redisFillTtl how long a record read from PostgreSQL is kept in Redis for the other proxy instances ({@code
 *     PROXY_REDIS_FILL_TTL_MS}, default 10 minutes); 0 never fills Redis (each instance then reads PostgreSQL on its
 *     own local misses). Fills always carry this TTL, so they never hold Redis memory for long
 * @param maxConcurrentFills the most PostgreSQL reads in flight at once in this process ({@code
 *     PROXY_MAX_CONCURRENT_FILLS}, default 4, the default pool size); at most the pool size so fills cannot take every connection
 * @param databaseTimeout how long a read that needs PostgreSQL may take in total (waiting for a fill slot, a connection
 *     and the query) before it fails with a retryable error ({@code PROXY_DATABASE_TIMEOUT_MS}, default 2 s)
 * @param maxBatchKeys the most keys one {@link CachedReader#getAll} call may ask for ({@code PROXY_MAX_BATCH_KEYS},
 *     default 1000)
 */
public record ReaderSettings(
        KeyLayout layout,
        long localCacheEntries,
        Duration localCacheTtl,
        Duration negativeCacheTtl,
        Duration redisFillTtl,
        int maxConcurrentFills,
        Duration databaseTimeout,
        int maxBatchKeys) {

    public static final long DEFAULT_LOCAL_CACHE_ENTRIES = 100_000;
    public static final Duration DEFAULT_LOCAL_CACHE_TTL = Duration.ofMinutes(10);
    public static final Duration DEFAULT_NEGATIVE_CACHE_TTL = Duration.ofSeconds(2);
    public static final Duration DEFAULT_REDIS_FILL_TTL = Duration.ofMinutes(10);
    public static final int DEFAULT_MAX_CONCURRENT_FILLS = 4;
    public static final Duration DEFAULT_DATABASE_TIMEOUT = Duration.ofSeconds(2);
    public static final int DEFAULT_MAX_BATCH_KEYS = 1000;

    private static final Duration MIN_DATABASE_TIMEOUT = Duration.ofMillis(10);
    private static final Duration MAX_DATABASE_TIMEOUT = Duration.ofMinutes(5);

    public ReaderSettings {
        Objects.requireNonNull(layout, "layout must not be null (use KeyLayout.defaults())");
        requireNonNull(localCacheTtl, "localCacheTtl", "PROXY_LOCAL_CACHE_TTL_MS");
        requireNonNull(negativeCacheTtl, "negativeCacheTtl", "PROXY_NEGATIVE_CACHE_TTL_MS");
        requireNonNull(redisFillTtl, "redisFillTtl", "PROXY_REDIS_FILL_TTL_MS");
        requireNonNull(databaseTimeout, "databaseTimeout", "PROXY_DATABASE_TIMEOUT_MS");
        if (localCacheEntries < 0) {
            throw new IllegalArgumentException(
                    "localCacheEntries (PROXY_LOCAL_CACHE_ENTRIES) must not be negative, was " + localCacheEntries
                            + "; use 0 to turn the local cache off");
        }
        if (localCacheEntries > 0 && (localCacheTtl.isNegative() || localCacheTtl.isZero())) {
            throw new IllegalArgumentException("localCacheTtl (PROXY_LOCAL_CACHE_TTL_MS) must be positive while the"
                    + " local cache is on, was " + localCacheTtl.toMillis() + " ms");
        }
        if (negativeCacheTtl.isNegative()) {
            throw new IllegalArgumentException(
                    "negativeCacheTtl (PROXY_NEGATIVE_CACHE_TTL_MS) must not be negative, was "
                            + negativeCacheTtl.toMillis() + " ms; use 0 to never cache absent records");
        }
        if (localCacheEntries > 0 && negativeCacheTtl.compareTo(localCacheTtl) > 0) {
            throw new IllegalArgumentException("negativeCacheTtl (PROXY_NEGATIVE_CACHE_TTL_MS, "
                    + negativeCacheTtl.toMillis() + " ms) must not exceed localCacheTtl (PROXY_LOCAL_CACHE_TTL_MS, "
                    + localCacheTtl.toMillis() + " ms): absent answers are meant to be cached briefly");
        }
        if (redisFillTtl.isNegative()
                || (!redisFillTtl.isZero() && redisFillTtl.compareTo(Duration.ofSeconds(1)) < 0)) {
            throw new IllegalArgumentException(
                    "redisFillTtl (PROXY_REDIS_FILL_TTL_MS) must be 0 (never fill Redis) or at" + " least 1000 ms, was "
                            + redisFillTtl.toMillis() + " ms");
        }
        if (maxConcurrentFills < 1 || maxConcurrentFills > 1024) {
            throw new IllegalArgumentException("maxConcurrentFills (PROXY_MAX_CONCURRENT_FILLS) must be between 1 and"
                    + " 1024, was " + maxConcurrentFills + "; keep it below the database pool size");
        }
        if (databaseTimeout.compareTo(MIN_DATABASE_TIMEOUT) < 0
                || databaseTimeout.compareTo(MAX_DATABASE_TIMEOUT) > 0) {
            throw new IllegalArgumentException("databaseTimeout (PROXY_DATABASE_TIMEOUT_MS) must be between "
                    + MIN_DATABASE_TIMEOUT.toMillis() + " ms and " + MAX_DATABASE_TIMEOUT.toMillis() + " ms, was "
                    + databaseTimeout.toMillis() + " ms");
        }
        if (maxBatchKeys < 1 || maxBatchKeys > 10_000) {
            throw new IllegalArgumentException(
                    "maxBatchKeys (PROXY_MAX_BATCH_KEYS) must be between 1 and 10000, was " + maxBatchKeys);
        }
    }

    private static void requireNonNull(Duration value, String name, String variable) {
        if (value == null) {
            throw new IllegalArgumentException(name + " (" + variable + ") must not be null");
        }
    }

    /** The defaults, with the default key prefix. */
    public static ReaderSettings defaults() {
        return new ReaderSettings(
                KeyLayout.defaults(),
                DEFAULT_LOCAL_CACHE_ENTRIES,
                DEFAULT_LOCAL_CACHE_TTL,
                DEFAULT_NEGATIVE_CACHE_TTL,
                DEFAULT_REDIS_FILL_TTL,
                DEFAULT_MAX_CONCURRENT_FILLS,
                DEFAULT_DATABASE_TIMEOUT,
                DEFAULT_MAX_BATCH_KEYS);
    }

    /**
     * Settings from environment variables (the names are on each component above); unset or blank variables take the
     * default.
     *
     * @throws IllegalArgumentException naming the variable when a value is not a number or out of range
     */
    public static ReaderSettings fromEnvironment(Map<String, String> env) {
        EnvironmentReader reader = new EnvironmentReader(env);
        return new ReaderSettings(
                new KeyLayout(reader.get("CISTERN_PREFIX", KeyLayout.DEFAULT_PREFIX)),
                reader.longValue("PROXY_LOCAL_CACHE_ENTRIES", DEFAULT_LOCAL_CACHE_ENTRIES),
                reader.millisOrDefault("PROXY_LOCAL_CACHE_TTL_MS", DEFAULT_LOCAL_CACHE_TTL),
                reader.millisOrDefault("PROXY_NEGATIVE_CACHE_TTL_MS", DEFAULT_NEGATIVE_CACHE_TTL),
                reader.millisOrDefault("PROXY_REDIS_FILL_TTL_MS", DEFAULT_REDIS_FILL_TTL),
                integer(reader, "PROXY_MAX_CONCURRENT_FILLS", DEFAULT_MAX_CONCURRENT_FILLS),
                reader.millisOrDefault("PROXY_DATABASE_TIMEOUT_MS", DEFAULT_DATABASE_TIMEOUT),
                integer(reader, "PROXY_MAX_BATCH_KEYS", DEFAULT_MAX_BATCH_KEYS));
    }

    /** A whole number whose range the constructor checks (naming the variable); one beyond {@code int} is refused. */
    private static int integer(EnvironmentReader reader, String name, int fallback) {
        long value = reader.longValue(name, fallback);
        if (value != (int) value) {
            throw new IllegalArgumentException(name + " is far out of range, was " + value);
        }
        return (int) value;
    }

    /**
     * A builder holding these settings, to change some of them: {@code settings.mutate().maxBatchKeys(100).build()}.
     */
    public Builder mutate() {
        return new Builder(this);
    }

    /**
     * Changes some of a {@link ReaderSettings}' values; {@link #build()} validates them all, as the constructor does.
     * Not thread-safe; one per change.
     */
    public static final class Builder {
        private KeyLayout layout;
        private long localCacheEntries;
        private Duration localCacheTtl;
        private Duration negativeCacheTtl;
        private Duration redisFillTtl;
        private int maxConcurrentFills;
        private Duration databaseTimeout;
        private int maxBatchKeys;

        private Builder(ReaderSettings from) {
            layout = from.layout;
            localCacheEntries = from.localCacheEntries;
            localCacheTtl = from.localCacheTtl;
            negativeCacheTtl = from.negativeCacheTtl;
            redisFillTtl = from.redisFillTtl;
            maxConcurrentFills = from.maxConcurrentFills;
            databaseTimeout = from.databaseTimeout;
            maxBatchKeys = from.maxBatchKeys;
        }

        public Builder layout(KeyLayout value) {
            layout = value;
            return this;
        }

        /** The {@link #layout(KeyLayout) layout} of the key prefix {@code value}. */
        public Builder prefix(String value) {
            return layout(new KeyLayout(value));
        }

        public Builder localCacheEntries(long value) {
            localCacheEntries = value;
            return this;
        }

        public Builder localCacheTtl(Duration value) {
            localCacheTtl = value;
            return this;
        }

        public Builder negativeCacheTtl(Duration value) {
            negativeCacheTtl = value;
            return this;
        }

        public Builder redisFillTtl(Duration value) {
            redisFillTtl = value;
            return this;
        }

        public Builder maxConcurrentFills(int value) {
            maxConcurrentFills = value;
            return this;
        }

        public Builder databaseTimeout(Duration value) {
            databaseTimeout = value;
            return this;
        }

        public Builder maxBatchKeys(int value) {
            maxBatchKeys = value;
            return this;
        }

        /**
         * The settings.
         *
         * @throws IllegalArgumentException naming the value (and its variable) or combination that is wrong
         */
        public ReaderSettings build() {
            return new ReaderSettings(
                    layout,
                    localCacheEntries,
                    localCacheTtl,
                    negativeCacheTtl,
                    redisFillTtl,
                    maxConcurrentFills,
                    databaseTimeout,
                    maxBatchKeys);
        }
    }
}
