package io.cistern.writer;

import io.cistern.schema.failure.PermanentException;
import java.util.Objects;

/**
 * The sync worker could not apply a write and sent its change entry to the partition's dead-letter stream: the
 * database refused it for good (a CHECK or NOT NULL constraint, a value out of range, a patch of an absent record, a
 * foreign-key parent that never came). Code {@code DEAD_LETTERED}. The write is still the record's latest state in
 * Redis, but PostgreSQL does not hold it until the dead letter is fixed and replayed.
 */
public final class DeadLetteredException extends PermanentException {
    public static final String CODE = "DEAD_LETTERED";

    private final WriteReceipt receipt;
    private final String reason;
    private final String sqlState;
    private final String deadLetterId;

    DeadLetteredException(WriteReceipt receipt, String reason, String sqlState, String deadLetterId, String message) {
        super(CODE, message, null);
        this.receipt = Objects.requireNonNull(receipt, "receipt");
        this.reason = Objects.requireNonNull(reason, "reason");
        this.sqlState = Objects.requireNonNull(sqlState, "sqlState");
        this.deadLetterId = Objects.requireNonNull(deadLetterId, "deadLetterId");
    }

    /** The write that was dead-lettered. */
    public WriteReceipt receipt() {
        return receipt;
    }

    /** Why, as the worker recorded it (the database's error message, or Cistern's own such as "record absent"). */
    public String reason() {
        return reason;
    }

    /** The SQLSTATE of the database error ({@code 23514} for a CHECK violation), or empty when there was none. */
    public String sqlState() {
        return sqlState;
    }

    /** The ID of the dead letter on the partition's dead-letter stream ({@code {prefix}:{p}:dlq}). */
    public String deadLetterId() {
        return deadLetterId;
    }
}
