package io.cistern.schema.failure;

import java.io.IOException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;

/**
 * The one classifier of PostgreSQL failures, by SQLSTATE: its class (the first two characters) first, then the few
 * codes that differ from their class. Every component that talks to PostgreSQL asks it, and only it reads {@link
 * SQLException#getSQLState()} (an architecture rule keeps it so; {@code ConnectionFailureTranslator} alone also reads it,
 * to say which setting to fix).
 *
 * <table>
 *   <caption>SQLSTATE classes</caption>
 *   <tr><th>SQLSTATE</th><th>kind</th></tr>
 *   <tr><td>{@code 08xxx}; none, with an I/O cause or from the pool</td><td>{@link SqlFailureKind#CONNECTION}</td></tr>
 *   <tr><td>{@code 57xxx} ({@code 57P01} admin shutdown, {@code 57P03} cannot connect now, ...)</td>
 *       <td>{@link SqlFailureKind#SERVER_NOT_READY}</td></tr>
 *   <tr><td>{@code 53xxx} ({@code 53300} too many connections, ...)</td>
 *       <td>{@link SqlFailureKind#BACK_PRESSURE}</td></tr>
 *   <tr><td>{@code 40xxx} ({@code 40001} serialization, {@code 40P01} deadlock)</td>
 *       <td>{@link SqlFailureKind#CONFLICT}</td></tr>
 *   <tr><td>{@code 23503}</td><td>{@link SqlFailureKind#PARENT_MISSING}</td></tr>
 *   <tr><td>{@code 22xxx}, other {@code 23xxx}</td><td>{@link SqlFailureKind#BAD_DATA}</td></tr>
 *   <tr><td>{@code 42703}, {@code 42804}</td><td>{@link SqlFailureKind#ROW_MISMATCH}</td></tr>
 *   <tr><td>other {@code 42xxx} ({@code 42P01} undefined table, {@code 42501} no privilege, ...)</td>
 *       <td>{@link SqlFailureKind#SCHEMA_MISMATCH}</td></tr>
 *   <tr><td>{@code 28xxx}, {@code 3D000}</td><td>{@link SqlFailureKind#CONFIGURATION}</td></tr>
 *   <tr><td>anything else; no SQLSTATE and no I/O cause</td><td>{@link SqlFailureKind#UNEXPECTED}</td></tr>
 * </table>
 *
 * <p>Thread-safe: no state. Needs no driver: it reads only {@code java.sql}.
 */
public final class SqlStates {
    /** {@code foreign_key_violation}. */
    public static final String FOREIGN_KEY_VIOLATION = "23503";
    /** {@code undefined_table}. */
    public static final String UNDEFINED_TABLE = "42P01";
    /** {@code undefined_column}. */
    public static final String UNDEFINED_COLUMN = "42703";
    /** {@code datatype_mismatch}. */
    public static final String DATATYPE_MISMATCH = "42804";
    /** {@code insufficient_privilege} (a {@link SqlFailureKind#SCHEMA_MISMATCH}). */
    public static final String INSUFFICIENT_PRIVILEGE = "42501";

    private SqlStates() {}

    /**
     * Classifies a failure of a PostgreSQL call: the innermost {@link SQLException} in the cause chain that carries a
     * SQLSTATE decides (a pool's wrapper carries less than the driver's own).
     */
    public static SqlFailure classify(Throwable failure) {
        SQLException withState = null;
        SQLException any = null;
        boolean io = false;
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SQLException s) {
                any = any == null ? s : any;
                if (s.getSQLState() != null) {
                    withState = s;
                }
            }
            io |= t instanceof IOException;
        }
        if (withState == null) {
            String message = String.valueOf((any != null ? any : failure).getMessage());
            // No SQLSTATE: the pool timed out, or the driver lost the socket: nothing the statement did.
            boolean connection = io || any != null;
            return new SqlFailure(
                    connection ? SqlFailureKind.CONNECTION : SqlFailureKind.UNEXPECTED, "", message, failure);
        }
        String state = withState.getSQLState();
        SqlFailureKind kind =
                io || withState instanceof SQLTransientConnectionException ? SqlFailureKind.CONNECTION : kindOf(state);
        return new SqlFailure(kind, state, String.valueOf(withState.getMessage()), failure);
    }

    /** The kind of a SQLSTATE. */
    public static SqlFailureKind kindOf(String state) {
        switch (state) {
            case FOREIGN_KEY_VIOLATION:
                return SqlFailureKind.PARENT_MISSING;
            case UNDEFINED_COLUMN, DATATYPE_MISMATCH:
                return SqlFailureKind.ROW_MISMATCH;
            case "3D000":
                return SqlFailureKind.CONFIGURATION;
            default:
                break;
        }
        String sqlClass = state.length() >= 2 ? state.substring(0, 2) : state;
        return switch (sqlClass) {
            case "08" -> SqlFailureKind.CONNECTION;
            case "57" -> SqlFailureKind.SERVER_NOT_READY;
            case "53" -> SqlFailureKind.BACK_PRESSURE;
            case "40" -> SqlFailureKind.CONFLICT;
            case "22", "23" -> SqlFailureKind.BAD_DATA;
            case "42" -> SqlFailureKind.SCHEMA_MISMATCH;
            case "28" -> SqlFailureKind.CONFIGURATION;
            default -> SqlFailureKind.UNEXPECTED;
        };
    }
}
