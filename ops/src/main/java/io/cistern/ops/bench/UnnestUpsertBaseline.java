package io.cistern.ops.bench;

import io.cistern.schema.registry.ColumnDef;
import io.cistern.schema.registry.TableDef;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The PostgreSQL ceiling of the sync scenarios: the same rows upserted by a minimal Java loop, each batch one {@code
 * INSERT ... SELECT ... FROM unnest(text[] ...)} in its own transaction, one thread per connection. The statement is the
 * sync worker's put statement, rendered the same way from the registry's table definition: same table and indexes,
 * same casts, same tombstone {@code NOT EXISTS} and the same version guard on {@code ON CONFLICT DO UPDATE}. What the
 * baseline leaves out is exactly Cistern's own work: reading and decoding the stream, coalescing, the fence check and
 * watermark update in each transaction, acknowledging, and releasing the synced hashes.
 *
 * <p>Thread-safe: each run uses its own connections and threads.
 */
final class UnnestUpsertBaseline {
    /** One transaction's rows: the encoded keys, each key column's text, each column's text, and the versions. */
    record Batch(String[] keys, String[][] keyTexts, String[][] values, Long[] versions) {
        int size() {
            return keys.length;
        }
    }

    private final BenchDatabase database;
    private final String sql;

    UnnestUpsertBaseline(BenchDatabase database, TableDef table, List<String> sortedColumns) {
        this.database = database;
        this.sql = upsertSql(table, sortedColumns);
    }

    String sql() {
        return sql;
    }

    /** A run's elapsed time and where the CPU went meanwhile. */
    record Outcome(long nanos, CpuMeter.Use cpu) {}

    /**
     * Runs each thread's batches on its own connection, all threads at once, and returns the elapsed nanoseconds from
     * the first statement to the last commit. Connections are opened before the clock starts and closed after the CPU
     * is read (an exited backend drops out of the PostgreSQL figure).
     *
     * @param rowsWritten incremented by the rows each statement reports (inserted or updated)
     */
    Outcome run(List<List<Batch>> perThread, AtomicLong rowsWritten, CpuMeter meter) {
        List<Connection> connections = new ArrayList<>();
        ExecutorService threads = Executors.newFixedThreadPool(
                perThread.size(),
                Thread.ofPlatform().name("cistern-bench-baseline-", 0).factory());
        try {
            for (int t = 0; t < perThread.size(); t++) {
                Connection c = database.connect();
                c.setAutoCommit(false);
                connections.add(c);
            }
            CpuMeter.Snapshot before = meter.take();
            long start = System.nanoTime();
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < perThread.size(); t++) {
                Connection c = connections.get(t);
                List<Batch> batches = perThread.get(t);
                done.add(threads.submit(() -> {
                    try (PreparedStatement ps = c.prepareStatement(sql)) {
                        for (Batch b : batches) {
                            int p = 1;
                            ps.setArray(p++, c.createArrayOf("text", b.keys()));
                            for (String[] k : b.keyTexts()) {
                                ps.setArray(p++, c.createArrayOf("text", k));
                            }
                            for (String[] v : b.values()) {
                                ps.setArray(p++, c.createArrayOf("text", v));
                            }
                            ps.setArray(p, c.createArrayOf("int8", b.versions()));
                            rowsWritten.addAndGet(ps.executeUpdate());
                            c.commit();
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
            long elapsed = System.nanoTime() - start;
            return new Outcome(elapsed, meter.since(before));
        } catch (SQLException e) {
            throw new IllegalStateException("bench baseline: " + e.getMessage(), e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("bench baseline: " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("bench baseline interrupted", e);
        } finally {
            threads.shutdownNow();
            for (Connection c : connections) {
                try {
                    c.close();
                } catch (SQLException ignored) {
                    // Closing after the run; nothing to report.
                }
            }
        }
    }

    /**
     * The worker's put statement ({@code RowStatements.upsertSql} with {@code unnest}) for {@code columns} (sorted by
     * name, as the worker orders them): omitted columns are reset to their default, the version column is set, an older
     * or equal version never overwrites a row and never passes a tombstone.
     */
    static String upsertSql(TableDef table, List<String> columns) {
        String t = quote(table.name());
        List<ColumnDef> keyColumns = table.keyColumns();
        StringJoiner insertColumns = new StringJoiner(", ");
        StringJoiner selectValues = new StringJoiner(", ");
        StringJoiner names = new StringJoiner(", ", "v(", ")");
        StringJoiner params = new StringJoiner(", ");
        names.add("k");
        params.add("?::text[]");
        for (int k = 0; k < keyColumns.size(); k++) {
            insertColumns.add(quote(keyColumns.get(k).name()));
            selectValues.add("v.p" + k + "::" + keyColumns.get(k).type().sqlName());
            names.add("p" + k);
            params.add("?::text[]");
        }
        StringJoiner set = new StringJoiner(", ");
        for (int c = 0; c < columns.size(); c++) {
            ColumnDef column = table.column(columns.get(c))
                    .orElseThrow(() -> new IllegalArgumentException("no such column: " + columns));
            insertColumns.add(quote(column.name()));
            selectValues.add("v.c" + c + "::" + column.type().sqlName());
            set.add(quote(column.name()) + " = excluded." + quote(column.name()));
            names.add("c" + c);
            params.add("?::text[]");
        }
        for (ColumnDef column : table.columns()) {
            if (!table.isKeyColumn(column.name()) && !columns.contains(column.name())) {
                set.add(quote(column.name()) + " = DEFAULT");
            }
        }
        String version = quote(TableDef.VERSION_COLUMN);
        insertColumns.add(version);
        selectValues.add("v.ver");
        names.add("ver");
        params.add("?::int8[]");
        set.add(version + " = excluded." + version);
        StringJoiner keyList = new StringJoiner(", ");
        table.primaryKey().forEach(k -> keyList.add(quote(k)));
        return "INSERT INTO " + t + " AS target (" + insertColumns + ") SELECT " + selectValues + " FROM unnest("
                + params + ") AS " + names + " WHERE NOT EXISTS (SELECT 1 FROM cistern_tombstone ts WHERE"
                + " ts.table_name = '" + table.name() + "' AND ts.record_key = v.k AND ts.version >= v.ver)"
                + " ON CONFLICT (" + keyList + ") DO UPDATE SET " + set + " WHERE target." + version
                + " < excluded." + version;
    }

    private static String quote(String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }
}
