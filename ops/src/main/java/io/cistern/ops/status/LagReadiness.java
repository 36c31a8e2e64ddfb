package io.cistern.ops.status;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * Readiness: down while some partition's oldest unapplied entry is older than {@link StatusSettings#readyMaxLag()},
 * naming each such partition, its age and its backlog. Reads the {@link StatusMonitor}'s latest snapshot, never Redis.
 * Unknown until the first snapshot, and while the status cannot be read (Redis's own readiness says why). Part of
 * readiness only: liveness stays the process alone. Thread-safe.
 */
public final class LagReadiness implements HealthIndicator {
    private final StatusMonitor monitor;
    private final Duration maxLag;

    public LagReadiness(StatusMonitor monitor, Duration maxLag) {
        this.monitor = Objects.requireNonNull(monitor, "monitor");
        this.maxLag = Objects.requireNonNull(maxLag, "maxLag");
    }

    @Override
    public Health health() {
        Optional<StatusSnapshot> latest = monitor.latest();
        if (latest.isEmpty() || monitor.failure().isPresent()) {
            Health.Builder h = Health.unknown();
            monitor.failure().ifPresent(f -> h.withDetail("error", "pipeline status unreadable: " + f));
            if (latest.isEmpty()) {
                h.withDetail("lag", "pipeline status not read yet");
            }
            return h.build();
        }
        return evaluate(latest.get(), maxLag);
    }

    /** Readiness for one snapshot: down when a partition's oldest unapplied entry is older than {@code maxLag}. */
    static Health evaluate(StatusSnapshot s, Duration maxLag) {
        Health.Builder h = Health.up()
                .withDetail("backlog", s.backlog())
                .withDetail("oldestAgeSeconds", s.oldestAge().toMillis() / 1000.0)
                .withDetail("maxLagSeconds", maxLag.toMillis() / 1000.0);
        if (maxLag.isZero()) {
            return h.withDetail("lagCheck", "off (CISTERN_READY_MAX_LAG_MS=0)").build();
        }
        List<String> behind = s.partitions().stream()
                .filter(p -> p.oldestAge().compareTo(maxLag) > 0)
                .map(p -> "partition " + p.partition() + ": oldest unapplied entry is "
                        + p.oldestAge().toSeconds()
                        + " s old, over the " + maxLag.toSeconds() + " s threshold (backlog " + p.backlog()
                        + " entries"
                        + p.pausedBy().map(by -> "; paused by " + by).orElse("")
                        + (p.owner().isEmpty() ? "; no worker owns it" : "") + ")")
                .toList();
        if (behind.isEmpty()) {
            return h.build();
        }
        return Health.down()
                .withDetail("lag", String.join("; ", behind))
                .withDetail("backlog", s.backlog())
                .withDetail("oldestAgeSeconds", s.oldestAge().toMillis() / 1000.0)
                .withDetail("maxLagSeconds", maxLag.toMillis() / 1000.0)
                .build();
    }
}
