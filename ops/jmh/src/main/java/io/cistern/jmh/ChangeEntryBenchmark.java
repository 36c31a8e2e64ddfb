package io.cistern.jmh;

import io.cistern.schema.codec.ChangeEntry;
import io.cistern.schema.codec.ValueCodec;
import io.cistern.schema.registry.TableDef;
import java.util.LinkedHashMap;
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
 * {@link ChangeEntry#fromFields}: the worker decodes every stream entry it reads (the fields as Lettuce hands them over:
 * table, key, operation, version and one {@code c:} field per column).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ChangeEntryBenchmark {
    private Map<String, String> fields;

    @Setup
    public void setUp() {
        TableDef table = Fixtures.table();
        fields = new LinkedHashMap<>();
        fields.put(ChangeEntry.TABLE, Fixtures.TABLE);
        fields.put(ChangeEntry.KEY, Fixtures.key(42).toString());
        fields.put(ChangeEntry.OP, "put");
        fields.put(ChangeEntry.VERSION, "1234567");
        Fixtures.benchColumns(42)
                .forEach((name, value) -> fields.put(
                        ChangeEntry.COLUMN_PREFIX + name,
                        ValueCodec.encode(Fixtures.TABLE, table.column(name).orElseThrow(), value)));
    }

    /** One put entry of the bench payload (4 header fields, 5 columns). */
    @Benchmark
    public ChangeEntry decodePutEntry() {
        return ChangeEntry.fromFields("1795000000123-7", fields);
    }
}
