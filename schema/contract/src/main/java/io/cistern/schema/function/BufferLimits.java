package io.cistern.schema.function;

/**
 * The limits the Function library enforces on every write, so that no producer can bypass them. Published to each
 * partition's meta hash by {@code ops/cistern init}.
 *
 * @param maxBacklogPerPartition a write is refused (retryable) while its partition stream holds this many entries or
 *     more; 0 disables the check
 * @param maxRedisMemoryBytes a write is refused (retryable) while Redis's {@code used_memory} is at or above this; 0
 *     disables the check
 * @param maxValueBytes the largest encoded value of one column, in bytes
 */
public record BufferLimits(long maxBacklogPerPartition, long maxRedisMemoryBytes, int maxValueBytes) {
    /** 1,000,000 entries per partition, no memory limit of its own, 1 MiB per value. */
    /** The default {@link #maxBacklogPerPartition()}. */
    public static final long DEFAULT_MAX_BACKLOG = 1_000_000;
    /** The default {@link #maxRedisMemoryBytes()}: no limit of Cistern's own. */
    public static final long DEFAULT_MAX_REDIS_MEMORY = 0;
    /** The default {@link #maxValueBytes()}: 1 MiB. */
    public static final int DEFAULT_MAX_VALUE_BYTES = 1 << 20;

    public static final BufferLimits DEFAULTS =
            new BufferLimits(DEFAULT_MAX_BACKLOG, DEFAULT_MAX_REDIS_MEMORY, DEFAULT_MAX_VALUE_BYTES);

    public BufferLimits {
        if (maxBacklogPerPartition < 0) {
            throw new IllegalArgumentException(
                    "maxBacklogPerPartition must not be negative (0 disables it), was " + maxBacklogPerPartition);
        }
        if (maxRedisMemoryBytes < 0) {
            throw new IllegalArgumentException(
                    "maxRedisMemoryBytes must not be negative (0 disables it), was " + maxRedisMemoryBytes);
        }
        if (maxValueBytes < 1) {
            throw new IllegalArgumentException("maxValueBytes must be positive, was " + maxValueBytes);
        }
    }
}
