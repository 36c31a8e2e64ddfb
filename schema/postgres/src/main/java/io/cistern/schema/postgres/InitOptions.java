package io.cistern.schema.postgres;

import io.cistern.schema.function.BufferLimits;
import io.cistern.schema.keys.KeyLayout;
import java.util.Map;
import java.util.Objects;

/**
 * What {@code ops/cistern init} should do. Immutable.
 *
 * @param layout the Redis key layout (its prefix)
 * @param partitions the partition count to initialise with; fixed once chosen
 * @param limits the buffer limits the Function library enforces
 * @param demoTables whether to create and register the demo tables ({@code source_documents}, {@code entities})
 * @param register tables to register now, each with the leading primary-key column it routes by, or {@code ""} to
 *     route by the whole key
 */
public record InitOptions(
        KeyLayout layout, int partitions, BufferLimits limits, boolean demoTables, Map<String, String> register) {
    public static final int DEFAULT_PARTITIONS = 16;

    public InitOptions {
        Objects.requireNonNull(layout, "layout");
        Objects.requireNonNull(limits, "limits");
        if (partitions < 1 || partitions > 16_384) {
            throw new IllegalArgumentException("partitions must be between 1 and 16384, was " + partitions);
        }
        register = Map.copyOf(register);
    }

    public static InitOptions defaults(KeyLayout layout) {
        return new InitOptions(layout, DEFAULT_PARTITIONS, BufferLimits.DEFAULTS, true, Map.of());
    }

    public InitOptions withRegister(Map<String, String> tables) {
        return new InitOptions(layout, partitions, limits, demoTables, tables);
    }

    public InitOptions withDemoTables(boolean demo) {
        return new InitOptions(layout, partitions, limits, demo, register);
    }

    public InitOptions withPartitions(int count) {
        return new InitOptions(layout, count, limits, demoTables, register);
    }

    public InitOptions withLimits(BufferLimits newLimits) {
        return new InitOptions(layout, partitions, newLimits, demoTables, register);
    }
}
