package io.cistern.reader;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The in-process tier: a bounded Caffeine cache of read results keyed by the Redis record hash key (the key Redis names
 * in its invalidation messages), plus the bookkeeping that keeps a load from installing a result an invalidation has
 * already overtaken. Thread-safe.
 *
 * <p><b>The race it closes.</b> A load reads Redis (or PostgreSQL) at time t and installs the result later. An
 * invalidation for that key may be processed in between, before there is anything to remove, and the stale result
 * would then sit in the cache until its TTL. So every invalidation stamps the key's stripe with a new number from a
 * clock; a load remembers the clock before it reads ({@link #begin()}), installs, and then removes its own entry again
 * if the stripe moved since (or the whole cache was cleared, or tracking is off). Put-then-check needs no lock: either
 * the check sees the stamp, or the invalidation comes after the put and removes the entry itself. Stripes are shared
 * by many keys, so an unrelated invalidation can cost a load its install (never correctness).
 */
final class LocalCache {
    private static final int STRIPES = 1 << 12;

    /** A cached result and whether it is a short-lived "absent from PostgreSQL". */
    record Entry(ReadResult result, boolean negative) {}

    private final Cache<String, Entry> cache;
    private final boolean enabled;
    private final long negativeNanos;
    private final AtomicLong clock = new AtomicLong();
    private final AtomicLongArray stamps = new AtomicLongArray(STRIPES);
    private volatile long clearedAt;
    private volatile boolean active;

    LocalCache(long maxEntries, Duration ttl, Duration negativeTtl, Ticker ticker) {
        this.enabled = maxEntries > 0;
        long ttlNanos = enabled ? ttl.toNanos() : 1;
        this.negativeNanos = negativeTtl.toNanos();
        this.cache = Caffeine.newBuilder()
                .maximumSize(Math.max(0, maxEntries))
                .ticker(ticker)
                .expireAfter(new Expiry<String, Entry>() {
                    @Override
                    public long expireAfterCreate(String key, Entry value, long currentTime) {
                        return value.negative() ? negativeNanos : ttlNanos;
                    }

                    @Override
                    public long expireAfterUpdate(String key, Entry value, long currentTime, long currentDuration) {
                        return expireAfterCreate(key, value, currentTime);
                    }

                    @Override
                    public long expireAfterRead(String key, Entry value, long currentTime, long currentDuration) {
                        return currentDuration;
                    }
                })
                .build();
    }

    /** The cached entry, or null; nothing while invalidations are not flowing (tracking off). */
    Entry get(String key) {
        return enabled && active ? cache.getIfPresent(key) : null;
    }

    /** The clock before a load reads: pass it to {@link #install}. */
    long begin() {
        return clock.get();
    }

    /** Installs a load's result unless an invalidation of its key (or a clear) came after {@code begunAt}. */
    boolean install(String key, Entry entry, long begunAt) {
        if (!enabled || !current(key, begunAt)) {
            return false;
        }
        if (entry.negative() && negativeNanos == 0) {
            return false;
        }
        cache.put(key, entry);
        if (!current(key, begunAt)) {
            cache.asMap().remove(key, entry);
            return false;
        }
        return true;
    }

    private boolean current(String key, long begunAt) {
        return active && clearedAt <= begunAt && stamps.get(stripe(key)) <= begunAt;
    }

    /** Drops one key and stamps its stripe, so loads in flight for it do not install. */
    void invalidate(String key) {
        stamps.accumulateAndGet(stripe(key), clock.incrementAndGet(), Math::max);
        cache.invalidate(key);
    }

    /** Drops everything, and every load in flight. */
    void clear() {
        clearedAt = clock.incrementAndGet();
        cache.invalidateAll();
    }

    /** Whether invalidations flow: until then nothing is served or installed. */
    void active(boolean value) {
        active = value;
    }

    boolean active() {
        return active;
    }

    long size() {
        return cache.estimatedSize();
    }

    private static int stripe(String key) {
        int h = key.hashCode();
        return (h ^ (h >>> 16)) & (STRIPES - 1);
    }
}
