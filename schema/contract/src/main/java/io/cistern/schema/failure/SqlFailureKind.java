package io.cistern.schema.failure;

/**
 * What a failed PostgreSQL call means, as {@link SqlStates#classify(Throwable)} decides it from the SQLSTATE class. Each
 * component picks its own exception and message from the kind (the sync worker decides what is poison, the reader what
 * it answers), but the reading of SQLSTATEs happens in one place.
 */
public enum SqlFailureKind {
    /**
     * No connection: refused, lost, or none free in the pool in time (class {@code 08}, no SQLSTATE with an I/O cause or
     * from the pool). A statement whose connection broke during its commit may or may not have been applied; Cistern's
     * upserts are version-guarded, so applying them again is harmless. Retry.
     */
    CONNECTION(true),
    /**
     * The server is going away or not taking connections yet (class {@code 57}: admin or crash shutdown, cannot connect
     * now, a cancelled statement). Nothing was applied. Retry.
     */
    SERVER_NOT_READY(true),
    /** Too many connections or insufficient resources (class {@code 53}). Nothing was applied; retry after a wait. */
    BACK_PRESSURE(true),
    /** Serialization failure or deadlock (class {@code 40}): the transaction was rolled back. Retry it. */
    CONFLICT(true),
    /**
     * A foreign-key parent is missing ({@code 23503}): it may still be in flight on another partition. Retry for a
     * bounded time, then treat the row as bad data.
     */
    PARENT_MISSING(true),
    /**
     * The row's own data cannot be stored (class {@code 22} data exception, class {@code 23} other than {@code 23503}).
     * The same row will fail again.
     */
    BAD_DATA(false),
    /**
     * The row names a column the table lacks ({@code 42703}) or gives a value the column's type refuses ({@code
     * 42804}): this row does not fit the table. The same row will fail again.
     */
    ROW_MISMATCH(false),
    /**
     * The statement does not fit the database at all (any other class {@code 42} state: a missing table, a missing
     * function, no privilege): the table no longer matches Cistern's registry, or the user lacks a grant. Fixed by an
     * operator, not by retrying; a worker waits for the fix instead of blaming rows.
     */
    SCHEMA_MISMATCH(false),
    /**
     * The user, password or database is wrong (class {@code 28}, {@code 3D000}): a configuration error that only an
     * operator can fix.
     */
    CONFIGURATION(false),
    /** Any other SQLSTATE: an unexpected state of the database, or a bug. */
    UNEXPECTED(false);

    private final boolean retryable;

    SqlFailureKind(boolean retryable) {
        this.retryable = retryable;
    }

    /** Whether the same call may succeed later, unchanged. */
    public boolean retryable() {
        return retryable;
    }
}
