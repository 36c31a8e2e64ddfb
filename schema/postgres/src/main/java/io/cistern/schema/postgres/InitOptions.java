package io.cistern.schema.postgres;

import io.cistern.schema.function.BufferLimits;
import io.cistern.schema.keys.KeyLayout;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * What {@code ops/cistern init} should do. Immutable. What it is not told to change, it keeps as the last init recorded
 * it: the partition count and every buffer limit (the defaults on the first init).
 *
 * @param layout the Redis key layout (its prefix)
 * @param partitions the partition count, fixed by the first init: empty keeps it ({@link #DEFAULT_PARTITIONS} on the
 *     first init); a count that differs from the recorded one is refused
 * @param limits the buffer limits to change; the others keep their recorded values
 * @param demoTables whether to create and register the demo tables ({@code source_documents}, {@code entities})
 * @param register tables to register now, each with the leading primary-key column it routes by, or {@code ""} to
 *     route by the whole key
 */
public record InitOptions(
        KeyLayout layout,
        OptionalInt partitions,
        LimitChanges limits,
        boolean demoTables,
        Map<String, String> register) {
    public static final int DEFAULT_PARTITIONS = 16;

    public InitOptions {
        Objects.requireNonNull(layout, "layout");
        Objects.requireNonNull(partitions, "partitions");
        Objects.requireNonNull(limits, "limits");
        if (partitions.isPresent() && (partitions.getAsInt() < 1 || partitions.getAsInt() > 16_384)) {
            throw new IllegalArgumentException("partitions must be between 1 and 16384, was " + partitions.getAsInt());
        }
        register = Map.copyOf(register);
    }

    /** Keep everything recorded (defaults on the first init), with the demo tables. */
    public static InitOptions defaults(KeyLayout layout) {
        return new InitOptions(layout, OptionalInt.empty(), LimitChanges.NONE, true, Map.of());
    }

    public InitOptions withRegister(Map<String, String> tables) {
        return new InitOptions(layout, partitions, limits, demoTables, tables);
    }

    public InitOptions withDemoTables(boolean demo) {
        return new InitOptions(layout, partitions, limits, demo, register);
    }

    public InitOptions withPartitions(int count) {
        return new InitOptions(layout, OptionalInt.of(count), limits, demoTables, register);
    }

    /** Set all three limits. */
    public InitOptions withLimits(BufferLimits newLimits) {
        return withLimitChanges(LimitChanges.all(newLimits));
    }

    public InitOptions withLimitChanges(LimitChanges changes) {
        return new InitOptions(layout, partitions, changes, demoTables, register);
    }
}
