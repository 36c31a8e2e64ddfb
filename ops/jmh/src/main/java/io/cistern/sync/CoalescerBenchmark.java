package io.cistern.sync;

import io.cistern.jmh.Fixtures;
import io.cistern.schema.codec.ChangeEntry;
import io.cistern.schema.codec.Operation;
import io.cistern.schema.codec.ValueCodec;
import io.cistern.schema.registry.TableDef;
import io.cistern.schema.registry.TableRegistry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The sync worker's pure planning path: {@link Coalescer#coalesce} for one key, and {@link BatchPlanner#plan} for a
 * whole 1,000-entry batch (decode keys, convert values to SQL texts, coalesce, order). In the package {@code
 * io.cistern.sync} because both classes are package-private; this module is never on the worker's classpath.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class CoalescerBenchmark {
    private TableDef table;
    private KeyValues key;
    private List<Coalescer.Prepared> onePut;
    private List<Coalescer.Prepared> fourWrites;
    private BatchPlanner planner;
    private List<ChangeEntry> insertBatch;
    private List<ChangeEntry> updateBatch;

    @Setup
    public void setUp() {
        table = Fixtures.table();
        key = KeyValues.decode(table, Fixtures.key(1).toString());
        onePut = List.of(prepared(entry(1, 1, Operation.PUT)));
        // A hot key written four times in one batch: put, patch, put, patch.
        fourWrites = List.of(
                prepared(entry(1, 1, Operation.PUT)),
                prepared(entry(1, 2, Operation.PATCH)),
                prepared(entry(1, 3, Operation.PUT)),
                prepared(entry(1, 4, Operation.PATCH)));
        planner = new BatchPlanner(new TableRegistry(4, List.of(table)));
        insertBatch = new ArrayList<>();
        updateBatch = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) {
            insertBatch.add(entry(i, 1, Operation.PUT));
            // sync-update's shape: 500 hot keys, each written twice in the batch.
            updateBatch.add(entry(i % 500, 1 + i / 500, Operation.PUT));
        }
    }

    private ChangeEntry entry(int k, long version, Operation op) {
        Map<String, String> columns = new LinkedHashMap<>();
        Fixtures.benchColumns(k)
                .forEach((name, value) -> columns.put(
                        name,
                        ValueCodec.encode(Fixtures.TABLE, table.column(name).orElseThrow(), value)));
        return new ChangeEntry(
                "1795000000123-" + (k * 10 + version),
                Fixtures.TABLE,
                Fixtures.key(k).toString(),
                op,
                version,
                columns);
    }

    private static Coalescer.Prepared prepared(ChangeEntry e) {
        // The SQL texts of these columns equal their JSON texts minus the quotes; their exact form does not matter
        // here.
        Map<String, String> texts = new LinkedHashMap<>();
        e.columns().forEach((name, json) -> texts.put(name, json.replace("\"", "")));
        return new Coalescer.Prepared(e, texts);
    }

    @Benchmark
    public Coalescer.Result coalesceOnePut() {
        return Coalescer.coalesce(table, key, onePut);
    }

    @Benchmark
    public Coalescer.Result coalesceFourWritesOfAHotKey() {
        return Coalescer.coalesce(table, key, fourWrites);
    }

    /** A sync-insert batch: 1,000 new keys. */
    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public BatchPlan planInsertBatchOf1000() {
        return planner.plan(insertBatch, 1);
    }

    /** A sync-update batch: 1,000 puts over 500 hot keys. */
    @Benchmark
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public BatchPlan planUpdateBatchOf1000() {
        return planner.plan(updateBatch, 1);
    }
}
