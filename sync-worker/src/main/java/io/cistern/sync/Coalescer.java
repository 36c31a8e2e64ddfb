package io.cistern.sync;

import io.cistern.schema.codec.ChangeEntry;
import io.cistern.schema.codec.Operation;
import io.cistern.schema.registry.TableDef;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reduces the change entries of one key in a batch to at most two row operations (DESIGN.md 3.3). Pure: no I/O, no
 * state; thread-safe.
 *
 * <p>Entries are taken in version order (duplicates of a version count once):
 *
 * <ul>
 *   <li>Leading patches, before any put or delete of the key in the batch, change the row in the database: they merge
 *       into one {@link RowOperation.Kind#PATCH} whose existence check runs against the database, so a patch of a
 *       record that is not there is dead-lettered as "record absent" even when a put follows in the same batch.
 *   <li>From the first put or delete on, the batch itself is the base: a put starts a whole record, a patch merges
 *       onto it, a delete drops it, and a patch after a delete is a patch of an absent record (rejected here).
 * </ul>
 *
 * The applier runs every {@code PATCH} before every {@code DELETE} and {@code UPSERT}, so the two operations of a key
 * apply in the order of their entries.
 */
final class Coalescer {
    private Coalescer() {}

    /** The row operations of one key, and the patches rejected as patches of an absent record. */
    record Result(List<RowOperation> operations, List<ChangeEntry> absentPatches) {}

    /**
     * Coalesces {@code entries}, all of {@code key} in {@code table}, whose column values are already SQL texts.
     */
    static Result coalesce(TableDef table, KeyValues key, List<Prepared> entries) {
        if (entries.size() == 1) {
            // The common case, one entry for its key in the batch: its own operation, nothing merged or copied.
            Prepared p = entries.getFirst();
            ChangeEntry e = p.entry();
            RowOperation.Kind kind = switch (e.op()) {
                case PATCH -> RowOperation.Kind.PATCH;
                case PUT -> RowOperation.Kind.UPSERT;
                case DELETE -> RowOperation.Kind.DELETE;
            };
            Map<String, String> columns = kind == RowOperation.Kind.DELETE ? Map.of() : p.columns();
            return new Result(List.of(new RowOperation(table, key, kind, e.version(), columns, List.of(e))), List.of());
        }
        List<Prepared> ordered = new ArrayList<>(entries);
        ordered.sort(Comparator.comparingLong(p -> p.entry().version()));
        List<RowOperation> operations = new ArrayList<>(2);
        List<ChangeEntry> absent = new ArrayList<>();

        int i = 0;
        LinkedHashMap<String, String> patched = new LinkedHashMap<>();
        List<ChangeEntry> leading = new ArrayList<>();
        long lastVersion = Long.MIN_VALUE;
        for (; i < ordered.size() && ordered.get(i).entry().op() == Operation.PATCH; i++) {
            Prepared p = ordered.get(i);
            if (p.entry().version() == lastVersion) {
                continue;
            }
            lastVersion = p.entry().version();
            patched.putAll(p.columns());
            leading.add(p.entry());
        }
        if (!leading.isEmpty()) {
            operations.add(new RowOperation(
                    table,
                    key,
                    RowOperation.Kind.PATCH,
                    leading.getLast().version(),
                    RowOperation.owned(patched),
                    leading));
        }

        RowOperation.Kind kind = null;
        LinkedHashMap<String, String> record = new LinkedHashMap<>();
        List<ChangeEntry> rest = new ArrayList<>();
        for (; i < ordered.size(); i++) {
            Prepared p = ordered.get(i);
            ChangeEntry e = p.entry();
            if (e.version() == lastVersion) {
                continue;
            }
            lastVersion = e.version();
            switch (e.op()) {
                case PUT -> {
                    kind = RowOperation.Kind.UPSERT;
                    record = new LinkedHashMap<>(p.columns());
                    rest.add(e);
                }
                case DELETE -> {
                    kind = RowOperation.Kind.DELETE;
                    record = new LinkedHashMap<>();
                    rest.add(e);
                }
                case PATCH -> {
                    if (kind == RowOperation.Kind.DELETE) {
                        absent.add(e);
                    } else {
                        record.putAll(p.columns());
                        rest.add(e);
                    }
                }
            }
        }
        if (kind != null) {
            operations.add(
                    new RowOperation(table, key, kind, rest.getLast().version(), RowOperation.owned(record), rest));
        }
        return new Result(List.copyOf(operations), List.copyOf(absent));
    }

    /**
     * A change entry whose column values are converted to SQL texts.
     *
     * @param entry the entry
     * @param columns its columns, name to SQL text ({@code null} for NULL), in write order
     */
    record Prepared(ChangeEntry entry, Map<String, String> columns) {}
}
