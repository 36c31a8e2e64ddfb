package io.cistern.sync;

import io.cistern.schema.codec.ValueCodec;
import io.cistern.schema.registry.ColumnDef;
import java.math.BigDecimal;
import java.util.HexFormat;

/**
 * Converts a column's canonical JSON value (as it travels in a change entry) to the text PostgreSQL's input function
 * for the column's type reads, so every value can travel in a {@code text[]} array and be cast in SQL. Stateless.
 */
final class SqlText {
    private SqlText() {}

    /**
     * The SQL text of {@code json} for {@code column}, or {@code null} for JSON null.
     *
     * @throws IllegalArgumentException naming the column when the value does not fit its type
     */
    static String of(ColumnDef column, String json) {
        return of("?", column, json);
    }

    /**
     * As {@link #of(ColumnDef, String)}, naming {@code table} in the refusal ({@link ValueCodec#refusal}: the column,
     * its type, what it needs, the value cut short; never a library's words).
     */
    static String of(String table, ColumnDef column, String json) {
        String fast = fastPath(column, json);
        if (fast != null) {
            return fast;
        }
        if (json.equals("null")) {
            return null;
        }
        Object value;
        try {
            value = ValueCodec.decode(column, json);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(ValueCodec.refusal(table, column, json), e);
        }
        return switch (value) {
            case null -> null;
            case BigDecimal d -> d.toPlainString();
            case byte[] bytes -> "\\x" + HexFormat.of().formatHex(bytes);
            // Everything else prints as PostgreSQL reads it: numbers, booleans, uuids, ISO dates and timestamps
            // (PostgreSQL accepts the 'T' separator and 'Z'), NaN and Infinity, JSON text.
            default -> value.toString();
        };
    }

    /**
     * The SQL text of the commonest values without parsing JSON: a string with nothing escaped for a text, uuid, date or
     * timestamp column (its characters are the text), and plain digits for an integer column. Anything else, or
     * anything doubtful, returns null and takes the full decode, which also validates it.
     */
    private static String fastPath(ColumnDef column, String json) {
        int n = json.length();
        switch (column.type()) {
            case TEXT, UUID, DATE, TIMESTAMP, TIMESTAMPTZ -> {
                if (n >= 2 && json.charAt(0) == '"' && json.charAt(n - 1) == '"' && json.indexOf('\\') < 0) {
                    if (column.type() == io.cistern.schema.registry.SqlType.TEXT) {
                        return json.substring(1, n - 1);
                    }
                    // Non-text types are ASCII in canonical form; a quote inside would be escaped, so none is here.
                    String text = json.substring(1, n - 1);
                    return text.indexOf('"') < 0 && !text.isEmpty() ? text : null;
                }
                return null;
            }
            case SMALLINT, INTEGER, BIGINT -> {
                if (n == 0 || n > 19) {
                    return null;
                }
                for (int i = json.charAt(0) == '-' ? 1 : 0; i < n; i++) {
                    char c = json.charAt(i);
                    if (c < '0' || c > '9') {
                        return null;
                    }
                }
                return n == 1 && json.charAt(0) == '-' ? null : json;
            }
            default -> {
                return null;
            }
        }
    }
}
