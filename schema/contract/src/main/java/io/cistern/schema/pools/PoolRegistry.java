package io.cistern.schema.pools;

import io.cistern.schema.keys.KeyLayout;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The announcements of live PostgreSQL pools in {@link KeyLayout#pools()}: a sorted set whose members are {@link
 * DatabasePool#encode() pool descriptions}, each scored with the Redis time (ms) at which it expires. Redis 7.0 has no
 * TTL per member, so every announcement and every read first removes the members whose time has passed; the scores
 * come from the Redis server's clock ({@code TIME} inside the script), so the clocks of the announcing hosts never
 * matter. The key itself expires two lifetimes after the last announcement, so a deployment that stopped leaves
 * nothing behind.
 *
 * <p>A process announces its pool every so often with a lifetime a few times longer ({@link PoolAnnouncer}, or the sync
 * worker's lease thread), withdraws it when it closes, and a process that dies leaves it to expire within one lifetime.
 *
 * <p>Not thread-safe only as far as the given {@link RedisClusterCommands} is not (Lettuce's are).
 */
public final class PoolRegistry {
    /** KEYS[1] the pools set, ARGV[1] the member, ARGV[2] its lifetime in ms. */
    private static final String ANNOUNCE = """
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            local ttl = tonumber(ARGV[2])
            redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
            redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
            if redis.call('PTTL', KEYS[1]) < 2 * ttl then
              redis.call('PEXPIRE', KEYS[1], 2 * ttl)
            end
            return 1
            """;

    /** KEYS[1] the pools set; returns the Redis time (ms), then each live member and its remaining lifetime (ms). */
    private static final String LIVE = """
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
            local members = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
            local out = {}
            for i = 1, #members, 2 do
              out[#out + 1] = members[i]
              out[#out + 1] = tonumber(members[i + 1]) - now
            end
            return out
            """;

    private final RedisClusterCommands<String, String> redis;
    private final String key;

    public PoolRegistry(RedisClusterCommands<String, String> redis, KeyLayout layout) {
        this.redis = Objects.requireNonNull(redis, "redis");
        this.key = Objects.requireNonNull(layout, "layout").pools();
    }

    /** A live announcement: the pool, or empty when this release cannot read the member, and its remaining life. */
    public record Announcement(String member, Optional<DatabasePool> pool, Duration expiresIn) {}

    /** Announces {@code pool} for {@code lifetime} from now (Redis time), replacing its earlier announcement. */
    public void announce(DatabasePool pool, Duration lifetime) {
        if (lifetime.toMillis() < 1) {
            throw new IllegalArgumentException("a pool announcement's lifetime must be at least 1 ms, not " + lifetime);
        }
        redis.eval(
                ANNOUNCE,
                ScriptOutputType.INTEGER,
                new String[] {key},
                pool.encode(),
                Long.toString(lifetime.toMillis()));
    }

    /** Removes {@code pool}'s announcement at once (the process closes its pool). */
    public void withdraw(DatabasePool pool) {
        redis.zrem(key, pool.encode());
    }

    /** The announcements that have not expired, after removing those that have. */
    public List<Announcement> live() {
        List<Object> reply = redis.eval(LIVE, ScriptOutputType.MULTI, key);
        List<Announcement> live = new ArrayList<>(reply.size() / 2);
        for (int i = 0; i + 1 < reply.size(); i += 2) {
            String member = String.valueOf(reply.get(i));
            long remaining = ((Number) reply.get(i + 1)).longValue();
            live.add(new Announcement(member, DatabasePool.decode(member), Duration.ofMillis(Math.max(0, remaining))));
        }
        return live;
    }
}
