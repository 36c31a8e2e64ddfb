package io.cistern.connections;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * Capped exponential backoff with jitter, bounded by a total time: the policy of {@link StartupWaiter}. Pure: no clock,
 * no randomness of its own, no threads; the caller supplies both.
 *
 * <p>The delay before retry {@code n} (from 1) is drawn uniformly from {@code [base/2, base]} where {@code base =
 * min(maxDelay, initialDelay * 2^(n-1))}: doubling spreads the load of a fleet restarting together, the cap keeps a
 * recovered server from waiting long to be noticed, and the random half keeps a fleet from retrying in lockstep.
 *
 * <p>From the environment: {@code STARTUP_WAIT_MS} (default 60000; 0 = try once), {@code
 * STARTUP_RETRY_INITIAL_DELAY_MS} (250), {@code STARTUP_RETRY_MAX_DELAY_MS} (5000).
 *
 * @param initialDelay the delay before the first retry, at most
 * @param maxDelay the cap on any one delay
 * @param maxWait how long to keep trying in all; zero to try only once
 */
public record Backoff(Duration initialDelay, Duration maxDelay, Duration maxWait) {
    public static final Backoff DEFAULT =
            new Backoff(Duration.ofMillis(250), Duration.ofSeconds(5), Duration.ofMinutes(1));

    public Backoff {
        Objects.requireNonNull(initialDelay, "initialDelay");
        Objects.requireNonNull(maxDelay, "maxDelay");
        Objects.requireNonNull(maxWait, "maxWait");
        if (initialDelay.isNegative() || initialDelay.isZero()) {
            throw new IllegalArgumentException(
                    "STARTUP_RETRY_INITIAL_DELAY_MS must be positive, was " + initialDelay.toMillis());
        }
        if (maxDelay.compareTo(initialDelay) < 0) {
            throw new IllegalArgumentException("STARTUP_RETRY_MAX_DELAY_MS (" + maxDelay.toMillis()
                    + ") must not be shorter than STARTUP_RETRY_INITIAL_DELAY_MS (" + initialDelay.toMillis() + ")");
        }
        if (maxWait.isNegative()) {
            throw new IllegalArgumentException("STARTUP_WAIT_MS must not be negative, was " + maxWait.toMillis());
        }
    }

    /** Resolves the policy from environment variables (see the class comment). */
    public static Backoff fromEnvironment(Map<String, String> environment) {
        EnvironmentReader env = new EnvironmentReader(environment);
        return new Backoff(
                env.millis("STARTUP_RETRY_INITIAL_DELAY_MS", DEFAULT.initialDelay()),
                env.millis("STARTUP_RETRY_MAX_DELAY_MS", DEFAULT.maxDelay()),
                env.millis("STARTUP_WAIT_MS", DEFAULT.maxWait()));
    }

    /**
     * The delay before retry {@code retry} (1 for the first retry), given {@code random} drawn uniformly from {@code
     * [0, 1)}.
     */
    public Duration delay(int retry, double random) {
        if (retry < 1) {
            throw new IllegalArgumentException("retry counts from 1, was " + retry);
        }
        if (random < 0 || random >= 1) {
            throw new IllegalArgumentException("random must be in [0, 1), was " + random);
        }
        // Doubling past 2^30 overflows nothing here but is far beyond any cap; stop shifting there.
        long base = initialDelay.toNanos() << Math.min(retry - 1, 30);
        if (base <= 0 || base > maxDelay.toNanos()) {
            base = maxDelay.toNanos();
        }
        long half = base / 2;
        return Duration.ofNanos(half + (long) (random * (base - half)));
    }

    /**
     * The delay to sleep before the next try after {@code elapsed} of waiting, or {@code null} when the time is up:
     * the last sleep is shortened so that the final try happens at the deadline, not after it.
     */
    public Duration nextDelay(int retry, double random, Duration elapsed) {
        Duration left = maxWait.minus(elapsed);
        if (left.isNegative() || left.isZero()) {
            return null;
        }
        Duration delay = delay(retry, random);
        return delay.compareTo(left) > 0 ? left : delay;
    }
}
