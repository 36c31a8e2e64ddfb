package io.cistern.ops.status;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One partition at one instant (its numbers come from one atomic read of Redis). Immutable.
 *
 * @param partition the partition number
 * @param backlog entries not yet applied to PostgreSQL: entries in the stream above the applied watermark
 * @param oldestAge age of the oldest unapplied entry (Redis time now minus its entry ID's time); zero without backlog
 * @param oldestUnappliedId the oldest unapplied entry, when there is one
 * @param appliedWatermark every entry up to this ID is applied or dead-lettered; empty before the first batch
 * @param lastEntryId the newest entry in the stream, when the stream is not empty
 * @param streamLength entries in the stream, applied ones not yet trimmed included
 * @param entriesAdded entries ever added to the stream (Redis's {@code XINFO STREAM} {@code entries-added}; 0 while
 *     there is no stream): its growth between two readings is the throughput in, whoever the producer
 * @param pending entries delivered to the consumer group {@code sync} and not yet acknowledged (its PEL)
 * @param deadLetters the partition's open dead letters: as {@code cistern_dead_letter} (their record of truth) counts
 *     them where the reader has a database ({@link DeadLetterCounts}), else the notices on its Redis dead-letter
 *     stream
 * @param owner the live lease owner; empty when no worker owns the partition
 * @param pausedBy who paused the partition and when; empty when it is not paused
 * @param xinfoLag Redis's own {@code XINFO GROUPS} lag of group {@code sync}, for comparison only: empty when Redis
 *     cannot tell (after deletes) or the group does not exist. Never used for the backlog
 * @param deletedBeforeApplied an entry above the watermark was removed with {@code XDEL}: a write that will never
 *     reach PostgreSQL (Cistern never does this; someone ran XDEL by hand)
 * @param exact false when the backlog was counted in several steps while writes went on (a very long applied head)
 * @param lastError why the partition's last batch attempt failed, as its worker published it; empty while batches
 *     commit (the worker removes it at the next commit)
 * @param master on a Redis Cluster, the master ({@code host:port}) serving the partition's slot as the reader's client
 *     last saw the topology ({@value #NO_MASTER} while none does); empty off a cluster
 */
public record PartitionStatus(
        int partition,
        long backlog,
        Duration oldestAge,
        Optional<String> oldestUnappliedId,
        Optional<String> appliedWatermark,
        Optional<String> lastEntryId,
        long streamLength,
        long entriesAdded,
        long pending,
        long deadLetters,
        Optional<LeaseStatus> owner,
        Optional<String> pausedBy,
        OptionalLong xinfoLag,
        boolean deletedBeforeApplied,
        boolean exact,
        Optional<ApplyError> lastError,
        Optional<String> master) {
    /** What {@link #master()} says while no master serves the partition's slot (a failover under way). */
    public static final String NO_MASTER = "none (failing over)";

    public PartitionStatus {
        if (partition < 0) {
            throw new IllegalArgumentException("partition must not be negative, was " + partition);
        }
        Objects.requireNonNull(oldestAge, "oldestAge");
        Objects.requireNonNull(oldestUnappliedId, "oldestUnappliedId");
        Objects.requireNonNull(appliedWatermark, "appliedWatermark");
        Objects.requireNonNull(lastEntryId, "lastEntryId");
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(master, "master");
        Objects.requireNonNull(pausedBy, "pausedBy");
        Objects.requireNonNull(xinfoLag, "xinfoLag");
        Objects.requireNonNull(lastError, "lastError");
        if (entriesAdded < 0) {
            throw new IllegalArgumentException("entries added must not be negative, was " + entriesAdded);
        }
    }

    /** Whether an operator paused the partition. */
    public boolean paused() {
        return pausedBy.isPresent();
    }

    /** The oldest unapplied entry's age in seconds, with millisecond precision (the gauge's value). */
    public double oldestAgeSeconds() {
        return oldestAge.toMillis() / 1000.0;
    }
}
