package io.cistern.ops.bench;

import io.cistern.connections.RedisDeployment;
import io.cistern.schema.codec.ChangeEntry;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.keys.StreamEntryId;
import io.cistern.schema.wire.MetaFields;
import io.cistern.sync.SyncSettings;
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

    /**
     * The change-entry format a run's writes use, from {@code CISTERN_ENTRY_FORMAT} as the sync worker reads it: the
     * newest by default; 1 measures the format every release reads (the "before" of issue 22's denser entry).
     */
    static int entryFormat() {
        String value = System.getenv(SyncSettings.ENTRY_FORMAT_VARIABLE);
        if (value == null || value.isBlank()) {
            return ChangeEntry.NEWEST_FORMAT;
        }
        try {
            int format = Integer.parseInt(value.strip());
            if (format >= ChangeEntry.FORMAT_1 && format <= ChangeEntry.NEWEST_FORMAT) {
                return format;
            }
        } catch (NumberFormatException e) {
            // named below
        }
        throw new IllegalArgumentException(SyncSettings.ENTRY_FORMAT_VARIABLE + " must be " + ChangeEntry.FORMAT_1
                + " or " + ChangeEntry.NEWEST_FORMAT + ", got '" + value + "'");
    }

    /**
     * Sets every partition's entry-format gate to {@link #entryFormat()}, as the sync workers that own them would: the
     * scenarios write their backlog while no worker runs, and a worker of this release opens the gate only once it
     * owns the partition (EntryFormatGate in the sync worker).
     */
    static int openEntryFormat(RedisDeployment redis, KeyLayout layout, int partitions) {
        int format = entryFormat();
        for (int p = 0; p < partitions; p++) {
            redis.sync().hset(layout.meta(p), MetaFields.ENTRY_FORMAT, Integer.toString(format));
        }
        return format;
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
