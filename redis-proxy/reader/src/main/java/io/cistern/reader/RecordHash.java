package io.cistern.reader;

import io.cistern.schema.codec.ValueCodec;
import io.cistern.schema.registry.ColumnDef;
import io.cistern.schema.registry.TableDef;
import io.cistern.schema.wire.RecordFields;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a record hash in Redis says about its record, parsed from {@code HGETALL}. Pure; no I/O.
 *
 * <p>The hash, as the Function library {@code cistern_v1} writes it: {@code v} the version of the latest write, {@code
 * s} its state and {@code c:<column>} each column's canonical JSON. States:
 *
 * <ul>
 *   <li>{@code put} — the whole record: every column the put gave, later patches merged in. Also what a fill from
 *       PostgreSQL writes ({@link RedisFills});
 *   <li>{@code patch} — only the patched columns: patches that arrived after the full hash expired. Never the whole
 *       record; the reader completes it from the PostgreSQL row;
 *   <li>{@code deleted} — deleted at version {@code v} (synced or not);
 *   <li>{@code fill} without {@code v} — a reservation a reader made before reading PostgreSQL ({@link RedisFills});
 *       holds no data. With {@code v}, patches arrived onto the reservation: as partial as {@code patch}.
 * </ul>
 */
record RecordHash(Kind kind, long version, Map<String, String> columns) {

    enum Kind {
        /** No hash: never written, synced and expired, or Redis lost it. PostgreSQL holds the latest state. */
        NONE,
        /** The whole record. */
        FULL,
        /** Only some columns: complete from PostgreSQL. */
        PARTIAL,
        /** Deleted at {@link #version()}. */
        DELETED,
        /** A fill reservation of some reader; no data. PostgreSQL holds the latest state. */
        RESERVED
    }

    static final RecordHash NONE = new RecordHash(Kind.NONE, 0, Map.of());

    static RecordHash parse(Map<String, String> fields) {
        if (fields == null || fields.isEmpty()) {
            return NONE;
        }
        String state = fields.get(RecordFields.STATE);
        String v = fields.get(RecordFields.VERSION);
        if (v == null) {
            // Only a reservation has no version; anything else without one is not a record state this reader knows.
            return new RecordHash(Kind.RESERVED, 0, Map.of());
        }
        long version;
        try {
            version = Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IllegalStateException("record hash holds a version that is not a number: '" + v + "'", e);
        }
        Map<String, String> columns = new LinkedHashMap<>();
        for (Map.Entry<String, String> f : fields.entrySet()) {
            if (f.getKey().startsWith(RecordFields.COLUMN_PREFIX)) {
                columns.put(f.getKey().substring(RecordFields.COLUMN_PREFIX.length()), f.getValue());
            }
        }
        Kind kind = switch (state == null ? "" : state) {
            case RecordFields.STATE_PUT -> Kind.FULL;
            case RecordFields.STATE_DELETED -> Kind.DELETED;
            // "patch", "fill" with a version (patches onto a reservation), and any state this build does not
            // know: never served as the whole record.
            default -> Kind.PARTIAL;
        };
        return new RecordHash(kind, version, kind == Kind.DELETED ? Map.of() : columns);
    }

    /**
     * The columns of a full hash in the table's column order, dropping any column the table no longer has. A column
     * the put omitted is NULL unless it has a database default (then PostgreSQL assigns it when the put is applied, and
     * it is left out).
     */
    Map<String, String> recordColumns(TableDef table) {
        return recordColumns(table, Map.of());
    }

    /**
     * {@link #recordColumns(TableDef)} with the key columns from the record's key ({@code keyColumns}, canonical JSON:
     * the Function stores no key column in the hash) and every value in its canonical form ({@link
     * ValueCodec#canonical}), so the answer is the bytes the database tier gives for the same record.
     */
    Map<String, String> recordColumns(TableDef table, Map<String, String> keyColumns) {
        Map<String, String> ordered = new LinkedHashMap<>();
        for (ColumnDef c : table.columns()) {
            String json = keyColumns.containsKey(c.name()) ? keyColumns.get(c.name()) : columns.get(c.name());
            if (json != null) {
                ordered.put(c.name(), ValueCodec.canonical(table.name(), c, json));
            } else if (!c.hasDefault()) {
                ordered.put(c.name(), "null");
            }
        }
        return ordered;
    }

    /**
     * Whether a full hash lacks a column that PostgreSQL fills with its default ({@code keyColumns} come from the key,
     * never from the hash): such a record is completed from its row once the put is synced.
     */
    boolean lacksDefaults(TableDef table, Map<String, String> keyColumns) {
        for (ColumnDef c : table.columns()) {
            if (c.hasDefault() && !columns.containsKey(c.name()) && !keyColumns.containsKey(c.name())) {
                return true;
            }
        }
        return false;
    }

    /**
     * A partial hash merged over the PostgreSQL row it patches: the row's columns, overridden by the hash's
     * (canonical), in the table's column order.
     */
    Map<String, String> mergeOver(TableDef table, Map<String, String> row) {
        Map<String, String> merged = new LinkedHashMap<>();
        for (ColumnDef c : table.columns()) {
            String json = columns.containsKey(c.name())
                    ? ValueCodec.canonical(table.name(), c, columns.get(c.name()))
                    : row.get(c.name());
            if (json != null) {
                merged.put(c.name(), json);
            }
        }
        return merged;
    }
}
