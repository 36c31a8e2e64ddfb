package io.cistern.schema.registry;

import io.cistern.schema.keys.KeyLayout;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The table registry a component holds, and its one refresh rule: a component that meets a table (or column) its copy
 * does not know asks the cache to {@link #reloadOnMiss() reload}, which re-reads the registry at most once per
 * interval, so a burst of writes or reads of an unknown table costs one load, not one each.
 *
 * <p>The writer and the reader load from Redis ({@link #fromRedis}) with their own interval; the sync worker holds the
 * registry it read from PostgreSQL at start and never reloads on a miss ({@link #fixed}).
 *
 * <p>Thread-safe. Reads of {@link #current()} never block; reloads are serialised, so threads that miss together wait
 * for one load and then see its result.
 */
public final class RegistryCache {
    /** The shortest time between two reloads forced by stale refusals ({@link #reloadPast}). */
    public static final long MIN_FORCED_RELOAD_MILLIS = 50;

    private final Supplier<TableRegistry> loader;
    private final Duration minInterval;
    private final InstantSource clock;
    private final Object reloadLock = new Object();
    private volatile TableRegistry current;
    /** When the last reload began (or the cache was made), in the clock's milliseconds. Guarded by reloadLock. */
    private long lastLoadMillis;

    /**
     * A cache holding {@code initial}, which reloads with {@code loader} on a miss at most once per {@code
     * minInterval} (measured from its creation, then from each reload, failed or not).
     *
     * @param loader loads the whole registry; it may throw, and the exception reaches the caller of {@link
     *     #reloadOnMiss()}
     * @param minInterval at least this long between two loads; {@code null} never reloads
     */
    public RegistryCache(
            TableRegistry initial, Supplier<TableRegistry> loader, Duration minInterval, InstantSource clock) {
        this.current = Objects.requireNonNull(initial, "initial registry");
        this.loader = Objects.requireNonNull(loader, "loader");
        if (minInterval != null && minInterval.isNegative()) {
            throw new IllegalArgumentException(
                    "the registry's reload interval must not be negative, was " + minInterval);
        }
        this.minInterval = minInterval;
        this.clock = Objects.requireNonNull(clock, "clock");
        this.lastLoadMillis = clock.millis();
    }

    /**
     * A cache that loads the registry from Redis now ({@link RedisRegistry#load()}) and again on a miss, at most once
     * per {@code minInterval}.
     */
    public static RegistryCache fromRedis(
            RedisClusterCommands<String, String> redis, KeyLayout layout, Duration minInterval, InstantSource clock) {
        Objects.requireNonNull(minInterval, "minInterval");
        RedisRegistry source = new RedisRegistry(redis, layout);
        return new RegistryCache(source.load(), source::load, minInterval, clock);
    }

    /** A cache that always holds {@code registry}: a miss never reloads. */
    public static RegistryCache fixed(TableRegistry registry) {
        return new RegistryCache(
                registry,
                () -> {
                    throw new IllegalStateException("a fixed registry never reloads");
                },
                null,
                InstantSource.system());
    }

    /** Whether a miss may reload this cache at all (false for a {@link #fixed} one). */
    public boolean reloads() {
        return minInterval != null;
    }

    /** The registry as last loaded. */
    public TableRegistry current() {
        return current;
    }

    /** The table from the current registry, without reloading. */
    public Optional<TableDef> table(String name) {
        return current.table(name);
    }

    /**
     * Called when Redis refused a write as judged by an older registration of its table than it holds ({@code
     * CISTERN_STALE_REGISTRY}): that refusal is proof of a newer registry, so it reloads without waiting for the
     * interval, unless another thread already replaced {@code judgedBy} (then look in {@link #current()}), or a reload
     * began less than {@value #MIN_FORCED_RELOAD_MILLIS} ms ago (a bound on a storm of refusals). Returns whether
     * {@link #current()} is now another registry than {@code judgedBy}; false for a {@link #fixed} cache.
     */
    public boolean reloadPast(TableRegistry judgedBy) {
        if (minInterval == null) {
            return false;
        }
        synchronized (reloadLock) {
            if (current != judgedBy) {
                return true;
            }
            long now = clock.millis();
            if (now - lastLoadMillis < MIN_FORCED_RELOAD_MILLIS) {
                return false;
            }
            lastLoadMillis = now;
            current = Objects.requireNonNull(loader.get(), "the registry loader returned null");
            return true;
        }
    }

    /**
     * Called when the current registry did not know a table or column: reloads it if the interval since the last load
     * has passed. Returns whether it reloaded (then look again in {@link #current()}); false when it is too soon, or
     * the cache is {@link #fixed}. A failed load still counts as a load for the interval, and its exception is
     * thrown.
     */
    public boolean reloadOnMiss() {
        if (minInterval == null) {
            return false;
        }
        TableRegistry seen = current;
        synchronized (reloadLock) {
            if (current != seen) {
                // Another thread reloaded while this one waited: look in what it loaded.
                return true;
            }
            long now = clock.millis();
            if (now - lastLoadMillis < minInterval.toMillis()) {
                return false;
            }
            lastLoadMillis = now;
            current = Objects.requireNonNull(loader.get(), "the registry loader returned null");
            return true;
        }
    }
}
