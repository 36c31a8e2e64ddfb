package io.cistern.schema.function;

import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Cistern's memory guard: the Redis {@code used_memory} at which the Function library refuses writes with {@code
 * CISTERN_BACKPRESSURE}, so that a database away for hours makes producers back off instead of letting Redis fill the
 * machine. The rule lives here and in the Function library ({@code cistern_v1.lua}, {@code memory_limit}), which must
 * agree with it ({@code LongOutageIT} checks the Function refuses where this class says).
 *
 * <p>The limit the operator sets with {@code ops/cistern init --max-redis-memory} ({@link
 * BufferLimits#maxRedisMemoryBytes()}) is one of:
 *
 * <ul>
 *   <li>{@code auto} (the default, {@link BufferLimits#AUTO_MAX_REDIS_MEMORY}): derived from Redis at every check
 *       ({@link #derivedLimit}): {@value #MAXMEMORY_PERCENT}% of {@code maxmemory} when Redis has one, so that Cistern
 *       refuses with back-pressure (retryable, with {@code Retry-After}) before Redis refuses with {@code OOM} (an
 *       error producers cannot tell from a bug) and leaving the last tenth for what is not the buffer: the sync
 *       worker's reads and acknowledgements, client buffers, the registry; else half of the host's memory ({@code
 *       total_system_memory}), because a fork for an AOF rewrite or a snapshot may need as much again in
 *       copy-on-write pages while writes go on. Redis in a container sees the host's memory, not the container's
 *       limit: set {@code maxmemory} there;
 *   <li>a number of bytes: that limit, whatever Redis says;
 *   <li>{@code off} (0): no limit of Cistern's own; {@code doctor} and the services' start-up then warn when
 *       {@code maxmemory} does not bound the buffer either.
 * </ul>
 *
 * <p>The Function reads {@code used_memory} (and the rest of {@code INFO memory}) once every {@value #CHECK_EVERY}
 * versions of a partition, not at every write: {@code INFO memory} costs about 10 microseconds inside a script, as much
 * as the rest of a write. A refused write issues no version, so once the limit is reached every write to the partition
 * is checked, and refused, until memory falls below it; the overshoot is at most {@value #CHECK_EVERY} writes per
 * partition, far inside the headroom.
 *
 * <p>Pure; thread-safe.
 */
public final class MemoryGuard {
    /** The share of {@code maxmemory} at which the derived guard refuses writes, in percent. */
    public static final int MAXMEMORY_PERCENT = 90;

    /** The share of the host's memory at which the derived guard refuses writes when Redis has no maxmemory. */
    public static final int SYSTEM_MEMORY_PERCENT = 50;

    /** The Function reads Redis's memory once every this many versions of a partition. */
    public static final int CHECK_EVERY = 16;

    private MemoryGuard() {}

    /**
     * What {@code INFO memory} says, the fields the guard reads.
     *
     * @param usedMemory {@code used_memory}, bytes
     * @param maxmemory {@code maxmemory}, bytes; 0 when Redis has none
     * @param totalSystemMemory {@code total_system_memory}, bytes; 0 when Redis cannot tell
     */
    public record RedisMemory(long usedMemory, long maxmemory, long totalSystemMemory) {
        public RedisMemory {
            if (usedMemory < 0 || maxmemory < 0 || totalSystemMemory < 0) {
                throw new IllegalArgumentException("memory figures must not be negative: used " + usedMemory
                        + ", maxmemory " + maxmemory + ", total_system_memory " + totalSystemMemory);
            }
        }

        /**
         * Reads the reply of {@code INFO memory}.
         *
         * @throws IllegalArgumentException when it has no {@code used_memory}
         */
        public static RedisMemory parse(String info) {
            OptionalLong used = field(info, "used_memory");
            if (used.isEmpty()) {
                throw new IllegalArgumentException("INFO memory has no used_memory field");
            }
            return new RedisMemory(
                    used.getAsLong(),
                    field(info, "maxmemory").orElse(0),
                    field(info, "total_system_memory").orElse(0));
        }

        private static OptionalLong field(String info, String name) {
            for (String line : info.split("\r?\n")) {
                if (line.startsWith(name + ":")) {
                    return OptionalLong.of(
                            Long.parseLong(line.substring(name.length() + 1).strip()));
                }
            }
            return OptionalLong.empty();
        }
    }

    /**
     * The limit in force and why.
     *
     * @param bytes the {@code used_memory} at which writes are refused; 0 when there is none
     * @param basis how it was reached, for people: {@code 90% of maxmemory 32.0 MiB}, {@code set by the operator},
     *     ...
     */
    public record Limit(long bytes, String basis) {
        public Limit {
            Objects.requireNonNull(basis, "basis");
            if (bytes < 0) {
                throw new IllegalArgumentException("a limit must not be negative, was " + bytes);
            }
        }

        /** Whether Cistern refuses writes at some memory use. */
        public boolean bounded() {
            return bytes > 0;
        }
    }

    /**
     * The derived guard: {@value #MAXMEMORY_PERCENT}% of {@code maxmemory} when set, else {@value
     * #SYSTEM_MEMORY_PERCENT}% of {@code total_system_memory}, else 0 (Redis tells neither: no guard). Integer
     * arithmetic, as the Function library computes it.
     */
    public static long derivedLimit(long maxmemory, long totalSystemMemory) {
        if (maxmemory > 0) {
            return maxmemory - maxmemory / 10;
        }
        return totalSystemMemory > 0 ? totalSystemMemory / 2 : 0;
    }

    /**
     * The limit the Function enforces for the configured {@code maxRedisMemoryBytes} ({@link BufferLimits}) on a
     * Redis whose memory reads {@code memory}.
     */
    public static Limit effective(long configured, RedisMemory memory) {
        Objects.requireNonNull(memory, "memory");
        if (configured == BufferLimits.AUTO_MAX_REDIS_MEMORY) {
            long derived = derivedLimit(memory.maxmemory(), memory.totalSystemMemory());
            if (memory.maxmemory() > 0) {
                return new Limit(derived, MAXMEMORY_PERCENT + "% of Redis maxmemory " + bytes(memory.maxmemory()));
            }
            if (derived > 0) {
                return new Limit(
                        derived,
                        "half of the host's memory " + bytes(memory.totalSystemMemory()) + " (Redis has no maxmemory)");
            }
            return new Limit(0, "auto, but Redis reports neither maxmemory nor total_system_memory: no guard");
        }
        if (configured == 0) {
            return new Limit(0, "off (ops/cistern init --max-redis-memory off)");
        }
        return new Limit(configured, "set by ops/cistern init --max-redis-memory " + configured);
    }

    /**
     * Whether Redis would refuse writes with {@code OOM} before Cistern refuses them with back-pressure: a limit at or
     * above {@code maxmemory}, or no limit under a {@code maxmemory}.
     */
    public static boolean oomBeforeBackpressure(Limit limit, RedisMemory memory) {
        return memory.maxmemory() > 0 && (!limit.bounded() || limit.bytes() >= memory.maxmemory());
    }

    /**
     * What is wrong with how the buffer's memory is bounded, for {@code doctor} and the services' start-up; empty when
     * the guard refuses writes before Redis would. The text says what to set.
     */
    public static Optional<String> problem(Limit limit, RedisMemory memory) {
        if (!limit.bounded() && memory.maxmemory() == 0) {
            return Optional.of("neither Redis maxmemory nor Cistern's memory guard bounds the buffer (" + limit.basis()
                    + "): while PostgreSQL is away, Redis grows until the host runs out of memory; run ops/cistern init"
                    + " --max-redis-memory auto (or a number of bytes), or set Redis maxmemory with maxmemory-policy"
                    + " noeviction");
        }
        if (oomBeforeBackpressure(limit, memory)) {
            return Optional.of((limit.bounded()
                            ? "Cistern's memory guard " + bytes(limit.bytes()) + " is at or above Redis maxmemory "
                            : "Cistern's memory guard is off (" + limit.basis() + ") under Redis maxmemory ")
                    + bytes(memory.maxmemory()) + ": when the buffer fills, Redis refuses writes with OOM (or evicts)"
                    + " before Cistern refuses them with back-pressure; run ops/cistern init --max-redis-memory auto"
                    + " (90% of maxmemory) or a number of bytes below maxmemory");
        }
        return Optional.empty();
    }

    /** Bytes for people, in binary units: {@code 512 B}, {@code 31.5 MiB}, {@code 23.5 GiB}. */
    public static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
