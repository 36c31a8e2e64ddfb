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
        Object value;
        try {
            value = ValueCodec.decode(column, json);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(
                    "value of column '" + column.name() + "' does not fit "
                            + column.type().sqlName() + ": " + e.getMessage(),
                    e);
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
}
