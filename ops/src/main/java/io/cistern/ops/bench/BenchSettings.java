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
 * @param valueBytes bytes per column value ({@code write}), width of {@code filename} and {@code storage_uri} (sync,
 *     memory)
 * @param writeRounds alternating rounds of {@code write}
 * @param records entries preloaded per round of the sync scenarios, records buffered per round of {@code memory}
 * @param keys hot keys of {@code sync-update}
 * @param partitions partitions of the sync, memory and read scenarios' own Cistern
 * @param workers in-process sync workers
 * @param batchSize the workers' batch size
 * @param syncRounds alternating rounds of the sync and memory scenarios
 * @param duration how long the paced producer of the sync latency phase runs
 * @param json print one JSON object instead of Markdown
 * @param readKeys the key space of {@code read}
 * @param reads reads per round of {@code read}
 * @param zipfExponent the skew of {@code read}'s key mix (0 is uniform; about 1 is web-like)
 * @param maxWarmUpPairs at most this many unmeasured pairs of sync rounds before the measured ones (fewer once the JIT
 *     has settled)
 * @param httpWrites writes per phase and round of {@code http}
 * @param httpConnections keep-alive connections of {@code http}'s single PUTs (and writes in flight of its {@code
 *     writeAsync} baseline)
 * @param httpBatchConnections concurrent batch requests of {@code http} (and concurrent callers of its {@code writeAll}
 *     baseline)
 * @param httpBatchSize writes per batch request of {@code http}
 * @param latencyShare the share of the drain rate the rounds sustained that the sync latency phase offers
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
        boolean json,
        int readKeys,
        int reads,
        double zipfExponent,
        int maxWarmUpPairs,
        int httpWrites,
        int httpConnections,
        int httpBatchConnections,
        int httpBatchSize,
        double latencyShare) {
    /** The share of the sustained drain rate the sync latency phase offers by default. */
    public static final double DEFAULT_LATENCY_SHARE = 0.5;

    /** The sync scenarios' default bound on unmeasured warm-up pairs. */
    public static final int DEFAULT_MAX_WARM_UP_PAIRS = 5;

    public static final List<String> SCENARIOS =
            List.of("write", "sync-insert", "sync-update", "memory", "read", "http");

    /**
     * The defaults of a run. {@link #QUICK} applies when no scenario is named ({@code ops/cistern bench}): every
     * scenario at a small size, in well under 5 minutes on a 2-core machine. {@link #FULL} applies when scenarios are
     * named: the sizes the published results use. An option given on the command line wins over either.
     */
    public record Size(
            int writes,
            int writeRounds,
            int records,
            int syncRounds,
            Duration duration,
            int readKeys,
            int reads,
            int httpWrites) {
        public static final Size QUICK = new Size(30_000, 3, 20_000, 3, Duration.ofSeconds(5), 10_000, 30_000, 10_000);
        public static final Size FULL =
                new Size(200_000, 5, 50_000, 3, Duration.ofSeconds(10), 100_000, 100_000, 30_000);

        /** {@link #QUICK} for a run of every scenario, {@link #FULL} for named ones. */
        public static Size of(List<String> scenarios) {
            return scenarios.isEmpty() ? QUICK : FULL;
        }
    }

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
        requirePositive("--read-keys", readKeys);
        requirePositive("--reads", reads);
        requirePositive("--max-warm-up-pairs", maxWarmUpPairs);
        requirePositive("--http-writes", httpWrites);
        requirePositive("--http-connections", httpConnections);
        requirePositive("--http-batch-connections", httpBatchConnections);
        requirePositive("--http-batch-size", httpBatchSize);
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
        if (readKeys > 10_000_000) {
            throw new IllegalArgumentException("--read-keys must be at most 10000000, was " + readKeys);
        }
        if (!(latencyShare > 0 && latencyShare <= 1)) {
            throw new IllegalArgumentException(
                    "--latency-share must be above 0 and at most 1 (a share of the drain rate), was " + latencyShare);
        }
        if (!(zipfExponent >= 0 && zipfExponent <= 5)) {
            throw new IllegalArgumentException("--zipf must be between 0 (uniform) and 5, was " + zipfExponent);
        }
    }

    /** How long {@code write} offers writes at a fixed rate for its latency figures: half the sync latency phase. */
    public Duration writeLatency() {
        return duration.dividedBy(2).isZero() ? duration : duration.dividedBy(2);
    }

    private static void requirePositive(String option, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(option + " must be positive, was " + value);
        }
    }
}
