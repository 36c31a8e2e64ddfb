package io.cistern.sync;

import io.cistern.schema.failure.RetryableException;
import java.time.Duration;

/**
 * A batch's transaction failed for a reason that is not its records' fault (connection lost, admin shutdown, deadlock,
 * too many connections), or a foreign-key parent was missing while that still counts as transient. Nothing was
 * committed; the same batch may be applied again.
 */
final class BatchFailedException extends RetryableException {
    private final SqlFailureTranslator.Classified classified;

    BatchFailedException(int partition, int entries, SqlFailureTranslator.Classified classified, Throwable cause) {
        super(
                classified.kind() == SqlFailureTranslator.Kind.PARENT_MISSING
                        ? "PARENT_MISSING"
                        : "DATABASE_UNAVAILABLE",
                "partition " + partition + ": batch of " + entries + " entries not applied"
                        + (classified.sqlState().isEmpty() ? "" : " (SQLSTATE " + classified.sqlState() + ")") + ": "
                        + classified.message(),
                Duration.ZERO,
                cause);
        this.classified = classified;
    }

    SqlFailureTranslator.Classified classified() {
        return classified;
    }
}
