package io.cistern.sync;

import io.cistern.schema.registry.TableDef;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * Not a test: a quick timing of the two ways to run a batch's upserts with one rendered statement, on this machine
 * (issue 4: "render once and bind many, or unnest arrays: measure which is faster and keep the faster"). Both run the
 * same version- and tombstone-guarded upsert of {@link RowStatements}; only the row source differs: {@code unnest} of
 * bound {@code text[]} arrays (one execution per batch) or a JDBC batch of one bound row each.
 *
 * <p>Run: {@code java -cp <test classpath> io.cistern.sync.UpsertTimingHarness [rounds]}.
 */
final class UpsertTimingHarness {
    private static final int BATCH = 1_000;

    private UpsertTimingHarness() {}

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        try (SyncFixture fx = new SyncFixture("upserttiming")) {
            TableDef docs = fx.registry.table("source_documents").orElseThrow();
            List<String> columns = List.of("filename", "page_count", "size_bytes", "status");
            long base = 0;
            for (RowStatements.RowSource warm : RowStatements.RowSource.values()) {
                run(fx, docs, columns, warm, 5, base, 1);
                run(fx, docs, columns, warm, 5, base, 2);
                base += 5;
            }
            for (int repeat = 0; repeat < 2; repeat++) {
                for (RowStatements.RowSource source : RowStatements.RowSource.values()) {
                    long insertNanos = run(fx, docs, columns, source, rounds, base, 1);
                    long updateNanos = run(fx, docs, columns, source, rounds, base, 2);
                    base += rounds;
                    System.out.printf(
                            Locale.ROOT,
                            "%-9s inserts %,9.0f rows/s   updates %,9.0f rows/s   (%d batches of %d)%n",
                            source,
                            rounds * BATCH / (insertNanos / 1e9),
                            rounds * BATCH / (updateNanos / 1e9),
                            rounds,
                            BATCH);
                }
            }
        }
    }

    /** Upserts {@code rounds} batches of keys from {@code base} at version {@code pass}: fresh keys insert, known update. */
    private static long run(
            SyncFixture fx,
            TableDef docs,
            List<String> columns,
            RowStatements.RowSource source,
            int rounds,
            long base,
            int pass)
            throws Exception {
        String sql = RowStatements.upsertSql(docs, columns, source);
        long elapsed = 0;
        for (int r = 0; r < rounds; r++) {
            List<String[]> rows = new ArrayList<>(BATCH);
            for (int i = 0; i < BATCH; i++) {
                String key = new UUID(base + r, i).toString();
                rows.add(new String[] {key, key, "file-" + i + ".pdf", Integer.toString(i), "12345", "done"});
            }
            rows.sort((a, b) -> a[0].compareTo(b[0]));
            try (Connection c = fx.dataSource.getConnection()) {
                c.setAutoCommit(false);
                long start = System.nanoTime();
                try (PreparedStatement ps = c.prepareStatement(sql)) {
                    if (source == RowStatements.RowSource.UNNEST) {
                        for (int col = 0; col < 6; col++) {
                            String[] values = new String[BATCH];
                            for (int i = 0; i < BATCH; i++) {
                                values[i] = rows.get(i)[col];
                            }
                            ps.setArray(col + 1, c.createArrayOf("text", values));
                        }
                        Long[] versions = new Long[BATCH];
                        java.util.Arrays.fill(versions, (long) pass);
                        ps.setArray(7, c.createArrayOf("int8", versions));
                        ps.executeUpdate();
                    } else {
                        for (String[] row : rows) {
                            for (int col = 0; col < 6; col++) {
                                ps.setString(col + 1, row[col]);
                            }
                            ps.setLong(7, pass);
                            ps.addBatch();
                        }
                        ps.executeBatch();
                    }
                }
                c.commit();
                elapsed += System.nanoTime() - start;
            }
        }
        return elapsed;
    }
}
