package io.cistern.schema.failure;

import java.util.Objects;

/**
 * A write refused at the edge because its input is wrong: unknown table or column, wrong type, oversized value,
 * missing or malformed key, or a patch of a record known to be deleted. Nothing reached the stream.
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
        RECORD_DELETED
    }

    private final Reason reason;
    private final String table;
    private final String field;

    public InvalidRecordException(Reason reason, String table, String field, String message) {
        this(reason, table, field, message, null);
    }

    public InvalidRecordException(Reason reason, String table, String field, String message, Throwable cause) {
        super(reason.name(), message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
        this.table = table;
        this.field = field;
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
