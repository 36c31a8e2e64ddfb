package io.cistern.reader;

import io.cistern.schema.codec.ValueCodec;
import io.cistern.schema.registry.ColumnDef;
import io.cistern.schema.registry.TableDef;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The answer to one read: the record with its version ({@link Found}) or the fact that it does not exist ({@link
 * Absent}). Both say which {@link Tier} answered. Immutable.
 */
public sealed interface ReadResult permits ReadResult.Found, ReadResult.Absent {

    /** The table read. */
    String table();

    /** The record's key in its encoded text form ({@link io.cistern.schema.keys.KeyEncoding}). */
    String key();

    /**
     * For a found record, the version of the write it reflects. For an absent record, the version of the delete when
     * the reader knows it, else 0.
     */
    long version();

    /** Which tier answered. */
    Tier tier();

    /** Whether the record exists. */
    default boolean found() {
        return this instanceof Found;
    }

    /**
     * A record that exists.
     *
     * @param definition the table's definition, used to decode the values
     * @param key the record's encoded key
     * @param version the version of the latest write this state reflects (the {@code cistern_version} once synced)
     * @param tier which tier answered
     * @param columns each column's value as its canonical JSON text ({@link ValueCodec}), in the table's column order.
     *     Key columns are always present. A column is missing only when a {@code put} that is not yet synced omitted
     *     it and the column has a database default: PostgreSQL assigns its value when the write is applied ({@link
     *     #pending()}). Unmodifiable.
     */
    record Found(TableDef definition, String key, long version, Tier tier, Map<String, String> columns)
            implements ReadResult {
        public Found {
            Objects.requireNonNull(definition, "definition");
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(tier, "tier");
            columns = Collections.unmodifiableMap(new LinkedHashMap<>(columns));
        }

        @Override
        public String table() {
            return definition.name();
        }

        /**
         * The Java value of a column (see {@link ValueCodec} for the types), or null for SQL NULL.
         *
         * @throws IllegalArgumentException when the table has no such column, or the record does not hold it (see
         *     {@link #columns()})
         */
        public Object value(String column) {
            ColumnDef def = definition
                    .column(column)
                    .orElseThrow(() ->
                            new IllegalArgumentException("table '" + table() + "' has no column '" + column + "'"));
            String json = columns.get(column);
            if (json == null) {
                throw new IllegalArgumentException(
                        "record " + key + " of table '" + table() + "' does not hold column '" + column
                                + "' yet: PostgreSQL assigns its default when the put is synced");
            }
            return ValueCodec.decode(def, json);
        }

        /** Every column's Java value (null for SQL NULL), in column order. Unmodifiable. */
        public Map<String, Object> values() {
            Map<String, Object> values = new LinkedHashMap<>();
            for (ColumnDef c : definition.columns()) {
                String json = columns.get(c.name());
                if (json != null) {
                    values.put(c.name(), ValueCodec.decode(c, json));
                }
            }
            return Collections.unmodifiableMap(values);
        }

        /**
         * The columns PostgreSQL has still to fill: those with a database default that a {@code put} not yet synced
         * omitted, in column order. Empty once the put is synced (every tier then answers them with the values
         * PostgreSQL assigned) and for every record read from PostgreSQL. Unmodifiable.
         */
        public List<String> pending() {
            List<String> pending = new ArrayList<>(0);
            for (ColumnDef c : definition.columns()) {
                if (!columns.containsKey(c.name())) {
                    pending.add(c.name());
                }
            }
            return Collections.unmodifiableList(pending);
        }

        /**
         * The record as one JSON object, {@code {"column": value, ...}} in column order, each value its canonical JSON:
         * the same bytes from every tier for the same record at the same version (key columns included).
         */
        public String recordJson() {
            StringBuilder json = new StringBuilder(32 * columns.size() + 2).append('{');
            for (Map.Entry<String, String> c : columns.entrySet()) {
                if (json.length() > 1) {
                    json.append(',');
                }
                // Column names are identifiers the registry accepted, which need no escaping.
                json.append('"').append(c.getKey()).append("\":").append(c.getValue());
            }
            return json.append('}').toString();
        }

        /** The same state as answered by another tier. */
        Found withTier(Tier other) {
            return other == tier ? this : new Found(definition, key, version, other, columns);
        }
    }

    /**
     * A record that does not exist: never written, deleted (synced or not), or only patched while absent (the patch
     * will be dead-lettered as "record absent").
     *
     * @param table the table read
     * @param key the record's encoded key
     * @param version the version of the delete when known (the record hash still holds the delete marker), else 0
     * @param tier which tier answered
     */
    record Absent(String table, String key, long version, Tier tier) implements ReadResult {
        public Absent {
            Objects.requireNonNull(table, "table");
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(tier, "tier");
        }
    }
}
