package io.cistern.schema.failure;

/**
 * A classified PostgreSQL failure.
 *
 * @param kind what it means for the caller
 * @param sqlState the SQLSTATE of the innermost {@link java.sql.SQLException} that carries one, or {@code ""}
 * @param message that exception's message (the database's own words), or the failure's when there is none
 * @param failure the failure as thrown
 */
public record SqlFailure(SqlFailureKind kind, String sqlState, String message, Throwable failure) {
    /** Whether the SQLSTATE is {@code state}. */
    public boolean is(String state) {
        return sqlState.equals(state);
    }
}
