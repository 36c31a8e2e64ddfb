package io.cistern.ops.bench;

import io.cistern.connections.RedisDeployment;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.keys.StreamEntryId;
import io.cistern.schema.wire.MetaFields;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Redis chores the scenarios share: waiting for a drain, deleting a run's keys, reading {@code used_memory}; on any
 * topology.
 */
final class BenchRedis {
    private BenchRedis() {}

    /** A key layout under a prefix of its own ({@code cistern-bench-<random>}), so a run never meets another's keys. */
    static KeyLayout scratchLayout() {
        return new KeyLayout(
                "cistern-bench-" + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36));
    }

    /** Waits until every partition's published watermark has reached its target entry. */
    static void awaitApplied(
            RedisClusterCommands<String, String> redis,
            KeyLayout layout,
            Map<Integer, StreamEntryId> targets,
            Duration timeout,
            String scenario) {
        Map<Integer, StreamEntryId> remaining = new TreeMap<>(targets);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!remaining.isEmpty()) {
            remaining
                    .entrySet()
                    .removeIf(e -> SyncBenchmark.parseOrZero(redis.hget(layout.meta(e.getKey()), MetaFields.APPLIED))
                            .isAtOrAfter(e.getValue()));
            if (!remaining.isEmpty() && System.nanoTime() > deadline) {
                throw new IllegalStateException("bench " + scenario + ": partitions " + remaining.keySet()
                        + " did not reach their last entry within " + timeout.toSeconds() + " s");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
        }
    }

    /**
     * Deletes every key matching {@code pattern} (SCAN, never KEYS; on a cluster every master's keys, and {@code UNLINK}
     * split by slot).
     */
    static void deleteKeys(RedisDeployment redis, String pattern) {
        redis.scan(
                ScanArgs.Builder.matches(pattern).limit(1_000),
                keys -> redis.sync().unlink(keys.toArray(String[]::new)));
    }

    /** {@code INFO memory used_memory}, in bytes, summed over every master (one server: its own). */
    static long usedMemory(RedisDeployment redis) {
        long total = 0;
        for (RedisDeployment.Master m : redis.masters()) {
            total += usedMemory(m.sync().info("memory"), m.address());
        }
        return total;
    }

    private static long usedMemory(String info, String master) {
        for (String line : info.lines().toList()) {
            if (line.startsWith("used_memory:")) {
                return Long.parseLong(line.substring("used_memory:".length()).strip());
            }
        }
        throw new IllegalStateException("bench: INFO memory of " + master + " has no used_memory");
    }
}
