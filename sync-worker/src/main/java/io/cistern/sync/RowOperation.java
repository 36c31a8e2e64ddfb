package io.cistern.sync;

import io.cistern.schema.codec.ChangeEntry;
import io.cistern.schema.registry.TableDef;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * What one key's change entries of a batch amount to: one row operation. Immutable.
 *
 * @param table the table
 * @param key the record's key
 * @param kind what to do to the row
 * @param version the version the row ends at: the highest version among {@code entries}
 * @param columns column name to the value's SQL text (what PostgreSQL's input function for the column's type reads;
 *     {@code null} for NULL): for an upsert the whole record (columns not named take their default or NULL), for a
 *     patch the columns it changes; empty for a delete
 * @param entries the change entries this operation stands for, in version order
 */
record RowOperation(
        TableDef table,
        KeyValues key,
        Kind kind,
        long version,
        Map<String, String> columns,
        List<ChangeEntry> entries) {

    /** What a row operation does. */
    enum Kind {
        /** Changes the named columns of the row in the database; the row must be there ("record absent" if not). */
        PATCH,
        /** Removes the row and leaves a tombstone at {@code version}. */
        DELETE,
        /** Inserts or replaces the whole row; columns not named take their default or NULL. */
        UPSERT
    }

    RowOperation {
        Objects.requireNonNull(table, "table");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(kind, "kind");
        columns =
                Collections.unmodifiableMap(columns instanceof Owned owned ? owned.map : new LinkedHashMap<>(columns));
        entries = List.copyOf(entries);
        if (entries.isEmpty()) {
            throw new IllegalArgumentException("a row operation stands for at least one change entry");
        }
    }

    /**
     * The statement shape: operations of one table with the same shape run as one SQL statement. The kind and the
     * sorted set of named columns.
     */
    String shape() {
        StringBuilder shape = new StringBuilder(64)
                .append(table.name())
                .append('|')
                .append(kind)
                .append('|');
        String previous = null;
        for (String c : columns.keySet()) {
            if (previous != null && previous.compareTo(c) >= 0) {
                // Not in name order (the planner usually hands them sorted): sort them.
                return table.name() + "|" + kind + "|" + String.join(",", new TreeSet<>(columns.keySet()));
            }
            if (previous != null) {
                shape.append(',');
            }
            shape.append(c);
            previous = c;
        }
        return shape.toString();
    }

    /**
     * Hands {@code columns}, a map that its maker will never change again, to the constructor, which then keeps it
     * without a copy. For the planner's hot path; anything else passes a plain map and gets it copied.
     */
    static Map<String, String> owned(LinkedHashMap<String, String> columns) {
        return new Owned(columns);
    }

    private static final class Owned extends java.util.AbstractMap<String, String> {
        private final LinkedHashMap<String, String> map;

        private Owned(LinkedHashMap<String, String> map) {
            this.map = map;
        }

        @Override
        public java.util.Set<Map.Entry<String, String>> entrySet() {
            return Collections.unmodifiableMap(map).entrySet();
        }
    }
}
