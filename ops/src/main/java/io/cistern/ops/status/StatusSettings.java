package io.cistern.ops.status;

import io.cistern.connections.EnvironmentReader;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * How the services watch the pipeline's status. Immutable, validated. Built by {@link #defaults()} or {@link
 * #fromEnvironment(Map)}, changed by {@link #mutate()}.
 *
 * @param refreshInterval how often the status is read from Redis ({@code CISTERN_STATUS_INTERVAL_MS}, default 2000)
 * @param readyMaxLag readiness is down while some partition's oldest unapplied entry is older than this ({@code
 *     CISTERN_READY_MAX_LAG_MS}, default 300000); zero turns the lag check off
 * @param readyMaxStall readiness is down while some partition with entries waiting has applied nothing (its applied
 *     watermark has not moved) for longer than this ({@code CISTERN_READY_MAX_STALL_MS}, default 30000; see {@link
 *     StallDetector}); zero turns the stall check off. At least the refresh interval: progress is seen between two
 *     reads. The default is above a takeover (the 10 s lease) and equals the default statement timeout (a batch that
 *     takes longer is cancelled anyway)
 */
public record StatusSettings(Duration refreshInterval, Duration readyMaxLag, Duration readyMaxStall) {
    public static final Duration DEFAULT_REFRESH_INTERVAL = StatusMonitor.DEFAULT_INTERVAL;
    public static final Duration DEFAULT_READY_MAX_LAG = Duration.ofMinutes(5);
    public static final Duration DEFAULT_READY_MAX_STALL = Duration.ofSeconds(30);

    public StatusSettings {
        Objects.requireNonNull(refreshInterval, "refreshInterval");
        Objects.requireNonNull(readyMaxLag, "readyMaxLag");
        Objects.requireNonNull(readyMaxStall, "readyMaxStall");
        if (refreshInterval.toMillis() < 100) {
            throw new IllegalArgumentException("CISTERN_STATUS_INTERVAL_MS must be at least 100 ms, was "
                    + refreshInterval.toMillis() + ": every refresh reads every partition from Redis");
        }
        if (readyMaxLag.isNegative()) {
            throw new IllegalArgumentException(
                    "CISTERN_READY_MAX_LAG_MS must be 0 (off) or more, was " + readyMaxLag.toMillis());
        }
        if (readyMaxStall.isNegative() || (!readyMaxStall.isZero() && readyMaxStall.compareTo(refreshInterval) < 0)) {
            throw new IllegalArgumentException("CISTERN_READY_MAX_STALL_MS must be 0 (off) or at least"
                    + " CISTERN_STATUS_INTERVAL_MS (" + refreshInterval.toMillis() + "), was "
                    + readyMaxStall.toMillis()
                    + ": a stall is seen between two status reads");
        }
    }

    public static StatusSettings defaults() {
        return new StatusSettings(DEFAULT_REFRESH_INTERVAL, DEFAULT_READY_MAX_LAG, DEFAULT_READY_MAX_STALL);
    }

    /**
     * From {@code CISTERN_STATUS_INTERVAL_MS}, {@code CISTERN_READY_MAX_LAG_MS} and {@code CISTERN_READY_MAX_STALL_MS},
     * else the defaults.
     */
    public static StatusSettings fromEnvironment(Map<String, String> env) {
        EnvironmentReader reader = new EnvironmentReader(env);
        // Unbounded reads: the constructor checks the ranges, with messages naming the variables.
        return new StatusSettings(
                reader.millisOrDefault("CISTERN_STATUS_INTERVAL_MS", DEFAULT_REFRESH_INTERVAL),
                reader.millisOrDefault("CISTERN_READY_MAX_LAG_MS", DEFAULT_READY_MAX_LAG),
                reader.millisOrDefault("CISTERN_READY_MAX_STALL_MS", DEFAULT_READY_MAX_STALL));
    }

    /** A builder holding these settings, to change some of them: {@code settings.mutate().readyMaxLag(d).build()}. */
    public Builder mutate() {
        return new Builder(this);
    }

    /**
     * Changes some of a {@link StatusSettings}' values; {@link #build()} validates them all, as the constructor does.
     * Not thread-safe; one per change.
     */
    public static final class Builder {
        private Duration refreshInterval;
        private Duration readyMaxLag;
        private Duration readyMaxStall;

        private Builder(StatusSettings from) {
            refreshInterval = from.refreshInterval;
            readyMaxLag = from.readyMaxLag;
            readyMaxStall = from.readyMaxStall;
        }

        public Builder refreshInterval(Duration value) {
            refreshInterval = value;
            return this;
        }

        public Builder readyMaxLag(Duration value) {
            readyMaxLag = value;
            return this;
        }

        public Builder readyMaxStall(Duration value) {
            readyMaxStall = value;
            return this;
        }

        /**
         * The settings.
         *
         * @throws IllegalArgumentException naming the variable whose value is wrong
         */
        public StatusSettings build() {
            return new StatusSettings(refreshInterval, readyMaxLag, readyMaxStall);
        }
    }
}
