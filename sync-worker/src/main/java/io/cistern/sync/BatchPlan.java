package io.cistern.sync;

import java.util.List;

/**
 * A batch of one partition, ready for its transaction. Immutable.
 *
 * @param operations the row operations in the order they must run: every patch (tables parents first), then every
 *     delete (children first), then every upsert (parents first); within a table, keys in primary-key order
 * @param rejected the entries set aside before the database is asked, with why
 * @param byRegistry whether some of them were set aside by what the registry says: a table or column it does not know,
 *     a key or a value that does not fit its column's type (the registry the plan was made with may be older than the
 *     catalog)
 */
record BatchPlan(List<RowOperation> operations, List<DeadLetter> rejected, boolean byRegistry) {
    BatchPlan {
        operations = List.copyOf(operations);
        rejected = List.copyOf(rejected);
    }
}
