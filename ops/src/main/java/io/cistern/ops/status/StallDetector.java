package io.cistern.ops.status;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Which partitions apply nothing while entries wait: the apply path is <em>stalled</em> when a partition has a backlog
 * and its applied watermark has not moved for longer than {@code maxStall}, whatever the age of its oldest entry says.
 *
 * <p>Why the lag age alone is not enough: a worker whose connections are dead (a TCP blackhole, a failover) applies
 * nothing, but the oldest unapplied entry's age only crosses its threshold after the whole threshold, and a lag check
 * can even recover while nothing is applied (the oldest entries were applied just before the stall). The watermark is
 * the one thing that moves exactly when something is applied or dead-lettered.
 *
 * <p>How "applied nothing" is measured across status reads: for each partition the detector remembers the watermark
 * it saw and the read at which it first saw that watermark with entries waiting. A later read that sees the same
 * watermark, still with entries waiting, measures the stall from then. Anything else starts the measurement afresh:
 * the watermark moved (a batch committed or dead-lettered; after Redis lost its data it may move back, which counts
 * too), the backlog is empty, or an operator paused the partition (a pause is on purpose, and {@code paused} says so).
 * Times are the snapshots' {@link StatusSnapshot#takenAt() Redis times}, so every service judges by one clock and a
 * test controls time through its snapshots. The measurement never overstates a stall (it starts at the first read
 * that saw the watermark, at most one refresh interval after the move), so a partition whose batches commit within
 * {@code maxStall} is never called stalled; the price is latency: a stall is reported between {@code maxStall} and
 * {@code maxStall} plus two refresh intervals after the last apply (one until a read sees the last move, one until a
 * read sees the bound passed). The first read of a service has no past, so after a (re)start a stall is reported at
 * the earliest {@code maxStall} later.
 *
 * <p>A partition with no lease owner and entries waiting stalls too (nothing applies it), and its reason says so; the
 * {@code cistern_partition_owned} gauge and its alert report it on their own as well.
 *
 * <p>No threads and no I/O. Not thread-safe: one owner ({@link StatusMonitor}'s thread) feeds it.
 */
final class StallDetector {
    private final Duration maxStall;
    /** Per partition with entries waiting: the watermark seen and the first read that saw it. */
    private final Map<Integer, Progress> progress = new HashMap<>();

    private record Progress(Optional<String> watermark, Instant since) {}

    /** @param maxStall how long a partition may apply nothing while entries wait; zero turns the check off */
    StallDetector(Duration maxStall) {
        this.maxStall = Objects.requireNonNull(maxStall, "maxStall");
        if (maxStall.isNegative()) {
            throw new IllegalArgumentException("the stall bound must not be negative, was " + maxStall);
        }
    }

    Duration maxStall() {
        return maxStall;
    }

    /** Takes the next snapshot into account and returns the partitions stalled at its time, by number. */
    List<PartitionStall> observe(StatusSnapshot snapshot) {
        Instant now = snapshot.takenAt();
        List<PartitionStall> stalls = new ArrayList<>();
        progress.keySet().removeIf(p -> p >= snapshot.partitions().size());
        for (PartitionStatus p : snapshot.partitions()) {
            if (p.backlog() == 0 || p.paused()) {
                progress.remove(p.partition());
                continue;
            }
            Progress seen = progress.get(p.partition());
            if (seen == null || !seen.watermark().equals(p.appliedWatermark()) || now.isBefore(seen.since())) {
                // A move, a first sight, or a Redis clock that stepped back (a failover): measure from now.
                progress.put(p.partition(), new Progress(p.appliedWatermark(), now));
                continue;
            }
            Duration still = Duration.between(seen.since(), now);
            if (!maxStall.isZero() && still.compareTo(maxStall) > 0) {
                stalls.add(new PartitionStall(p, seen.since(), still));
            }
        }
        return List.copyOf(stalls);
    }
}
