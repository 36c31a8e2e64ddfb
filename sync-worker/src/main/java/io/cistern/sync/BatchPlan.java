package io.cistern.sync;

import java.util.List;

/**
 * A batch of one partition, ready for its transaction. Immutable.
 *
 * @param operations the row operations in the order they must run: every patch (tables parents first), then every
 *     delete (children first), then every upsert (parents first); within a table, keys in primary-key order
 * @param rejected the entries set aside before the database is asked, with why
 */
record BatchPlan(List<RowOperation> operations, List<DeadLetter> rejected) {
    BatchPlan {
        operations = List.copyOf(operations);
        rejected = List.copyOf(rejected);
    }
}
