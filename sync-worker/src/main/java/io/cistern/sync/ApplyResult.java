package io.cistern.sync;

import java.util.List;
import java.util.Set;

/**
 * What one committed batch did, and to each of its entries.
 *
 * @param entries how many change entries the batch held
 * @param rowOperations how many row operations ran (after coalescing)
 * @param deadLetters the entries set aside, to go to the dead-letter stream
 * @param superseded the IDs of the entries the version guard skipped: the row, or the key's tombstone, already held
 *     their version or a newer one
 * @param watermark the batch's highest entry ID; after {@link BatchApplier#apply} the partition's applied watermark is
 *     at least this now ({@link BatchApplier#replay} leaves the watermark alone)
 */
record ApplyResult(
        int entries, int rowOperations, List<DeadLetter> deadLetters, Set<String> superseded, String watermark) {

    /** What became of one entry of the batch. */
    enum Outcome {
        /** Written: the row (or its tombstone) now holds the entry's version. */
        APPLIED,
        /** Skipped by the version guard: the row or its tombstone already held this version or a newer one. */
        SUPERSEDED,
        /** Set aside with a reason: it is among {@link #deadLetters()}. */
        DEAD_LETTERED
    }

    ApplyResult {
        deadLetters = List.copyOf(deadLetters);
        superseded = Set.copyOf(superseded);
    }

    /**
     * What became of the entry with stream ID {@code entryId}, which must be one of the batch's. An entry whose version
     * repeated another entry of its key in the batch shares that entry's row operation and counts as applied.
     */
    Outcome outcomeOf(String entryId) {
        if (superseded.contains(entryId)) {
            return Outcome.SUPERSEDED;
        }
        for (DeadLetter d : deadLetters) {
            if (d.entryId().equals(entryId)) {
                return Outcome.DEAD_LETTERED;
            }
        }
        return Outcome.APPLIED;
    }
}
