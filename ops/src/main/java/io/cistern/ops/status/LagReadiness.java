package io.cistern.ops.status;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * Readiness of the apply path, two checks:
 *
 * <ul>
 *   <li><b>lag</b>: down while some partition's oldest unapplied entry is older than {@link
 *       StatusSettings#readyMaxLag()}, naming each such partition, its age and its backlog;
 *   <li><b>stall</b>: down while some partition with entries waiting has applied nothing for longer than {@link
 *       StatusSettings#readyMaxStall()} ({@link StatusMonitor#stalls()}, measured by {@link StallDetector}), whatever
 *       the lag says, naming the partition, how long, its owner and its worker's last error. A dead database path is
 *       seen within the stall bound plus two refresh intervals, and readiness stays down until batches commit again.
 * </ul>
 *
 * Reads the {@link StatusMonitor}'s latest snapshot, never Redis. Unknown until the first snapshot, and while the status
 * cannot be read (Redis's own readiness says why). Part of readiness only: liveness stays the process alone.
 * Thread-safe.
 */
public final class LagReadiness implements HealthIndicator {
    /** Stalled partitions whose reason readiness gives in full; the others are listed by number. */
    static final int STALLS_IN_FULL = 3;

    private final StatusMonitor monitor;
    private final Duration maxLag;

    public LagReadiness(StatusMonitor monitor, Duration maxLag) {
        this.monitor = Objects.requireNonNull(monitor, "monitor");
        this.maxLag = Objects.requireNonNull(maxLag, "maxLag");
    }

    @Override
    public Health health() {
        List<PartitionStall> stalls = monitor.stalls();
        Optional<StatusSnapshot> latest = monitor.latest();
        if (latest.isEmpty() || monitor.failure().isPresent()) {
            Health.Builder h = Health.unknown();
            monitor.failure().ifPresent(f -> h.withDetail("error", "pipeline status unreadable: " + f));
            if (latest.isEmpty()) {
                h.withDetail("lag", "pipeline status not read yet");
            }
            return h.build();
        }
        return evaluate(latest.get(), maxLag, stalls, monitor.maxStall());
    }

    /** Readiness for one snapshot, lag only: down when a partition's oldest unapplied entry is older than {@code maxLag}. */
    static Health evaluate(StatusSnapshot s, Duration maxLag) {
        return evaluate(s, maxLag, List.of(), Duration.ZERO);
    }

    /**
     * Readiness for one snapshot and the stalls found with it: down when a partition's oldest unapplied entry is older
     * than {@code maxLag} or when a partition is stalled.
     */
    static Health evaluate(StatusSnapshot s, Duration maxLag, List<PartitionStall> stalls, Duration maxStall) {
        List<String> behind = maxLag.isZero()
                ? List.of()
                : s.partitions().stream()
                        .filter(p -> p.oldestAge().compareTo(maxLag) > 0)
                        .map(p -> "partition " + p.partition() + ": oldest unapplied entry is "
                                + p.oldestAge().toSeconds()
                                + " s old, over the " + maxLag.toSeconds() + " s threshold (backlog " + p.backlog()
                                + " entries"
                                + p.pausedBy().map(by -> "; paused by " + by).orElse("")
                                + (p.owner().isEmpty() ? "; no worker owns it" : "") + ")")
                        .toList();
        Health.Builder h = behind.isEmpty() && stalls.isEmpty() ? Health.up() : Health.down();
        if (!behind.isEmpty()) {
            h.withDetail("lag", String.join("; ", behind));
        }
        if (!stalls.isEmpty()) {
            h.withDetail("stalled", stalled(stalls, maxStall));
        }
        h.withDetail("backlog", s.backlog())
                .withDetail("oldestAgeSeconds", s.oldestAge().toMillis() / 1000.0)
                .withDetail("maxLagSeconds", maxLag.toMillis() / 1000.0)
                .withDetail("maxStallSeconds", maxStall.toMillis() / 1000.0);
        if (maxLag.isZero()) {
            h.withDetail("lagCheck", "off (CISTERN_READY_MAX_LAG_MS=0)");
        }
        if (maxStall.isZero()) {
            h.withDetail("stallCheck", "off (CISTERN_READY_MAX_STALL_MS=0)");
        }
        return h.build();
    }

    /**
     * The reasons of the first {@value #STALLS_IN_FULL} stalled partitions, then the numbers of the others: when the
     * database is gone every partition stalls for the same reason, and sixteen copies of it say no more than three.
     */
    private static String stalled(List<PartitionStall> stalls, Duration maxStall) {
        String reasons = String.join(
                "; ",
                stalls.stream()
                        .limit(STALLS_IN_FULL)
                        .map(st -> st.reason(maxStall))
                        .toList());
        if (stalls.size() <= STALLS_IN_FULL) {
            return reasons;
        }
        return reasons + "; also stalled: partitions "
                + String.join(
                        ", ",
                        stalls.stream()
                                .skip(STALLS_IN_FULL)
                                .map(st -> Integer.toString(st.partition()))
                                .toList())
                + " (each with its reason on the dashboard; each partition's last error in ops/cistern lag --json)";
    }
}
