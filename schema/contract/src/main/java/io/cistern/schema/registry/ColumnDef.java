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
 * @param precision the declared precision of a {@code numeric(p,s)} column, or 0 for none
 * @param scale the declared scale of a {@code numeric(p,s)} column, or -1 for none
 */
public record ColumnDef(
        String name, SqlType type, boolean nullable, boolean hasDefault, int maxLength, int precision, int scale) {
    public ColumnDef {
        Objects.requireNonNull(name, "column name must not be null");
        Objects.requireNonNull(type, "column type must not be null");
        if (!Identifiers.isPlain(name)) {
            throw new IllegalArgumentException("column name '" + name + "' " + Identifiers.RULE);
        }
        if (maxLength < 0) {
            throw new IllegalArgumentException("maxLength of column '" + name + "' must not be negative");
        }
        if (precision < 0 || scale < -1 || (precision == 0 && scale >= 0) || (precision > 0 && scale > precision)) {
            throw new IllegalArgumentException("column '" + name + "' has numeric(" + precision + "," + scale
                    + "): precision must be positive (or 0 for none) and the scale between 0 and the precision (or -1"
                    + " for none)");
        }
        if ((precision > 0) && type != SqlType.NUMERIC) {
            throw new IllegalArgumentException(
                    "column '" + name + "' is " + type.sqlName() + "; only numeric columns have a precision and scale");
        }
    }

    /** A column without a declared numeric precision or scale. */
    public ColumnDef(String name, SqlType type, boolean nullable, boolean hasDefault, int maxLength) {
        this(name, type, nullable, hasDefault, maxLength, 0, -1);
    }
}
