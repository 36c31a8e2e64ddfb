package io.cistern.sync;

import io.cistern.schema.failure.RetryableException;
import java.time.Duration;

/**
 * This worker's fencing token for a partition is no longer the partition's token: another worker took the partition
 * over. The transaction committed nothing; the new owner applies the batch (its entries stay pending under the
 * partition's consumer name). The owner of the partition loop stops working on the partition.
 */
final class FencedOutException extends RetryableException {
    FencedOutException(int partition, long token) {
        super(
                "FENCED_OUT",
                "partition " + partition + ": fencing token " + token
                        + " is stale (another worker took the partition over); committed nothing",
                Duration.ZERO,
                null);
    }
}
