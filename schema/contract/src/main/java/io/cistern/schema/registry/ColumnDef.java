package io.cistern.schema.registry;

import java.util.Objects;

/**
 * One column of a synced table.
 *
 * @param name the column name as PostgreSQL knows it
 * @param type its Cistern type
 * @param nullable whether the column accepts NULL
 * @param hasDefault whether PostgreSQL fills it when a put omits it
 * @param maxLength the declared character limit of a {@code varchar(n)}/{@code char(n)} column, or 0 for none
 */
public record ColumnDef(String name, SqlType type, boolean nullable, boolean hasDefault, int maxLength) {
    public ColumnDef {
        Objects.requireNonNull(name, "column name must not be null");
        Objects.requireNonNull(type, "column type must not be null");
        if (!Identifiers.isPlain(name)) {
            throw new IllegalArgumentException("column name '" + name + "' " + Identifiers.RULE);
        }
        if (maxLength < 0) {
            throw new IllegalArgumentException("maxLength of column '" + name + "' must not be negative");
        }
    }
}
