package io.cistern.sync;

import java.io.IOException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;

/**
 * The one place that classifies PostgreSQL failures, by SQLSTATE (class first, then the few codes that differ from
 * their class). Stateless; thread-safe.
 *
 * <table>
 *   <caption>Classification</caption>
 *   <tr><th>SQLSTATE</th><th>meaning</th><th>class</th></tr>
 *   <tr><td>08xxx, no SQLSTATE with an I/O cause</td><td>connection lost or refused</td><td>retryable</td></tr>
 *   <tr><td>57P01, 57P02, 57P03</td><td>admin shutdown, crash shutdown, cannot connect now</td><td>retryable</td></tr>
 *   <tr><td>53300, 53xxx</td><td>too many connections, insufficient resources</td><td>retryable</td></tr>
 *   <tr><td>40001, 40P01</td><td>serialization failure, deadlock</td><td>retryable</td></tr>
 *   <tr><td>23503</td><td>foreign-key parent missing (it may be in flight on another partition)</td>
 *       <td>retried for a bounded time, then permanent</td></tr>
 *   <tr><td>22xxx, other 23xxx, 42703, 42804</td><td>data error, constraint violation, undefined column, datatype
 *       mismatch</td><td>permanent: the record is poison</td></tr>
 *   <tr><td>anything else</td><td>an unexpected state of the database or a bug in Cistern</td><td>retryable: the
 *       partition waits and logs, nothing is dead-lettered for a fault that is not the record's</td></tr>
 * </table>
 */
final class SqlFailureTranslator {
    static final String FOREIGN_KEY_VIOLATION = "23503";

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

    /** Classifies {@code failure}, looking through its causes for the first SQLException. */
    static Classified classify(Throwable failure) {
        SQLException sql = null;
        boolean io = false;
        for (Throwable t = failure; t != null && t.getCause() != t; t = t.getCause()) {
            if (sql == null && t instanceof SQLException s) {
                sql = s;
            }
            io |= t instanceof IOException;
            if (t.getCause() == null) {
                break;
            }
        }
        if (sql == null || sql.getSQLState() == null) {
            String message = String.valueOf((sql != null ? sql : failure).getMessage());
            // No SQLSTATE: the pool timed out, or the driver lost the socket. Nothing the record did.
            return new Classified(Kind.RETRYABLE, "", message);
        }
        String state = sql.getSQLState();
        String message = String.valueOf(sql.getMessage());
        return new Classified(kindOf(state, io || sql instanceof SQLTransientConnectionException), state, message);
    }

    /** The kind of a SQLSTATE. */
    static Kind kindOf(String state, boolean connectionProblem) {
        if (connectionProblem || state.startsWith("08")) {
            return Kind.RETRYABLE;
        }
        return switch (state) {
            case "57P01", "57P02", "57P03", "53300", "40001", "40P01" -> Kind.RETRYABLE;
            case FOREIGN_KEY_VIOLATION -> Kind.PARENT_MISSING;
            case "42703", "42804" -> Kind.PERMANENT;
            default -> {
                String cls = state.length() >= 2 ? state.substring(0, 2) : state;
                yield switch (cls) {
                    case "22", "23" -> Kind.PERMANENT;
                    default -> Kind.RETRYABLE;
                };
            }
        };
    }
}
