package io.cistern.schema.postgres;

import io.cistern.schema.function.BufferLimits;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * The buffer limits an init is asked to set: each one given, or left as the last init recorded it (its default on the
 * first init). So running {@code ops/cistern init} again, or {@code ops/cistern up}, keeps what an operator chose.
 *
 * @param maxBacklogPerPartition the new backlog limit, or empty to keep it
 * @param maxRedisMemoryBytes the new memory limit ({@link BufferLimits#AUTO_MAX_REDIS_MEMORY} derives it from Redis, 0
 *     turns it off), or empty to keep it
 * @param maxValueBytes the new value-size limit, or empty to keep it
 */
public record LimitChanges(
        OptionalLong maxBacklogPerPartition, OptionalLong maxRedisMemoryBytes, OptionalInt maxValueBytes) {
    /** Keep every limit as recorded. */
    public static final LimitChanges NONE =
            new LimitChanges(OptionalLong.empty(), OptionalLong.empty(), OptionalInt.empty());

    public LimitChanges {
        Objects.requireNonNull(maxBacklogPerPartition, "maxBacklogPerPartition");
        Objects.requireNonNull(maxRedisMemoryBytes, "maxRedisMemoryBytes");
        Objects.requireNonNull(maxValueBytes, "maxValueBytes");
    }

    /** Set all three. */
    public static LimitChanges all(BufferLimits limits) {
        return new LimitChanges(
                OptionalLong.of(limits.maxBacklogPerPartition()),
                OptionalLong.of(limits.maxRedisMemoryBytes()),
                OptionalInt.of(limits.maxValueBytes()));
    }

    /**
     * The limits after these changes.
     *
     * @throws IllegalArgumentException as {@link BufferLimits} does for a value out of range
     */
    public BufferLimits applyTo(BufferLimits recorded) {
        return new BufferLimits(
                maxBacklogPerPartition.orElse(recorded.maxBacklogPerPartition()),
                maxRedisMemoryBytes.orElse(recorded.maxRedisMemoryBytes()),
                maxValueBytes.orElse(recorded.maxValueBytes()));
    }

    /** What differs from {@code before} to {@code after}, one line a limit, such as {@code max backlog: 100 -> 500}. */
    public static List<String> differences(BufferLimits before, BufferLimits after) {
        List<String> lines = new ArrayList<>();
        if (before.maxBacklogPerPartition() != after.maxBacklogPerPartition()) {
            lines.add("max backlog per partition: " + before.maxBacklogPerPartition() + " -> "
                    + after.maxBacklogPerPartition());
        }
        if (before.maxRedisMemoryBytes() != after.maxRedisMemoryBytes()) {
            lines.add("max Redis memory bytes: " + before.memoryLimitText() + " -> " + after.memoryLimitText());
        }
        if (before.maxValueBytes() != after.maxValueBytes()) {
            lines.add("max value bytes: " + before.maxValueBytes() + " -> " + after.maxValueBytes());
        }
        return lines;
    }
}
