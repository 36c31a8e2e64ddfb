package io.cistern.sync;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * How many partitions one worker should own, and which of its partitions it gives up, so that live workers share the
 * partitions evenly. Pure: no threads, no I/O, immutable.
 *
 * <p>Every worker computes the same fair share, {@code ceil(partitions / liveWorkers)}, from the same list of live
 * workers; it takes free partitions up to its share and drains and releases the partitions above it, highest-numbered
 * first, so others can take them. Shares round up, so together they always cover every partition; while views of
 * the live workers differ (a worker just joined or left), a worker may briefly own one or two more or fewer.
 *
 * @param fairShare how many partitions this worker should own
 * @param toRelease partitions this worker should drain and release now
 * @param toTake how many free partitions this worker may take now
 */
record PartitionShare(int fairShare, List<Integer> toRelease, int toTake) {
    PartitionShare {
        toRelease = List.copyOf(toRelease);
    }

    /**
     * @param partitions the partition count
     * @param liveWorkers how many workers are alive, this one included (a count below 1 counts as 1)
     * @param owned the partitions this worker owns, including those it is releasing
     * @param releasing the owned partitions already being drained for release
     */
    static PartitionShare decide(int partitions, int liveWorkers, Set<Integer> owned, Set<Integer> releasing) {
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be positive, was " + partitions);
        }
        int live = Math.max(1, liveWorkers);
        int share = (partitions + live - 1) / live;
        TreeSet<Integer> active = new TreeSet<>(owned);
        active.removeAll(releasing);
        List<Integer> release = new ArrayList<>();
        for (Integer p : active.descendingSet()) {
            if (active.size() - release.size() <= share) {
                break;
            }
            release.add(p);
        }
        int take = Math.max(0, share - owned.size());
        return new PartitionShare(share, release, take);
    }
}
