package io.cistern.ops.status;

import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The pipeline's status: every partition, read one after the other (each partition's numbers are from one instant).
 * Immutable.
 *
 * @param takenAt when the read started, Redis time
 * @param prefix the Redis key prefix read
 * @param partitions every partition, by number
 */
public record StatusSnapshot(Instant takenAt, String prefix, List<PartitionStatus> partitions) {
    public StatusSnapshot {
        Objects.requireNonNull(takenAt, "takenAt");
        Objects.requireNonNull(prefix, "prefix");
        partitions = List.copyOf(partitions);
        for (int i = 0; i < partitions.size(); i++) {
            if (partitions.get(i).partition() != i) {
                throw new IllegalArgumentException("partitions must be listed by number from 0; position " + i
                        + " holds partition " + partitions.get(i).partition());
            }
        }
    }

    /** Entries not yet applied, all partitions. */
    public long backlog() {
        return partitions.stream().mapToLong(PartitionStatus::backlog).sum();
    }

    /** The age of the oldest unapplied entry of any partition; zero without backlog. */
    public Duration oldestAge() {
        return partitions.stream()
                .map(PartitionStatus::oldestAge)
                .max(Comparator.naturalOrder())
                .orElse(Duration.ZERO);
    }

    /** The partition whose oldest unapplied entry is oldest, when any has a backlog. */
    public Optional<PartitionStatus> mostBehind() {
        return partitions.stream().filter(p -> p.backlog() > 0).max(Comparator.comparing(PartitionStatus::oldestAge));
    }

    /** Entries ever added to the partition streams, all partitions: its growth is the rate writes arrive at. */
    public long entriesAdded() {
        return partitions.stream().mapToLong(PartitionStatus::entriesAdded).sum();
    }

    /** Pending entries (delivered, not acknowledged), all partitions. */
    public long pending() {
        return partitions.stream().mapToLong(PartitionStatus::pending).sum();
    }

    /** Dead letters, all partitions. */
    public long deadLetters() {
        return partitions.stream().mapToLong(PartitionStatus::deadLetters).sum();
    }

    /** Partition {@code p}. */
    public PartitionStatus partition(int p) {
        if (p < 0 || p >= partitions.size()) {
            throw new IllegalArgumentException(
                    "partition " + p + " does not exist: prefix '" + prefix + "' has " + partitions.size());
        }
        return partitions.get(p);
    }
}
