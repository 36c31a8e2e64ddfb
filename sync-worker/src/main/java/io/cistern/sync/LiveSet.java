package io.cistern.sync;

import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.time.Duration;
import java.util.List;

/**
 * A set of live members in Redis: a sorted set scored by each member's expiry in Redis time, so that a process that
 * dies drops out after its lifetime with no clock of its own involved. The sync workers' heartbeat set ({@code
 * KeyLayout#workers}) and the format-2 readers' set ({@link EntryFormatGate}) are two. Stateless.
 */
final class LiveSet {
    /*
     * KEYS[1] the set; ARGV[1] the member, ARGV[2] its lifetime (ms), ARGV[3] 1 to announce it, 0 to withdraw it.
     * Expired members are pruned first; returns the live members.
     */
    private static final String TOUCH = """
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
            if ARGV[3] == '1' then
              redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
              redis.call('PEXPIRE', KEYS[1], 2 * tonumber(ARGV[2]))
            else
              redis.call('ZREM', KEYS[1], ARGV[1])
            end
            return redis.call('ZRANGE', KEYS[1], 0, -1)
            """;

    private LiveSet() {}

    /**
     * Announces {@code member} in the set at {@code key} for {@code lifetime} ({@code present}), or withdraws it; returns
     * the live members after that.
     */
    static List<String> touch(
            RedisClusterCommands<String, String> redis, String key, String member, Duration lifetime, boolean present) {
        List<String> live = redis.eval(
                TOUCH,
                ScriptOutputType.MULTI,
                new String[] {key},
                member,
                Long.toString(lifetime.toMillis()),
                present ? "1" : "0");
        return live == null ? List.of() : live;
    }
}
