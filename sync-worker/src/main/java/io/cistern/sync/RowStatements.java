package io.cistern.sync;

import io.cistern.schema.registry.ColumnDef;
import io.cistern.schema.registry.TableDef;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.jooq.DSLContext;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;

/**
 * Runs a plan's row operations as set-based SQL: one statement per table and shape (kind and column set), each row's
 * values bound as {@code text[]} arrays and expanded with {@code unnest}, then cast to the column types in SQL.
 * Statements are rendered once per shape (identifiers quoted by jOOQ) and cached. Thread-safe.
 *
 * <ul>
 *   <li>Upsert: {@code INSERT ... SELECT ... FROM unnest(...) WHERE NOT EXISTS (newer-or-equal tombstone) ON CONFLICT
 *       (pk) DO UPDATE SET given = excluded.given, omitted = DEFAULT, cistern_version = excluded.cistern_version WHERE
 *       target.cistern_version < excluded.cistern_version}: a put replaces the whole record, an older write never
 *       overwrites a newer one nor resurrects a deleted one.
 *   <li>Patch: an {@code UPDATE ... FROM unnest(...)} guarded by the version, in a statement that also returns the
 *       keys that are absent: no row, and no tombstone at or above the patch's version (that would make the patch
 *       merely superseded).
 *   <li>Delete: deletes rows older than the delete and raises the key's tombstone to the delete's version (forward
 *       only), in one statement.
 * </ul>
 *
 * <p>Each statement also returns the keys its guard skipped, the <em>superseded</em> ones: the row or the key's
 * tombstone already holds the operation's version or a newer one. The upsert returns the keys it wrote into a CTE and
 * anti-joins them with its input (no extra table access); the patch reports, among the keys it did not update, those
 * whose row exists or whose tombstone is at or above it; the delete reports the keys whose tombstone it did not raise
 * or whose row it left because it is newer. In the usual case nothing is superseded and the statements return no
 * rows: no query per row, no extra round trip.
 *
 * <p>Upserts can also run <em>counting</em> ({@code identify = false}): the plain upsert, whose row count tells whether
 * anything was superseded, without the CTE, {@code RETURNING} and anti-join that name the keys (a fifth of
 * PostgreSQL's time per inserted row, measured with 1,000-row batches). When the count falls short, execution stops
 * with {@link Executed#unidentified()} set and the caller rolls back and runs the operations again identifying: a
 * superseded put is rare (a takeover's redelivery, a replay), so the usual batch pays nothing for reporting.
 */
final class RowStatements {
    static final String TOMBSTONES = "cistern_tombstone";
    private static final DSLContext RENDER = DSL.using(SQLDialect.POSTGRES);

    private final Map<String, String> sqlByShape = new ConcurrentHashMap<>();
    private final Map<String, String> countingSqlByShape = new ConcurrentHashMap<>();

    /**
     * What a plan's statements did besides applying.
     *
     * @param absent the patches whose record is absent (no row, no tombstone at or above the patch)
     * @param superseded the operations the version guard skipped: the row or its tombstone is at or above them
     * @param unidentified a counting upsert wrote fewer rows than it had: some operation was superseded but not
     *     named, and the statements after it did not run; roll back and execute again identifying
     */
    record Executed(List<RowOperation> absent, List<RowOperation> superseded, boolean unidentified) {}

    /**
     * Runs {@code operations}, which must be in plan order, on {@code connection} inside the caller's transaction.
     *
     * @param identify name the superseded upserts; when false, upserts only count (see the class comment)
     * @return the absent patches and the superseded operations
     */
    Executed execute(Connection connection, List<RowOperation> operations, boolean identify) throws SQLException {
        List<RowOperation> absent = new ArrayList<>();
        List<RowOperation> superseded = new ArrayList<>();
        int i = 0;
        while (i < operations.size()) {
            RowOperation first = operations.get(i);
            Map<String, List<RowOperation>> byShape = new LinkedHashMap<>();
            int j = i;
            RowOperation previous = null;
            List<RowOperation> previousGroup = null;
            for (; j < operations.size(); j++) {
                RowOperation op = operations.get(j);
                if (op.kind() != first.kind()
                        || !op.table().name().equals(first.table().name())) {
                    break;
                }
                // Neighbours usually name the same columns: then they share a group without a shape string each.
                if (previous == null || !sameColumns(previous, op)) {
                    previousGroup = byShape.computeIfAbsent(op.shape(), s -> new ArrayList<>());
                }
                previousGroup.add(op);
                previous = op;
            }
            for (List<RowOperation> group : byShape.values()) {
                switch (first.kind()) {
                    case UPSERT -> {
                        if (identify) {
                            superseded.addAll(upsert(connection, group));
                        } else if (countingUpsert(connection, group) < group.size()) {
                            return new Executed(List.copyOf(absent), List.copyOf(superseded), true);
                        }
                    }
                    case PATCH -> patch(connection, group, absent, superseded);
                    case DELETE -> superseded.addAll(delete(connection, group));
                }
            }
            i = j;
        }
        return new Executed(List.copyOf(absent), List.copyOf(superseded), false);
    }

    /** Whether {@code a} and {@code b} name the same columns in the same order (then their shapes are equal). */
    private static boolean sameColumns(RowOperation a, RowOperation b) {
        if (a.columns().size() != b.columns().size()) {
            return false;
        }
        java.util.Iterator<String> other = b.columns().keySet().iterator();
        for (String column : a.columns().keySet()) {
            if (!column.equals(other.next())) {
                return false;
            }
        }
        return true;
    }

    /** The plain upsert of {@code group}; returns the rows it wrote (inserted or updated). */
    private int countingUpsert(Connection connection, List<RowOperation> group) throws SQLException {
        RowOperation first = group.getFirst();
        List<String> columns = List.copyOf(new TreeSet<>(first.columns().keySet()));
        String sql = countingSqlByShape.computeIfAbsent(
                first.shape(), s -> upsertSql(first.table(), columns, RowSource.UNNEST));
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            bindArrays(connection, ps, group, columns);
            return ps.executeUpdate();
        }
    }

    /** Returns the superseded operations of {@code group}. */
    private List<RowOperation> upsert(Connection connection, List<RowOperation> group) throws SQLException {
        RowOperation first = group.getFirst();
        List<String> columns = List.copyOf(new TreeSet<>(first.columns().keySet()));
        String sql = sqlByShape.computeIfAbsent(first.shape(), s -> upsertReportingSql(first.table(), columns));
        Set<String> superseded = new HashSet<>();
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            bindArrays(connection, ps, group, columns);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    superseded.add(rs.getString(1));
                }
            }
        }
        return withKeys(group, superseded);
    }

    private void patch(
            Connection connection, List<RowOperation> group, List<RowOperation> absent, List<RowOperation> superseded)
            throws SQLException {
        RowOperation first = group.getFirst();
        List<String> columns = List.copyOf(new TreeSet<>(first.columns().keySet()));
        String sql = sqlByShape.computeIfAbsent(first.shape(), s -> patchSql(first.table(), columns));
        Set<String> absentKeys = new HashSet<>();
        Set<String> supersededKeys = new HashSet<>();
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            bindArrays(connection, ps, group, columns);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    (rs.getBoolean(2) ? supersededKeys : absentKeys).add(rs.getString(1));
                }
            }
        }
        absent.addAll(withKeys(group, absentKeys));
        superseded.addAll(withKeys(group, supersededKeys));
    }

    /** Returns the superseded operations of {@code group}. */
    private List<RowOperation> delete(Connection connection, List<RowOperation> group) throws SQLException {
        RowOperation first = group.getFirst();
        String sql = sqlByShape.computeIfAbsent(first.shape(), s -> deleteSql(first.table()));
        Set<String> superseded = new HashSet<>();
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            bindArrays(connection, ps, group, List.of());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    superseded.add(rs.getString(1));
                }
            }
        }
        return withKeys(group, superseded);
    }

    private static List<RowOperation> withKeys(List<RowOperation> group, Set<String> encodedKeys) {
        if (encodedKeys.isEmpty()) {
            return List.of();
        }
        return group.stream()
                .filter(op -> encodedKeys.contains(op.key().encoded()))
                .toList();
    }

    /**
     * Binds, in order: the encoded keys, each key column's text, each of {@code columns}' text, the versions; one array
     * element per row operation.
     */
    private static void bindArrays(
            Connection connection, PreparedStatement ps, List<RowOperation> group, List<String> columns)
            throws SQLException {
        int n = group.size();
        int keyColumns = group.getFirst().table().primaryKey().size();
        String[] keys = new String[n];
        String[][] keyTexts = new String[keyColumns][n];
        String[][] values = new String[columns.size()][n];
        Long[] versions = new Long[n];
        for (int r = 0; r < n; r++) {
            RowOperation op = group.get(r);
            keys[r] = op.key().encoded();
            for (int k = 0; k < keyColumns; k++) {
                keyTexts[k][r] = op.key().texts().get(k);
            }
            for (int c = 0; c < columns.size(); c++) {
                values[c][r] = op.columns().get(columns.get(c));
            }
            versions[r] = op.version();
        }
        int p = 1;
        ps.setArray(p++, text(connection, keys));
        for (String[] k : keyTexts) {
            ps.setArray(p++, text(connection, k));
        }
        for (String[] v : values) {
            ps.setArray(p++, text(connection, v));
        }
        ps.setArray(p, connection.createArrayOf("int8", versions));
    }

    private static Array text(Connection connection, String[] values) throws SQLException {
        return connection.createArrayOf("text", values);
    }

    /** Where a statement's rows come from: bound arrays, or one row of bound values per batch element. */
    enum RowSource {
        /** {@code unnest(?::text[], ..., ?::int8[])}: one execution for all rows. */
        UNNEST,
        /** {@code (VALUES (?::text, ..., ?::int8))}: one JDBC batch element per row. */
        BIND_MANY
    }

    static String upsertSql(TableDef table, List<String> columns, RowSource source) {
        return insert(table, columns, rows(table, columns.size(), source));
    }

    /**
     * The upsert of {@link #upsertSql} from {@code unnest}, returning the encoded keys it did not write (superseded):
     * the written keys come back from {@code RETURNING} and are anti-joined with the input by the typed key.
     */
    static String upsertReportingSql(TableDef table, List<String> columns) {
        StringJoiner returning = new StringJoiner(", ");
        StringJoiner written = new StringJoiner(" AND ");
        List<ColumnDef> keyColumns = table.keyColumns();
        for (int k = 0; k < keyColumns.size(); k++) {
            ColumnDef column = keyColumns.get(k);
            returning.add("target." + quote(column.name()));
            written.add("w." + quote(column.name()) + " = v.p" + k + "::"
                    + column.type().sqlName());
        }
        return "WITH v AS (SELECT * FROM " + rows(table, columns.size(), RowSource.UNNEST) + "), written AS ("
                + insert(table, columns, "v") + " RETURNING " + returning + ")"
                + " SELECT v.k FROM v WHERE NOT EXISTS (SELECT 1 FROM written w WHERE " + written + ")";
    }

    /** The guarded {@code INSERT ... SELECT ... FROM <from> ... ON CONFLICT DO UPDATE}; {@code from} yields {@code v}. */
    private static String insert(TableDef table, List<String> columns, String from) {
        String t = quote(table.name());
        List<ColumnDef> keyColumns = table.keyColumns();
        StringJoiner insertColumns = new StringJoiner(", ");
        StringJoiner selectValues = new StringJoiner(", ");
        for (int k = 0; k < keyColumns.size(); k++) {
            insertColumns.add(quote(keyColumns.get(k).name()));
            selectValues.add("v.p" + k + "::" + keyColumns.get(k).type().sqlName());
        }
        StringJoiner set = new StringJoiner(", ");
        for (int c = 0; c < columns.size(); c++) {
            ColumnDef column = table.column(columns.get(c)).orElseThrow();
            insertColumns.add(quote(column.name()));
            selectValues.add(cast("v.c" + c, column));
            set.add(quote(column.name()) + " = excluded." + quote(column.name()));
        }
        for (ColumnDef column : table.columns()) {
            if (!table.isKeyColumn(column.name()) && !columns.contains(column.name())) {
                set.add(quote(column.name()) + " = DEFAULT");
            }
        }
        String version = quote(TableDef.VERSION_COLUMN);
        insertColumns.add(version);
        selectValues.add("v.ver");
        set.add(version + " = excluded." + version);
        return "INSERT INTO " + t + " AS target (" + insertColumns + ") SELECT " + selectValues + " FROM " + from
                + " WHERE " + noTombstoneAtOrAbove(table) + " ON CONFLICT (" + keyList(table) + ") DO UPDATE SET " + set
                + " WHERE target." + version + " < excluded." + version;
    }

    static String patchSql(TableDef table, List<String> columns) {
        String t = quote(table.name());
        String version = quote(TableDef.VERSION_COLUMN);
        StringJoiner set = new StringJoiner(", ");
        for (int c = 0; c < columns.size(); c++) {
            ColumnDef column = table.column(columns.get(c)).orElseThrow();
            set.add(quote(column.name()) + " = " + cast("v.c" + c, column));
        }
        set.add(version + " = v.ver");
        return "WITH v AS (SELECT * FROM " + rows(table, columns.size(), RowSource.UNNEST) + "), updated AS (UPDATE "
                + t + " AS target SET " + set + " FROM v WHERE " + keyMatch(table) + " AND target." + version
                + " < v.ver RETURNING v.k) SELECT v.k, EXISTS (SELECT 1 FROM " + t + " AS target WHERE "
                + keyMatch(table) + ") OR NOT " + noTombstoneAtOrAbove(table) + " AS superseded FROM v"
                + " WHERE NOT EXISTS (SELECT 1 FROM updated u WHERE u.k = v.k)";
    }

    /**
     * Deletes and raises tombstones; returns the encoded keys whose delete is superseded: the tombstone was already at
     * or above it, or the row is newer than it (it stays; the tombstone still rises to the delete's version).
     */
    static String deleteSql(TableDef table) {
        String t = quote(table.name());
        String version = quote(TableDef.VERSION_COLUMN);
        return "WITH v AS (SELECT * FROM " + rows(table, 0, RowSource.UNNEST) + "), deleted AS (DELETE FROM " + t
                + " AS target USING v WHERE " + keyMatch(table) + " AND target." + version + " < v.ver RETURNING v.k),"
                + " raised AS (INSERT INTO " + TOMBSTONES + " AS ts (table_name, record_key, version) SELECT "
                + literal(table.name()) + ", v.k, v.ver FROM v ON CONFLICT (table_name, record_key) DO UPDATE SET"
                + " version = excluded.version, deleted_at = now() WHERE ts.version < excluded.version"
                + " RETURNING ts.record_key) SELECT v.k FROM v WHERE NOT EXISTS (SELECT 1 FROM raised r WHERE"
                + " r.record_key = v.k) OR (NOT EXISTS (SELECT 1 FROM deleted d WHERE d.k = v.k) AND EXISTS (SELECT 1"
                + " FROM " + t + " AS target WHERE " + keyMatch(table) + " AND target." + version + " >= v.ver))";
    }

    /** The row source {@code v(k, p0.., c0.., ver)}: encoded key, key texts, column texts, version. */
    private static String rows(TableDef table, int columnCount, RowSource source) {
        int keys = table.primaryKey().size();
        StringJoiner names = new StringJoiner(", ", "v(", ")");
        StringJoiner params = new StringJoiner(", ");
        String text = source == RowSource.UNNEST ? "?::text[]" : "?::text";
        names.add("k");
        params.add(text);
        for (int k = 0; k < keys; k++) {
            names.add("p" + k);
            params.add(text);
        }
        for (int c = 0; c < columnCount; c++) {
            names.add("c" + c);
            params.add(text);
        }
        names.add("ver");
        params.add(source == RowSource.UNNEST ? "?::int8[]" : "?::int8");
        return source == RowSource.UNNEST
                ? "unnest(" + params + ") AS " + names
                : "(VALUES (" + params + ")) AS " + names;
    }

    private static String noTombstoneAtOrAbove(TableDef table) {
        return "NOT EXISTS (SELECT 1 FROM " + TOMBSTONES + " ts WHERE ts.table_name = " + literal(table.name())
                + " AND ts.record_key = v.k AND ts.version >= v.ver)";
    }

    private static String keyMatch(TableDef table) {
        StringJoiner match = new StringJoiner(" AND ");
        List<ColumnDef> keyColumns = table.keyColumns();
        for (int k = 0; k < keyColumns.size(); k++) {
            ColumnDef column = keyColumns.get(k);
            match.add("target." + quote(column.name()) + " = v.p" + k + "::"
                    + column.type().sqlName());
        }
        return match.toString();
    }

    private static String keyList(TableDef table) {
        StringJoiner keys = new StringJoiner(", ");
        table.primaryKey().forEach(k -> keys.add(quote(k)));
        return keys.toString();
    }

    /** A text value cast to the column's type; varchar(n) and numeric(p,s) limits apply on assignment. */
    private static String cast(String expression, ColumnDef column) {
        return expression + "::" + column.type().sqlName();
    }

    static String quote(String identifier) {
        return RENDER.render(DSL.name(identifier));
    }

    private static String literal(String plainIdentifier) {
        return RENDER.render(DSL.inline(plainIdentifier));
    }
}
