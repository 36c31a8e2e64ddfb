package io.cistern.ops.bench;

import java.time.Duration;
import java.util.List;

/**
 * What {@code ops/cistern bench} runs. Immutable; every value is checked here.
 *
 * @param scenarios the scenarios, in order ({@link #SCENARIOS}); empty runs all
 * @param writes writes per round of {@code write}
 * @param pipeline writes in flight of {@code write}
 * @param columns columns per record of {@code write}
 * @param valueBytes bytes per column value ({@code write}), width of {@code filename} and {@code storage_uri} (sync)
 * @param writeRounds alternating rounds of {@code write}
 * @param records entries preloaded per round of the sync scenarios
 * @param keys hot keys of {@code sync-update}
 * @param partitions partitions of the sync scenarios' own Cistern
 * @param workers in-process sync workers
 * @param batchSize the workers' batch size
 * @param syncRounds alternating rounds of the sync scenarios
 * @param duration how long the paced producer of the sync latency phase runs
 * @param json print one JSON object instead of Markdown
 */
public record BenchSettings(
        List<String> scenarios,
        int writes,
        int pipeline,
        int columns,
        int valueBytes,
        int writeRounds,
        int records,
        int keys,
        int partitions,
        int workers,
        int batchSize,
        int syncRounds,
        Duration duration,
        boolean json) {
    public static final List<String> SCENARIOS = List.of("write", "sync-insert", "sync-update");

    public BenchSettings {
        scenarios = List.copyOf(scenarios.isEmpty() ? SCENARIOS : scenarios);
        for (String s : scenarios) {
            if (!SCENARIOS.contains(s)) {
                throw new IllegalArgumentException(
                        "unknown scenario '" + s + "'; available: " + String.join(", ", SCENARIOS));
            }
        }
        requirePositive("--writes", writes);
        requirePositive("--pipeline", pipeline);
        requirePositive("--columns", columns);
        requirePositive("--value-bytes", valueBytes);
        requirePositive("--rounds", writeRounds);
        requirePositive("--records", records);
        requirePositive("--keys", keys);
        requirePositive("--partitions", partitions);
        requirePositive("--workers", workers);
        requirePositive("--batch-size", batchSize);
        requirePositive("--rounds", syncRounds);
        if (scenarios.contains("sync-update") && keys < 2) {
            throw new IllegalArgumentException("--keys must be at least 2 for sync-update, was " + keys);
        }
        if (partitions > 16_384) {
            throw new IllegalArgumentException("--partitions must be at most 16384, was " + partitions);
        }
        if (batchSize > 100_000) {
            throw new IllegalArgumentException("--batch-size must be at most 100000, was " + batchSize);
        }
        if (duration == null || duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException("--duration must be positive, was " + duration);
        }
    }

    private static void requirePositive(String option, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(option + " must be positive, was " + value);
        }
    }
}
