package io.cistern.sync;

import io.cistern.schema.failure.SqlFailure;
import io.cistern.schema.failure.SqlFailureKind;
import io.cistern.schema.failure.SqlStates;

/**
 * What the sync worker does with a PostgreSQL failure that {@link SqlStates} classified: whether a batch is retried
 * whole, waits for a foreign-key parent, or is narrowed down to a poison record that is dead-lettered. The SQLSTATEs
 * are read by {@link SqlStates} only; this decides the worker's policy. Stateless; thread-safe.
 *
 * <table>
 *   <caption>Policy</caption>
 *   <tr><th>kind</th><th>worker</th></tr>
 *   <tr><td>{@link SqlFailureKind#BAD_DATA} (22xxx, 23xxx), {@link SqlFailureKind#ROW_MISMATCH} (42703, 42804)</td>
 *       <td>permanent: the record is poison</td></tr>
 *   <tr><td>{@link SqlFailureKind#PARENT_MISSING} (23503: the parent may be in flight on another partition)</td>
 *       <td>retried for a bounded time, then permanent</td></tr>
 *   <tr><td>every other kind: connection, server not ready, back-pressure, conflict, a schema or configuration
 *       problem, anything unexpected</td><td>retryable: the partition waits and logs, nothing is dead-lettered for a
 *       fault that is not the record's</td></tr>
 * </table>
 */
final class SqlFailureTranslator {
    private SqlFailureTranslator() {}

    /** How a failure is handled. */
    enum Kind {
        /** Try the whole batch again later; never counts towards dead-lettering. */
        RETRYABLE,
        /** A foreign-key parent is missing: retry for a bounded time, then treat as permanent. */
        PARENT_MISSING,
        /** The record cannot be applied as it is: narrow the batch down to it and dead-letter it. */
        PERMANENT
    }

    /**
     * A classified failure.
     *
     * @param kind how to handle it
     * @param sqlState the SQLSTATE, or {@code ""} when the failure carries none
     * @param message the database's message, for logs and dead letters
     */
    record Classified(Kind kind, String sqlState, String message) {}

    /** Classifies {@code failure} with {@link SqlStates} and applies the worker's policy. */
    static Classified classify(Throwable failure) {
        SqlFailure f = SqlStates.classify(failure);
        return new Classified(kindOf(f.kind()), f.sqlState(), f.message());
    }

    /**
     * Whether the failure says the table changed under the worker's registry: an undefined table ({@code 42P01}), an
     * undefined column ({@code 42703}) or a datatype mismatch ({@code 42804}). Such a batch is run again with a
     * registry reloaded from the catalog before any of its entries is judged.
     */
    static boolean registryMayBeStale(Classified c) {
        return switch (c.sqlState()) {
            case SqlStates.UNDEFINED_TABLE, SqlStates.UNDEFINED_COLUMN, SqlStates.DATATYPE_MISMATCH -> true;
            default -> false;
        };
    }

    /** The worker's handling of a kind. */
    static Kind kindOf(SqlFailureKind kind) {
        return switch (kind) {
            case PARENT_MISSING -> Kind.PARENT_MISSING;
            case BAD_DATA, ROW_MISMATCH -> Kind.PERMANENT;
            case CONNECTION, SERVER_NOT_READY, BACK_PRESSURE, CONFLICT, SCHEMA_MISMATCH, CONFIGURATION, UNEXPECTED ->
                Kind.RETRYABLE;
        };
    }
}
