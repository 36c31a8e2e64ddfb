package io.cistern.schema.function;

/**
 * The limits the Function library enforces on every write, so that no producer can bypass them. Published to each
 * partition's meta hash by {@code ops/cistern init}.
 *
 * @param maxBacklogPerPartition a write is refused (retryable) while its partition stream holds this many entries or
 *     more; 0 disables the check
 * @param maxRedisMemoryBytes a write is refused (retryable) while Redis's {@code used_memory} is at or above this;
 *     {@link #AUTO_MAX_REDIS_MEMORY} (-1) derives the limit from Redis itself ({@link MemoryGuard}); 0 disables the
 *     check
 * @param maxValueBytes the largest encoded value of one column, in bytes
 */
public record BufferLimits(long maxBacklogPerPartition, long maxRedisMemoryBytes, int maxValueBytes) {
    /** The default {@link #maxBacklogPerPartition()}. */
    public static final long DEFAULT_MAX_BACKLOG = 1_000_000;

    /**
     * {@link #maxRedisMemoryBytes()} meaning "derive it from Redis": below {@code maxmemory} when Redis has one, else
     * below the host's memory ({@link MemoryGuard#derivedLimit}). The Function derives it again at each check, so it
     * follows a {@code CONFIG SET maxmemory} at once.
     */
    public static final long AUTO_MAX_REDIS_MEMORY = -1;

    /**
     * The default {@link #maxRedisMemoryBytes()}: {@link #AUTO_MAX_REDIS_MEMORY}, so a database away for hours makes
     * writers back off before Redis runs out of memory, with no setting to remember.
     */
    public static final long DEFAULT_MAX_REDIS_MEMORY = AUTO_MAX_REDIS_MEMORY;

    /** The default {@link #maxValueBytes()}: 1 MiB. */
    public static final int DEFAULT_MAX_VALUE_BYTES = 1 << 20;

    /** 1,000,000 entries per partition, the derived memory guard, 1 MiB per value. */
    public static final BufferLimits DEFAULTS =
            new BufferLimits(DEFAULT_MAX_BACKLOG, DEFAULT_MAX_REDIS_MEMORY, DEFAULT_MAX_VALUE_BYTES);

    public BufferLimits {
        if (maxBacklogPerPartition < 0) {
            throw new IllegalArgumentException(
                    "maxBacklogPerPartition must not be negative (0 disables it), was " + maxBacklogPerPartition);
        }
        if (maxRedisMemoryBytes < AUTO_MAX_REDIS_MEMORY) {
            throw new IllegalArgumentException("maxRedisMemoryBytes must be -1 (derived from Redis), 0 (off) or a"
                    + " number of bytes, was " + maxRedisMemoryBytes);
        }
        if (maxValueBytes < 1) {
            throw new IllegalArgumentException("maxValueBytes must be positive, was " + maxValueBytes);
        }
    }

    /** Whether the memory limit is derived from Redis rather than set in bytes (or off). */
    public boolean memoryLimitDerived() {
        return maxRedisMemoryBytes == AUTO_MAX_REDIS_MEMORY;
    }

    /** The memory limit for people: {@code auto}, {@code off}, or its bytes. */
    public String memoryLimitText() {
        if (maxRedisMemoryBytes == AUTO_MAX_REDIS_MEMORY) {
            return "auto";
        }
        return maxRedisMemoryBytes == 0 ? "off" : Long.toString(maxRedisMemoryBytes);
    }
}
