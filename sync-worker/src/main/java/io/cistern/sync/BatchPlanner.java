package io.cistern.sync;

import io.cistern.schema.codec.ChangeEntry;
import io.cistern.schema.registry.ColumnDef;
import io.cistern.schema.registry.TableDef;
import io.cistern.schema.registry.TableRegistry;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Turns the change entries of one partition's batch into a {@link BatchPlan}: decodes keys and values, coalesces per
 * key ({@link Coalescer}) and orders the row operations so that foreign keys hold at every statement and every
 * transaction takes its row locks in one deterministic order (no deadlocks between batches). Pure; thread-safe.
 *
 * <p>Order: patches first (they change rows that exist before the batch), then deletes with children before parents,
 * then upserts with parents before children. A table's depth is the length of its {@link TableDef#parent()} chain;
 * tables of equal depth go by name; keys within a table in primary-key order.
 *
 * <p>An entry is rejected, never sent to the database, when its table or a column is not in the registry, its key is
 * malformed, a value does not fit its column, or it is a patch after a delete of its key in the same batch.
 */
final class BatchPlanner {
    private final TableRegistry registry;
    private final Map<String, Integer> depth = new HashMap<>();
    /** Per table, its non-key columns by name: looked up for every column of every entry. */
    private final Map<String, Map<String, ColumnDef>> valueColumns = new HashMap<>();

    BatchPlanner(TableRegistry registry) {
        this.registry = registry;
        for (TableDef t : registry.tables()) {
            depth.put(t.name(), depthOf(t));
            Map<String, ColumnDef> byName = new HashMap<>();
            for (ColumnDef c : t.columns()) {
                if (!t.isKeyColumn(c.name())) {
                    byName.put(c.name(), c);
                }
            }
            valueColumns.put(t.name(), Map.copyOf(byName));
        }
    }

    /** Plans {@code entries}, in stream order; {@code attempts} is recorded on every rejected entry. */
    BatchPlan plan(List<ChangeEntry> entries, int attempts) {
        List<DeadLetter> rejected = new ArrayList<>();
        boolean byRegistry = false;
        record Group(TableDef table, KeyValues key, List<Coalescer.Prepared> entries) {}
        Map<String, Group> groups = new LinkedHashMap<>();
        for (ChangeEntry e : entries) {
            Optional<TableDef> table = registry.table(e.table());
            if (table.isEmpty()) {
                rejected.add(DeadLetter.of(e, "unknown table '" + e.table() + "'", "", attempts));
                byRegistry = true;
                continue;
            }
            try {
                KeyValues key = KeyValues.decode(table.get(), e.key());
                Map<String, String> columns =
                        RowOperation.owned(sqlColumns(table.get(), valueColumns.get(e.table()), e));
                groups.computeIfAbsent(
                                e.table() + "\u0000" + e.key(), k -> new Group(table.get(), key, new ArrayList<>()))
                        .entries()
                        .add(new Coalescer.Prepared(e, columns));
            } catch (IllegalArgumentException ex) {
                // An unknown column, a key or a value that does not fit its column's type: all judged by the registry.
                rejected.add(DeadLetter.of(e, ex.getMessage(), "", attempts));
                byRegistry = true;
            }
        }
        List<RowOperation> operations = new ArrayList<>(groups.size());
        for (Group g : groups.values()) {
            Coalescer.Result r = Coalescer.coalesce(g.table(), g.key(), g.entries());
            operations.addAll(r.operations());
            for (ChangeEntry absent : r.absentPatches()) {
                rejected.add(DeadLetter.of(absent, DeadLetter.RECORD_ABSENT, "", attempts));
            }
        }
        operations.sort(executionOrder());
        return new BatchPlan(operations, rejected, byRegistry);
    }

    private Comparator<RowOperation> executionOrder() {
        // By kind, then by depth (deletes deepest first), then by table name, then by key; written out rather than
        // chained, since a batch sorts a thousand operations and most pairs differ only in their keys.
        return (a, b) -> {
            int c = Integer.compare(a.kind().ordinal(), b.kind().ordinal());
            if (c != 0) {
                return c;
            }
            String ta = a.table().name();
            String tb = b.table().name();
            if (!ta.equals(tb)) {
                int da = depth.get(ta);
                int db = depth.get(tb);
                c = a.kind() == RowOperation.Kind.DELETE ? Integer.compare(db, da) : Integer.compare(da, db);
                return c != 0 ? c : ta.compareTo(tb);
            }
            return KeyValues.PRIMARY_KEY_ORDER.compare(a.key(), b.key());
        };
    }

    private static LinkedHashMap<String, String> sqlColumns(
            TableDef table, Map<String, ColumnDef> byName, ChangeEntry e) {
        LinkedHashMap<String, String> columns =
                LinkedHashMap.newLinkedHashMap(e.columns().size());
        for (Map.Entry<String, String> c : e.columns().entrySet()) {
            ColumnDef column = byName.get(c.getKey());
            if (column == null) {
                if (table.isKeyColumn(c.getKey())) {
                    continue; // the key travels in the entry's key; a key column in the fields must not change it
                }
                throw new IllegalArgumentException(
                        "unknown column '" + c.getKey() + "' of table '" + table.name() + "'");
            }
            columns.put(column.name(), SqlText.of(table.name(), column, c.getValue()));
        }
        return columns;
    }

    private int depthOf(TableDef table) {
        int d = 0;
        Optional<String> parent = table.parent();
        while (parent.isPresent() && d <= registry.tables().size()) {
            d++;
            parent = registry.table(parent.get()).flatMap(TableDef::parent);
        }
        return d;
    }
}
