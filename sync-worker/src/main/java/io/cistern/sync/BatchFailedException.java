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
    private final boolean stalled;

    BatchFailedException(int partition, int entries, SqlFailureTranslator.Classified classified, Throwable cause) {
        this(partition, entries, classified, cause, false);
    }

    /** @param stalled whether PostgreSQL sent no answer within the batch's response bound ({@link ResponseBound}) */
    BatchFailedException(
            int partition, int entries, SqlFailureTranslator.Classified classified, Throwable cause, boolean stalled) {
        super(
                classified.kind() == SqlFailureTranslator.Kind.PARENT_MISSING
                        ? "PARENT_MISSING"
                        : "DATABASE_UNAVAILABLE",
                "partition " + partition + ": batch of " + entries + " entries not applied"
                        + (classified.sqlState().isEmpty() ? "" : " (SQLSTATE " + classified.sqlState() + ")") + ": "
                        + (stalled ? "no answer within the response bound; connection abandoned: " : "")
                        + classified.message(),
                Duration.ZERO,
                cause);
        this.classified = classified;
        this.stalled = stalled;
    }

    /** Whether the batch's connection was abandoned because PostgreSQL did not answer within the bound. */
    boolean stalled() {
        return stalled;
    }

    SqlFailureTranslator.Classified classified() {
        return classified;
    }
}
