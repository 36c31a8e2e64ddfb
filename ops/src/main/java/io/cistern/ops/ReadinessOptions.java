package io.cistern.ops;

import io.cistern.ops.status.StatusSettings;
import java.time.Duration;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The readiness thresholds of the commands that watch the pipeline status ({@code sync-worker}, {@code up}): each
 * option overrides the environment variable it names, in {@link #statusSettings(Map)}.
 */
final class ReadinessOptions {
    @Option(
            names = "--ready-max-lag-ms",
            paramLabel = "MS",
            description = "Readiness is down while a partition's oldest unapplied entry is older than this (overrides"
                    + " CISTERN_READY_MAX_LAG_MS; default 300000; 0 turns the lag check off).")
    Long readyMaxLagMillis;

    @Option(
            names = "--ready-max-stall-ms",
            paramLabel = "MS",
            description = "Readiness is down while a partition with entries waiting has applied nothing for longer"
                    + " than this (overrides CISTERN_READY_MAX_STALL_MS; default 30000; 0 turns the stall check off).")
    Long readyMaxStallMillis;

    /** The status settings from the environment, with the options given laid over (validated together). */
    StatusSettings statusSettings(Map<String, String> env) {
        StatusSettings.Builder settings = StatusSettings.fromEnvironment(env).mutate();
        if (readyMaxLagMillis != null) {
            settings.readyMaxLag(Duration.ofMillis(readyMaxLagMillis));
        }
        if (readyMaxStallMillis != null) {
            settings.readyMaxStall(Duration.ofMillis(readyMaxStallMillis));
        }
        return settings.build();
    }
}
