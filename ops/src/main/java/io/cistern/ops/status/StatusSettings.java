package io.cistern.ops.status;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * How the services watch the pipeline's status. Immutable, validated.
 *
 * @param refreshInterval how often the status is read from Redis ({@code CISTERN_STATUS_INTERVAL_MS}, default 2000)
 * @param readyMaxLag readiness is down while some partition's oldest unapplied entry is older than this ({@code
 *     CISTERN_READY_MAX_LAG_MS}, default 300000); zero turns the lag check off
 */
public record StatusSettings(Duration refreshInterval, Duration readyMaxLag) {
    public static final Duration DEFAULT_READY_MAX_LAG = Duration.ofMinutes(5);

    public StatusSettings {
        Objects.requireNonNull(refreshInterval, "refreshInterval");
        Objects.requireNonNull(readyMaxLag, "readyMaxLag");
        if (refreshInterval.toMillis() < 100) {
            throw new IllegalArgumentException("CISTERN_STATUS_INTERVAL_MS must be at least 100 ms, was "
                    + refreshInterval.toMillis() + ": every refresh reads every partition from Redis");
        }
        if (readyMaxLag.isNegative()) {
            throw new IllegalArgumentException(
                    "CISTERN_READY_MAX_LAG_MS must be 0 (off) or more, was " + readyMaxLag.toMillis());
        }
    }

    public static StatusSettings defaults() {
        return new StatusSettings(StatusMonitor.DEFAULT_INTERVAL, DEFAULT_READY_MAX_LAG);
    }

    /** From {@code CISTERN_STATUS_INTERVAL_MS} and {@code CISTERN_READY_MAX_LAG_MS}, else the defaults. */
    public static StatusSettings fromEnvironment(Map<String, String> env) {
        return new StatusSettings(
                millis(env, "CISTERN_STATUS_INTERVAL_MS", StatusMonitor.DEFAULT_INTERVAL),
                millis(env, "CISTERN_READY_MAX_LAG_MS", DEFAULT_READY_MAX_LAG));
    }

    private static Duration millis(Map<String, String> env, String name, Duration fallback) {
        String value = env.get(name);
        if (value == null || value.isBlank()) {
            return fallback;
        }
        try {
            return Duration.ofMillis(Long.parseLong(value.strip()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    name + " must be a whole number of milliseconds, was '" + value.strip() + "'", e);
        }
    }
}
