package io.cistern.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cistern.connections.RedisSettings;
import io.cistern.connections.testing.TestDatabase;
import io.cistern.connections.testing.TestRedis;
import io.cistern.schema.codec.ValueCodec;
import io.cistern.schema.failure.InvalidRecordException;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.registry.TableDef;
import io.cistern.writer.RecordKey;
import io.cistern.writer.RecordWriter;
import io.cistern.writer.WriteReceipt;
import io.cistern.writer.WriterSettings;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code ops/cistern init --table}: a table created at runtime becomes writable with no code change. */
class InitCommandIT {
    private TestRedis redis;
    private TestDatabase database;

    @BeforeEach
    void setUp() {
        redis = TestRedis.create("InitCommandIT");
        database = TestDatabase.create("InitCommandIT");
    }

    @AfterEach
    void tearDown() {
        redis.close();
        database.close();
    }

    @Test
    void tableCreatedAtRuntime_isRegisteredByInit_andAcceptsWrites() throws Exception {
        assertThat(cli("init")).as("first init").isZero();
        database.execute(
                "CREATE TABLE invoices (invoice_no bigint PRIMARY KEY, customer text NOT NULL, total numeric(12,2))",
                "INSERT INTO invoices VALUES (1, 'existing', 10.00)");

        StringWriter out = new StringWriter();
        int code = cli(out, "init", "--table", "invoices");

        assertThat(code).isZero();
        assertThat(out.toString()).contains("invoices").contains("key [invoice_no]");
        try (Connection c = database.connect();
                ResultSet rs =
                        c.createStatement().executeQuery("SELECT cistern_version FROM invoices WHERE invoice_no = 1")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getLong(1)).as("existing rows count as version 0").isZero();
        }
        try (RecordWriter writer = RecordWriter.connect(
                WriterSettings.of(redis.url()).mutate().prefix(redis.prefix()).build())) {
            WriteReceipt receipt = writer.put(
                    "invoices", RecordKey.of(42L), Map.of("customer", "ACME", "total", new BigDecimal("99.90")));
            TableDef invoices = writer.registry().table("invoices").orElseThrow();
            Map<String, String> hash =
                    redis.commands().hgetall(redis.prefix() + ":{" + receipt.partition() + "}:r:invoices:42");
            assertThat(ValueCodec.decode(invoices.column("total").orElseThrow(), hash.get("c:total")))
                    .isEqualTo(new BigDecimal("99.90"));
            assertThat(receipt.version()).isPositive();
        }
    }

    @Test
    void runningWriter_picksUpATableRegisteredAfterItStarted_withoutARestart() {
        assertThat(cli("init")).isZero();
        database.execute("CREATE TABLE tags (tag text PRIMARY KEY, color text)");
        WriterSettings settings =
                new WriterSettings(RedisSettings.of(redis.url()), new KeyLayout(redis.prefix()), Duration.ZERO);
        try (RecordWriter writer = RecordWriter.connect(settings)) {
            assertThatThrownBy(() -> writer.put("tags", RecordKey.of("urgent"), Map.of("color", "red")))
                    .isInstanceOfSatisfying(
                            InvalidRecordException.class,
                            e -> assertThat(e.reason()).isEqualTo(InvalidRecordException.Reason.UNKNOWN_TABLE));

            assertThat(cli("init", "--table", "tags")).isZero();

            WriteReceipt receipt = writer.put("tags", RecordKey.of("urgent"), Map.of("color", "red"));
            assertThat(receipt.key()).isEqualTo("urgent");
        }
    }

    @Test
    void init_namesTheCheckConstraintsItLeavesToPostgres_andTheWriterJudgesTheOthers() {
        assertThat(cli("init")).isZero();
        database.execute("CREATE TABLE shipments (id bigint PRIMARY KEY, state text CHECK (state IN ('open', 'sent')),"
                + " shipped date, delivered date, CONSTRAINT delivered_after_shipped CHECK (delivered >= shipped))");

        StringWriter out = new StringWriter();
        assertThat(cli(out, "init", "--table", "shipments")).isZero();

        assertThat(out.toString())
                .contains("CHECK delivered_after_shipped not understood by Cistern")
                .contains("(delivered >= shipped)")
                .doesNotContain("shipments_state_check");
        try (RecordWriter writer = RecordWriter.connect(
                WriterSettings.of(redis.url()).mutate().prefix(redis.prefix()).build())) {
            assertThatThrownBy(() -> writer.put("shipments", RecordKey.of(1L), Map.of("state", "lost")))
                    .isInstanceOf(InvalidRecordException.class)
                    .hasMessageContaining("state IN ('open', 'sent')");
        }
    }

    @Test
    void registeringAMissingTable_failsWithAMessageNamingIt() {
        StringWriter err = new StringWriter();

        int code = cli(new StringWriter(), err, "init", "--table", "no_such_table");

        assertThat(code).isEqualTo(1);
        assertThat(err.toString()).contains("no_such_table").contains("does not exist");
    }

    @Test
    void routeByAColumnOutsideTheKey_isRefused() {
        database.execute(
                "CREATE TABLE lines (order_id bigint, line_no int, sku text, PRIMARY KEY (order_id, line_no))");
        StringWriter err = new StringWriter();

        int code = cli(new StringWriter(), err, "init", "--table", "lines", "--route-by", "sku");

        assertThat(code).isEqualTo(1);
        assertThat(err.toString()).contains("--route-by sku").contains("[order_id, line_no]");
    }

    private int cli(String... args) {
        return cli(new StringWriter(), args);
    }

    private int cli(StringWriter out, String... args) {
        return cli(out, new StringWriter(), args);
    }

    private int cli(StringWriter out, StringWriter err, String... args) {
        String[] all = new String[args.length + 6];
        System.arraycopy(args, 0, all, 0, args.length);
        all[args.length] = "--redis-url";
        all[args.length + 1] = redis.url();
        all[args.length + 2] = "--database-url";
        all[args.length + 3] = database.jdbcUrl();
        all[args.length + 4] = "--prefix";
        all[args.length + 5] = redis.prefix();
        return CisternCli.commandLine()
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .execute(all);
    }
}
