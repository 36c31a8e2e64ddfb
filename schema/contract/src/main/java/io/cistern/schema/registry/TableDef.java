package io.cistern.schema.registry;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A synced table: its columns, its primary key (one column or several) and how its records are routed to partitions.
 * Immutable; validated in the constructor.
 *
 * @param name the table name (a plain identifier in the default schema)
 * @param columns every column Cistern may write, in catalog order; excludes {@code cistern_version}
 * @param primaryKey the primary-key columns, in key order
 * @param routingColumns how many leading primary-key columns decide the partition (1..primaryKey.size()); a table
 *     whose key is {@code (document_uuid, entity_uuid)} routed by {@code document_uuid} has 1
 * @param parent the table this one references through its routing column, applied first, or empty
 * @param checks the table's CHECK constraints, those Cistern judges itself and those it leaves to PostgreSQL (see
 *     {@link CheckConstraint})
 */
public record TableDef(
        String name,
        List<ColumnDef> columns,
        List<String> primaryKey,
        int routingColumns,
        Optional<String> parent,
        List<CheckConstraint> checks) {

    /** The version column Cistern adds to every synced table. */
    public static final String VERSION_COLUMN = "cistern_version";

    public TableDef {
        Objects.requireNonNull(name, "table name must not be null");
        if (!Identifiers.isPlain(name)) {
            throw new IllegalArgumentException("table name '" + name + "' " + Identifiers.RULE);
        }
        columns = List.copyOf(columns);
        primaryKey = List.copyOf(primaryKey);
        parent = Objects.requireNonNull(parent, "parent must not be null (use Optional.empty())");
        checks = List.copyOf(checks);
        if (primaryKey.isEmpty()) {
            throw new IllegalArgumentException("table '" + name + "' has no primary key: Cistern needs one to upsert");
        }
        Map<String, ColumnDef> byName = new LinkedHashMap<>();
        for (ColumnDef c : columns) {
            if (c.name().equals(VERSION_COLUMN)) {
                throw new IllegalArgumentException(
                        "table '" + name + "' lists " + VERSION_COLUMN + " as a column: Cistern owns that column");
            }
            if (byName.put(c.name(), c) != null) {
                throw new IllegalArgumentException("table '" + name + "' lists column '" + c.name() + "' twice");
            }
        }
        for (int i = 0; i < primaryKey.size(); i++) {
            String k = primaryKey.get(i);
            if (primaryKey.indexOf(k) != i) {
                throw new IllegalArgumentException(
                        "table '" + name + "' lists primary-key column '" + k + "' twice: " + primaryKey);
            }
            if (!byName.containsKey(k)) {
                throw new IllegalArgumentException(
                        "primary-key column '" + k + "' of table '" + name + "' is not one of its columns");
            }
        }
        if (routingColumns < 1 || routingColumns > primaryKey.size()) {
            throw new IllegalArgumentException("table '" + name + "' routes by " + routingColumns
                    + " key columns, but must route by 1 to " + primaryKey.size() + " leading primary-key columns");
        }
        for (CheckConstraint check : checks) {
            for (CheckCondition condition : check.conditions()) {
                if (!byName.containsKey(condition.column())) {
                    throw new IllegalArgumentException("CHECK constraint '" + check.name() + "' of table '" + name
                            + "' reads column '" + condition.column() + "', which is not one of its columns");
                }
            }
        }
    }

    /** A table without CHECK constraints. */
    public TableDef(
            String name,
            List<ColumnDef> columns,
            List<String> primaryKey,
            int routingColumns,
            Optional<String> parent) {
        this(name, columns, primaryKey, routingColumns, parent, List.of());
    }

    /** The column named {@code columnName}, or empty when the table has no such column. */
    public Optional<ColumnDef> column(String columnName) {
        for (ColumnDef c : columns) {
            if (c.name().equals(columnName)) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }

    /** The primary-key columns' definitions, in key order. */
    public List<ColumnDef> keyColumns() {
        // A loop, not a stream: the sync worker asks for every entry it decodes.
        ColumnDef[] key = new ColumnDef[primaryKey.size()];
        for (int i = 0; i < key.length; i++) {
            key[i] = column(primaryKey.get(i)).orElseThrow();
        }
        return List.of(key);
    }

    /** Whether {@code columnName} is part of the primary key. */
    public boolean isKeyColumn(String columnName) {
        return primaryKey.contains(columnName);
    }
}
