package io.cistern.sync;

import java.util.List;

/**
 * What one committed batch did.
 *
 * @param entries how many change entries the batch held
 * @param rowOperations how many row operations ran (after coalescing)
 * @param deadLetters the entries set aside, to go to the dead-letter stream
 * @param watermark the batch's highest entry ID; the partition's applied watermark is at least this now
 */
record ApplyResult(int entries, int rowOperations, List<DeadLetter> deadLetters, String watermark) {
    ApplyResult {
        deadLetters = List.copyOf(deadLetters);
    }
}
