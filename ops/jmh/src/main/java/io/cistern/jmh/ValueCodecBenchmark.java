package io.cistern.jmh;

import io.cistern.schema.codec.ValueCodec;
import io.cistern.schema.registry.ColumnDef;
import io.cistern.schema.registry.TableDef;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * {@link ValueCodec}: a producer encodes every column of a write (Java value to canonical JSON text), the worker and the
 * read proxy decode them back. Per record, so the figures compare with the per-entry budgets in docs/benchmarks.md.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ValueCodecBenchmark {
    private TableDef table;
    private List<ColumnDef> benchDefs;
    private List<Object> benchValues;
    private List<String> benchJson;
    private List<ColumnDef> richDefs;
    private List<Object> richValues;
    private List<String> richJson;

    @Setup
    public void setUp() {
        table = Fixtures.table();
        benchDefs = new ArrayList<>();
        benchValues = new ArrayList<>();
        benchJson = new ArrayList<>();
        fill(Fixtures.benchColumns(42), benchDefs, benchValues, benchJson);
        richDefs = new ArrayList<>();
        richValues = new ArrayList<>();
        richJson = new ArrayList<>();
        fill(Fixtures.richColumns(42), richDefs, richValues, richJson);
    }

    private void fill(Map<String, Object> columns, List<ColumnDef> defs, List<Object> values, List<String> json) {
        Map<String, Object> ordered = new LinkedHashMap<>(columns);
        ordered.forEach((name, value) -> {
            ColumnDef def = table.column(name).orElseThrow();
            defs.add(def);
            values.add(value);
            json.add(ValueCodec.encode(table.name(), def, value));
        });
    }

    /** The five columns of a bench put: 3 texts, a bigint, an integer. */
    @Benchmark
    public void encodeBenchRecord(Blackhole bh) {
        for (int i = 0; i < benchDefs.size(); i++) {
            bh.consume(ValueCodec.encode(Fixtures.TABLE, benchDefs.get(i), benchValues.get(i)));
        }
    }

    @Benchmark
    public void decodeBenchRecord(Blackhole bh) {
        for (int i = 0; i < benchDefs.size(); i++) {
            bh.consume(ValueCodec.decode(benchDefs.get(i), benchJson.get(i)));
        }
    }

    /** A numeric, a timestamptz and a jsonb value. */
    @Benchmark
    public void encodeRichColumns(Blackhole bh) {
        for (int i = 0; i < richDefs.size(); i++) {
            bh.consume(ValueCodec.encode(Fixtures.TABLE, richDefs.get(i), richValues.get(i)));
        }
    }

    @Benchmark
    public void decodeRichColumns(Blackhole bh) {
        for (int i = 0; i < richDefs.size(); i++) {
            bh.consume(ValueCodec.decode(richDefs.get(i), richJson.get(i)));
        }
    }
}
