package io.cistern.schema.postgres;

import io.cistern.schema.codec.ValueCodec;
import io.cistern.schema.registry.CheckConstraint;
import io.cistern.schema.registry.CheckParser;
import io.cistern.schema.registry.ColumnDef;
import io.cistern.schema.registry.SqlType;
import io.cistern.schema.registry.TableDef;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads a table's definition from the PostgreSQL catalog (tables in the connection's current schema): its columns,
 * primary key, parent and CHECK constraints (each parsed by {@link CheckParser}; a CHECK that reads the version column
 * is left to PostgreSQL).
 */
final class CatalogReader {
    private static final String COLUMNS = """
            SELECT a.attname, t.typname, NOT a.attnotnull AS nullable, a.atthasdef,
                   CASE WHEN t.typname IN ('varchar', 'bpchar') AND a.atttypmod > 4 THEN a.atttypmod - 4 ELSE 0 END,
                   CASE WHEN t.typname = 'numeric' AND a.atttypmod > 4 THEN ((a.atttypmod - 4) >> 16) & 65535 ELSE 0 END,
                   CASE WHEN t.typname = 'numeric' AND a.atttypmod > 4 THEN (a.atttypmod - 4) & 65535 ELSE -1 END
            FROM pg_attribute a
            JOIN pg_class c ON c.oid = a.attrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_type t ON t.oid = a.atttypid
            WHERE n.nspname = current_schema() AND c.relname = ? AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum
            """;
    private static final String PRIMARY_KEY = """
            SELECT a.attname
            FROM pg_index i
            JOIN pg_class c ON c.oid = i.indrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON true
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
            WHERE n.nspname = current_schema() AND c.relname = ? AND i.indisprimary
            ORDER BY k.ord
            """;
    private static final String REFERENCED = """
            SELECT DISTINCT p.relname
            FROM pg_constraint f
            JOIN pg_class c ON c.oid = f.conrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_class p ON p.oid = f.confrelid
            WHERE f.contype = 'f' AND n.nspname = current_schema() AND c.relname = ? AND p.relname <> c.relname
            ORDER BY p.relname
            """;

    private static final String CHECKS = """
            SELECT k.conname, pg_get_constraintdef(k.oid)
            FROM pg_constraint k
            JOIN pg_class c ON c.oid = k.conrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE k.contype = 'c' AND n.nspname = current_schema() AND c.relname = ?
            ORDER BY k.conname
            """;
    /** Text types whose equality is not their characters': trailing blanks do not count, or case does not. */
    private static final Set<String> INEXACT_TEXT = Set.of("bpchar", "citext");

    private CatalogReader() {}

    /**
     * The definition of {@code table}, or empty when there is no such table.
     *
     * @param registered the names of all registered tables, to find the parent this table references
     * @throws IllegalArgumentException naming the column when a column's type, or a key column's type, is not supported
     */
    static Optional<TableDef> read(Connection c, String table, int routingColumns, Set<String> registered)
            throws SQLException {
        List<ColumnDef> columns = new ArrayList<>();
        Set<String> inexactText = new HashSet<>();
        boolean hasVersion = false;
        try (PreparedStatement ps = c.prepareStatement(COLUMNS)) {
            ps.setString(1, table);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String name = rs.getString(1);
                    if (name.equals(TableDef.VERSION_COLUMN)) {
                        hasVersion = true;
                        continue;
                    }
                    String typeName = rs.getString(2);
                    SqlType type = SqlType.fromCatalogName(typeName)
                            .orElseThrow(() -> new IllegalArgumentException("column '" + name + "' of table '" + table
                                    + "' has type " + typeName + ", which Cistern does not carry yet (supported: "
                                    + SqlType.supportedNames() + ")"));
                    if (INEXACT_TEXT.contains(typeName)) {
                        inexactText.add(name);
                    }
                    columns.add(new ColumnDef(
                            name, type, rs.getBoolean(3), rs.getBoolean(4), rs.getInt(5), rs.getInt(6), rs.getInt(7)));
                }
            }
        }
        if (columns.isEmpty()) {
            return Optional.empty();
        }
        if (!hasVersion) {
            throw new IllegalStateException("table '" + table + "' has no " + TableDef.VERSION_COLUMN
                    + " column; register it with `ops/cistern init --table " + table + "`, which adds it");
        }
        List<String> pk = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(PRIMARY_KEY)) {
            ps.setString(1, table);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    pk.add(rs.getString(1));
                }
            }
        }
        if (pk.isEmpty()) {
            throw new IllegalArgumentException(
                    "table '" + table + "' has no primary key; Cistern needs one to upsert (ALTER TABLE " + table
                            + " ADD PRIMARY KEY (...))");
        }
        for (String k : pk) {
            ColumnDef col =
                    columns.stream().filter(x -> x.name().equals(k)).findFirst().orElseThrow();
            if (!ValueCodec.supportedInKey(col.type())) {
                throw new IllegalArgumentException("primary-key column '" + k + "' of table '" + table + "' has type "
                        + col.type().sqlName() + "; Cistern keys support text, int2, int4, int8, uuid and date");
            }
        }
        Optional<String> parent = Optional.empty();
        try (PreparedStatement ps = c.prepareStatement(REFERENCED)) {
            ps.setString(1, table);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next() && parent.isEmpty()) {
                    String referenced = rs.getString(1);
                    if (registered.contains(referenced)) {
                        parent = Optional.of(referenced);
                    }
                }
            }
        }
        Map<String, SqlType> types = new LinkedHashMap<>();
        columns.forEach(col -> types.put(col.name(), col.type()));
        List<CheckConstraint> checks = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(CHECKS)) {
            ps.setString(1, table);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    checks.add(CheckParser.parse(rs.getString(1), rs.getString(2), types, inexactText));
                }
            }
        }
        return Optional.of(new TableDef(table, columns, pk, Math.min(routingColumns, pk.size()), parent, checks));
    }
}
