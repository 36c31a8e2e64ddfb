package io.cistern.sync;

import io.cistern.jmh.Fixtures;
import io.cistern.schema.codec.ChangeEntry;
import io.cistern.schema.codec.Operation;
import io.cistern.schema.codec.ValueCodec;
import io.cistern.schema.registry.TableDef;
import io.cistern.schema.registry.TableRegistry;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The array encoding of a coalesced batch for PostgreSQL (issue 22): what the upsert path ({@code
 * RowStatements.countingUpsert}) does between the plan and {@code executeUpdate}, for the 1,000 upserts of a {@code
 * bench sync-insert} batch. {@code RowStatements.bindArrays} turns the row operations into one array per parameter
 * (encoded keys, the key column, the five columns as {@code text[]}, the versions as {@code int8[]}) with PgJDBC's
 * {@code createArrayOf} and binds them to the statement the worker prepares; nothing is executed, so no round trip is
 * measured. {@code createArrays} is the driver's part of that; {@code binaryArrays} the driver's part of the
 * alternative issue 22 measured, PgJDBC's binary arrays ({@code setObject} of a {@code String[]} or {@code long[]}).
 * Time and {@code -prof gc} allocation are per row ({@link OperationsPerInvocation}).
 *
 * <p>The encodings need a real PgJDBC connection (the encoding depends on the connection's encoding and type
 * cache), so the trial opens one to {@code CISTERN_JMH_JDBC_URL} (default: the local server as {@code postgres}); the
 * statement is only prepared client-side and never sent. {@code bindArrays} is private: the benchmark calls it through
 * a method handle (no wider API in the worker for a benchmark); the package is {@code io.cistern.sync} because the
 * planner and the row operations are package-private.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ArrayEncodingBenchmark {
    static final int ROWS = 1_000;
    private static final String DEFAULT_URL = "jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres";
    private static final MethodHandle BIND_ARRAYS;

    static {
        try {
            BIND_ARRAYS = MethodHandles.privateLookupIn(RowStatements.class, MethodHandles.lookup())
                    .findStatic(
                            RowStatements.class,
                            "bindArrays",
                            MethodType.methodType(void.class, PreparedStatement.class, List.class, List.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private Connection connection;
    private PreparedStatement statement;
    private List<RowOperation> upserts;
    private List<String> columns;
    private String[][] textArrays;
    private Long[] versions;
    private long[] primitiveVersions;

    @Setup(Level.Trial)
    public void setUp() throws SQLException {
        TableDef table = Fixtures.table();
        List<ChangeEntry> entries = new ArrayList<>(ROWS);
        for (int i = 0; i < ROWS; i++) {
            Map<String, String> encoded = new LinkedHashMap<>();
            Fixtures.benchColumns(i)
                    .forEach((name, value) -> encoded.put(
                            name,
                            ValueCodec.encode(Fixtures.TABLE, table.column(name).orElseThrow(), value)));
            entries.add(new ChangeEntry(
                    "1795000000123-" + i, Fixtures.TABLE, Fixtures.key(i).toString(), Operation.PUT, 1 + i, encoded));
        }
        BatchPlan plan = new BatchPlanner(new TableRegistry(4, List.of(table))).plan(entries, 1);
        upserts = plan.operations();
        if (upserts.size() != ROWS
                || upserts.stream().anyMatch(op -> op.kind() != RowOperation.Kind.UPSERT)
                || upserts.stream().map(RowOperation::shape).distinct().count() != 1) {
            throw new IllegalStateException("expected " + ROWS + " upserts of one shape: " + upserts.size());
        }
        // As RowStatements.countingUpsert: the columns sorted, the statement of that shape.
        RowOperation first = upserts.getFirst();
        columns = List.copyOf(new TreeSet<>(first.columns().keySet()));
        String url = System.getenv().getOrDefault("CISTERN_JMH_JDBC_URL", DEFAULT_URL);
        connection = DriverManager.getConnection(url);
        statement = connection.prepareStatement(
                RowStatements.upsertSql(first.table(), columns, RowStatements.RowSource.UNNEST));
        // The same arrays as plain Java, for the driver-only benchmark.
        textArrays = new String[2 + columns.size()][ROWS];
        versions = new Long[ROWS];
        primitiveVersions = new long[ROWS];
        for (int r = 0; r < ROWS; r++) {
            RowOperation op = upserts.get(r);
            textArrays[0][r] = op.key().encoded();
            textArrays[1][r] = op.key().texts().getFirst();
            for (int c = 0; c < columns.size(); c++) {
                textArrays[2 + c][r] = op.columns().get(columns.get(c));
            }
            versions[r] = op.version();
            primitiveVersions[r] = op.version();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws SQLException {
        statement.close();
        connection.close();
    }

    /** The worker's whole encoding: row operations to bound array parameters ({@code bindArrays}). */
    @Benchmark
    @OperationsPerInvocation(ROWS)
    public PreparedStatement bindBatch() throws Throwable {
        BIND_ARRAYS.invokeExact(connection, statement, upserts, columns);
        return statement;
    }

    /**
     * The alternative to {@code createArrayOf}: {@code setObject} of the same seven {@code String[]} and one {@code
     * long[]}, which PgJDBC sends in PostgreSQL's binary array format (no quoting into an array literal here, no parsing
     * of one on the server). Measured in issue 22 and not adopted: no cheaper on either side (docs/benchmarks.md).
     */
    @Benchmark
    @OperationsPerInvocation(ROWS)
    public PreparedStatement binaryArrays() throws SQLException {
        int p = 1;
        for (String[] values : textArrays) {
            statement.setObject(p++, values);
        }
        statement.setObject(p, primitiveVersions);
        return statement;
    }

    /** The driver's part: {@code createArrayOf} of the same seven {@code text[]} and one {@code int8[]}. */
    @Benchmark
    @OperationsPerInvocation(ROWS)
    public void createArrays(Blackhole bh) throws SQLException {
        for (String[] values : textArrays) {
            bh.consume(connection.createArrayOf("text", values));
        }
        Array v = connection.createArrayOf("int8", versions);
        bh.consume(v);
    }
}
