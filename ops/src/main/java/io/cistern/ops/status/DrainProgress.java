package io.cistern.ops.status;

import io.cistern.schema.keys.StreamEntryId;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Whether everything written before a point in time is applied: the point is each partition's last entry ID in a
 * first snapshot (every write acknowledged before it is at or below that ID). A partition is drained when no entry in
 * its stream lies above its watermark and at or below its target: its first unapplied entry is past the target, or
 * there is none. That holds too when entries up to the target were deleted by hand (a target-based check on the
 * watermark alone would wait for ever), and entries written later never delay it. Dead-lettered entries count as
 * drained (the watermark passes them); {@link #deadLettersAdded} says how many arrived meanwhile. Pure and immutable.
 */
public final class DrainProgress {
    private final StatusSnapshot start;

    private DrainProgress(StatusSnapshot start) {
        this.start = start;
    }

    /** Progress towards everything in {@code start} being applied. */
    public static DrainProgress from(StatusSnapshot start) {
        return new DrainProgress(Objects.requireNonNull(start, "start"));
    }

    /** The snapshot the drain started from. */
    public StatusSnapshot start() {
        return start;
    }

    /** Entries to apply at the start, all partitions. */
    public long initialBacklog() {
        return start.backlog();
    }

    /** Whether partition {@code p} of {@code now} holds no entry written before the start that is not applied. */
    public boolean drained(StatusSnapshot now, int p) {
        Optional<String> target = start.partition(p).lastEntryId();
        if (target.isEmpty() || start.partition(p).backlog() == 0) {
            return true;
        }
        if (p >= now.partitions().size()) {
            return false;
        }
        Optional<String> first = now.partition(p).oldestUnappliedId();
        return first.isEmpty() || StreamEntryId.parse(first.get()).compareTo(StreamEntryId.parse(target.get())) > 0;
    }

    /** Whether every partition is drained. */
    public boolean drained(StatusSnapshot now) {
        return undrained(now).isEmpty();
    }

    /** The partitions of {@code now} not yet drained. */
    public List<PartitionStatus> undrained(StatusSnapshot now) {
        List<PartitionStatus> left = new ArrayList<>();
        for (int p = 0; p < start.partitions().size(); p++) {
            if (!drained(now, p)) {
                left.add(p < now.partitions().size() ? now.partition(p) : start.partition(p));
            }
        }
        return left;
    }

    /**
     * Entries of the start's backlog still to apply, estimated: for each partition not drained, its backlog now but
     * at most its backlog at the start (writes that arrived since are not waited for). Never increases while the
     * workers make progress.
     */
    public long remaining(StatusSnapshot now) {
        long left = 0;
        for (PartitionStatus p : undrained(now)) {
            left += Math.min(p.backlog(), start.partition(p.partition()).backlog());
        }
        return left;
    }

    /** Dead letters added since the start, all partitions (never negative: a replay or drop may remove some). */
    public long deadLettersAdded(StatusSnapshot now) {
        return Math.max(0, now.deadLetters() - start.deadLetters());
    }
}
