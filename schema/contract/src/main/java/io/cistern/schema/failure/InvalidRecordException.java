package io.cistern.schema.failure;

import java.util.Objects;
import java.util.OptionalInt;

/**
 * A write refused at the edge because its input is wrong: unknown table or column, wrong type, oversized value,
 * missing or malformed key, a value a CHECK constraint refuses, a patch of a record known to be deleted, or a batch of
 * more writes than the writer accepts. Nothing reached the stream.
 */
public final class InvalidRecordException extends PermanentException {
    /** Why the record was refused. */
    public enum Reason {
        UNKNOWN_TABLE,
        UNKNOWN_COLUMN,
        WRONG_TYPE,
        VALUE_TOO_LARGE,
        MISSING_KEY,
        MALFORMED_KEY,
        NOT_NULLABLE,
        EMPTY_PATCH,
        RECORD_DELETED,
        /** A CHECK constraint Cistern understands refuses the value: the field is the column. */
        CHECK_VIOLATION,
        /** A batch of more writes than the writer accepts in one ({@code CISTERN_WRITER_MAX_BATCH}): the field is {@code writes}. */
        BATCH_TOO_LARGE
    }

    private final Reason reason;
    private final String table;
    private final String field;
    private final Integer batchIndex;

    public InvalidRecordException(Reason reason, String table, String field, String message) {
        this(reason, table, field, message, null);
    }

    public InvalidRecordException(Reason reason, String table, String field, String message, Throwable cause) {
        this(reason, table, field, null, message, cause);
    }

    private InvalidRecordException(
            Reason reason, String table, String field, Integer batchIndex, String message, Throwable cause) {
        super(reason.name(), message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
        this.table = table;
        this.field = field;
        this.batchIndex = batchIndex;
    }

    /**
     * This refusal as the refusal of a whole batch because of its write number {@code index} (0-based): the message
     * starts {@code "write <index> of the batch: "}, and {@link #batchIndex()} carries the index as data.
     */
    public InvalidRecordException inBatch(int index) {
        return new InvalidRecordException(
                reason, table, field, index, "write " + index + " of the batch: " + getMessage(), this);
    }

    /** The index of the refused write when a whole batch was refused because of it; empty for a single write. */
    public OptionalInt batchIndex() {
        return batchIndex == null ? OptionalInt.empty() : OptionalInt.of(batchIndex);
    }

    public Reason reason() {
        return reason;
    }

    /** The table named by the write. */
    public String table() {
        return table;
    }

    /** The offending field: a column name, {@code key}, or {@code table}. */
    public String field() {
        return field;
    }
}
