package io.cistern.schema.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cistern.connections.testing.TestDatabase;
import io.cistern.connections.testing.TestRedis;
import io.cistern.schema.failure.PermanentException;
import io.cistern.schema.function.BufferLimits;
import io.cistern.schema.function.FunctionLibrary;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.registry.ColumnDef;
import io.cistern.schema.registry.RedisRegistry;
import io.cistern.schema.registry.SqlType;
import io.cistern.schema.registry.TableDef;
import io.cistern.schema.registry.TableRegistry;
import io.cistern.schema.wire.MetaFields;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

class InitializerIT {
    private TestDatabase db;
    private TestRedis redis;
    private PGSimpleDataSource dataSource;
    private KeyLayout layout;

    @BeforeEach
    void setUp() {
        db = TestDatabase.create(getClass().getSimpleName());
        redis = TestRedis.create(getClass().getSimpleName());
        dataSource = new PGSimpleDataSource();
        dataSource.setURL(db.jdbcUrl());
        layout = new KeyLayout(redis.prefix());
    }

    @AfterEach
    void tearDown() {
        redis.close();
        db.close();
    }

    private Initializer.Report init(InitOptions options) {
        return new Initializer(dataSource, redis.commands()).run(options);
    }

    private List<List<String>> query(String sql) throws SQLException {
        try (Connection c = db.connect();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            List<List<String>> rows = new ArrayList<>();
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                List<String> row = new ArrayList<>();
                for (int i = 1; i <= n; i++) {
                    row.add(rs.getString(i));
                }
                rows.add(row);
            }
            return rows;
        }
    }

    @Test
    void firstRun_createsTheTablesPublishesTheRegistryAndSeedsEveryFloor() throws SQLException {
        // when Cistern is initialised on an empty database and an empty prefix
        Initializer.Report report = init(InitOptions.defaults(layout));

        // then Cistern's tables and the demo tables exist
        assertThat(query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
                        + " ORDER BY 1"))
                .flatExtracting(r -> r)
                .contains("cistern_settings", "cistern_partition", "cistern_table", "source_documents", "entities");
        assertThat(query("SELECT count(*) FROM cistern_partition")).containsExactly(List.of("16"));

        // and the registry in Redis is the one read from the catalog
        TableRegistry loaded = new RedisRegistry(redis.commands(), layout).load();
        assertThat(loaded.partitions()).isEqualTo(16);
        assertThat(loaded.tables()).containsExactlyElementsOf(report.registry().tables());
        TableDef entities = loaded.table("entities").orElseThrow();
        assertThat(entities.primaryKey()).containsExactly("document_uuid", "entity_uuid");
        assertThat(entities.routingColumns()).isEqualTo(1);
        assertThat(entities.parent()).contains("source_documents");
        assertThat(entities.column("confidence").orElseThrow().type()).isEqualTo(SqlType.NUMERIC);
        assertThat(entities.column(TableDef.VERSION_COLUMN)).isEmpty();
        TableDef documents = loaded.table("source_documents").orElseThrow();
        assertThat(documents.column("language")).contains(new ColumnDef("language", SqlType.TEXT, true, false, 16));
        assertThat(documents.column("filename")).contains(new ColumnDef("filename", SqlType.TEXT, false, false, 0));
        assertThat(documents.column("status")).contains(new ColumnDef("status", SqlType.TEXT, false, true, 0));
        assertThat(documents.column("metadata")).contains(new ColumnDef("metadata", SqlType.JSONB, true, false, 0));

        // and the Function library is installed and every partition has its floor
        assertThat(report.libraryRevision()).isEqualTo(FunctionLibrary.REVISION);
        assertThat(FunctionLibrary.installedRevision(redis.commands())).isEqualTo(FunctionLibrary.REVISION);
        assertThat(report.floors()).hasSize(16);
        for (int p = 0; p < 16; p++) {
            assertThat(redis.commands().hget(layout.meta(p), "floor"))
                    .as("floor of partition %d", p)
                    .isEqualTo("0");
            assertThat(redis.commands().hget(layout.meta(p), "t:entities")).isNotNull();
        }
    }

    @Test
    void numericPrecisionAndScale_areReadFromTheCatalogAndPublished() {
        init(InitOptions.defaults(layout));

        var confidence = new RedisRegistry(redis.commands(), layout)
                .load()
                .table("entities")
                .orElseThrow()
                .column("confidence")
                .orElseThrow();

        assertThat(confidence.precision()).isEqualTo(5);
        assertThat(confidence.scale()).isEqualTo(4);
    }

    @Test
    void bufferLimits_areRecordedInPostgreSQL_forWorkersThatRepublishThemAfterRedisDataLoss() {
        assertThat(Initializer.limits(dataSource)).as("before any init").isEqualTo(BufferLimits.DEFAULTS);
        BufferLimits limits = new BufferLimits(5_000, 1L << 30, 4096);

        init(InitOptions.defaults(layout).withLimits(limits));

        assertThat(Initializer.limits(dataSource)).isEqualTo(limits);
    }

    @Test
    void runningInitAgain_keepsTheLimitsAnOperatorChose_andSaysWhatItChanged() {
        BufferLimits chosen = new BufferLimits(5_000, 1L << 30, 4096);
        Initializer.Report first = init(InitOptions.defaults(layout).withLimits(chosen));

        Initializer.Report plain = init(InitOptions.defaults(layout));

        assertThat(first.changed()).hasSize(3);
        assertThat(plain.limits()).isEqualTo(chosen);
        assertThat(plain.changed()).as("a plain re-run changes nothing").isEmpty();
        assertThat(Initializer.limits(dataSource)).isEqualTo(chosen);
        assertThat(redis.commands().hget(layout.meta(5), MetaFields.MAX_BACKLOG))
                .isEqualTo("5000");

        Initializer.Report one = init(InitOptions.defaults(layout)
                .withLimitChanges(new LimitChanges(OptionalLong.of(100), OptionalLong.empty(), OptionalInt.empty())));

        assertThat(one.limits()).isEqualTo(new BufferLimits(100, 1L << 30, 4096));
        assertThat(one.changed()).containsExactly("max backlog per partition: 5000 -> 100");
        assertThat(redis.commands().hget(layout.meta(5), MetaFields.MAX_BACKLOG))
                .isEqualTo("100");
    }

    @Test
    void memoryGuard_autoByDefault_offKeptWhenChosen_andALegacyZeroReadsAsAuto() throws Exception {
        Initializer.Report first = init(InitOptions.defaults(layout));
        assertThat(first.limits().maxRedisMemoryBytes()).isEqualTo(BufferLimits.AUTO_MAX_REDIS_MEMORY);
        assertThat(redis.commands().hget(layout.meta(0), MetaFields.MAX_MEMORY))
                .as("the Function derives it from Redis")
                .isEqualTo("-1");
        assertThat(settingValue("limit.max_memory")).isEqualTo("auto");

        Initializer.Report off = init(InitOptions.defaults(layout)
                .withLimitChanges(new LimitChanges(OptionalLong.empty(), OptionalLong.of(0), OptionalInt.empty())));
        Initializer.Report kept = init(InitOptions.defaults(layout));

        assertThat(off.changed()).containsExactly("max Redis memory bytes: auto -> off");
        assertThat(off.memoryGuard().bounded()).isFalse();
        assertThat(settingValue("limit.max_memory")).isEqualTo("off");
        assertThat(kept.limits().maxRedisMemoryBytes())
                .as("an operator's off is kept")
                .isZero();
        assertThat(redis.commands().hget(layout.meta(0), MetaFields.MAX_MEMORY)).isEqualTo("0");

        // an init before the guard existed recorded 0, its only default
        try (java.sql.Connection c = dataSource.getConnection();
                java.sql.Statement st = c.createStatement()) {
            st.executeUpdate("UPDATE cistern_settings SET value = '0' WHERE name = 'limit.max_memory'");
        }
        assertThat(Initializer.limits(dataSource).maxRedisMemoryBytes()).isEqualTo(BufferLimits.AUTO_MAX_REDIS_MEMORY);
    }

    private String settingValue(String name) throws Exception {
        try (java.sql.Connection c = dataSource.getConnection();
                java.sql.PreparedStatement ps =
                        c.prepareStatement("SELECT value FROM cistern_settings WHERE name = ?")) {
            ps.setString(1, name);
            try (java.sql.ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    @Test
    void runningInitAgainWithoutAPartitionCount_keepsTheRecordedOne() {
        init(InitOptions.defaults(layout).withPartitions(8));

        Initializer.Report again = init(InitOptions.defaults(layout));

        assertThat(again.registry().partitions()).isEqualTo(8);
        assertThat(redis.commands().hget(layout.config(), "partitions")).isEqualTo("8");
    }

    @Test
    void floors_areSeededFromPostgreSQL() {
        init(InitOptions.defaults(layout));
        db.execute("UPDATE cistern_partition SET version_floor = 1000 + partition");
        redis.commands().hdel(layout.meta(3), "floor");

        Initializer.Report report = init(InitOptions.defaults(layout));

        assertThat(report.floors()).containsEntry(3, 1003L).containsEntry(15, 1015L);
        assertThat(redis.commands().hget(layout.meta(3), "floor")).isEqualTo("1003");
        assertThat(redis.commands().hget(layout.meta(15), "floor")).isEqualTo("1015");
    }

    @Test
    void secondRun_changesNothing() throws SQLException {
        Initializer.Report first = init(InitOptions.defaults(layout));
        List<List<String>> tablesBefore = query("SELECT table_name, routing_columns FROM cistern_table ORDER BY 1");
        Map<String, String> metaBefore = redis.commands().hgetall(layout.meta(7));
        List<String> keysBefore = redis.keys().stream().sorted().toList();

        Initializer.Report second = init(InitOptions.defaults(layout));

        assertThat(second.registry().tables())
                .containsExactlyElementsOf(first.registry().tables());
        assertThat(second.floors()).isEqualTo(first.floors());
        assertThat(query("SELECT table_name, routing_columns FROM cistern_table ORDER BY 1"))
                .isEqualTo(tablesBefore);
        assertThat(query("SELECT count(*) FROM cistern_partition")).containsExactly(List.of("16"));
        assertThat(redis.commands().hgetall(layout.meta(7))).isEqualTo(metaBefore);
        assertThat(redis.keys().stream().sorted().toList()).isEqualTo(keysBefore);
    }

    @Test
    void changedPartitionCount_isRefusedWithAClearMessage() {
        init(InitOptions.defaults(layout));

        assertThatThrownBy(() -> init(InitOptions.defaults(layout).withPartitions(8)))
                .isInstanceOfSatisfying(
                        PermanentException.class, e -> assertThat(e.code()).isEqualTo("PARTITIONS_CHANGED"))
                .hasMessageContaining("initialised with 16 partitions, not 8")
                .hasMessageContaining("--partitions 16");
        assertThat(redis.commands().hget(layout.config(), "partitions")).isEqualTo("16");
    }

    @Test
    void redisInitialisedWithAnotherPartitionCount_isRefused() {
        // given a Redis prefix initialised with 16 partitions against another database
        init(InitOptions.defaults(layout));
        try (TestDatabase other = TestDatabase.create("initializerother")) {
            PGSimpleDataSource otherSource = new PGSimpleDataSource();
            otherSource.setURL(other.jdbcUrl());

            assertThatThrownBy(() -> new Initializer(otherSource, redis.commands())
                            .run(InitOptions.defaults(layout).withPartitions(4)))
                    .isInstanceOfSatisfying(
                            PermanentException.class, e -> assertThat(e.code()).isEqualTo("PARTITIONS_CHANGED"))
                    .hasMessageContaining("16 partitions, not 4");
        }
    }

    @Test
    void registeringATableAtRuntime_addsTheVersionColumnAndKeepsExistingRows() throws SQLException {
        // given Cistern is running and an application table with rows exists
        init(InitOptions.defaults(layout));
        db.execute(
                "CREATE TABLE my_table (tenant text, id bigint, note varchar(20), amount numeric NOT NULL,"
                        + " PRIMARY KEY (tenant, id))",
                "INSERT INTO my_table VALUES ('t1', 1, 'first', 1.50), ('t1', 2, NULL, 2)");

        // when it is registered
        Initializer.Report report = init(InitOptions.defaults(layout).withRegister(Map.of("my_table", "")));

        // then it has the version column, with its rows at version 0
        assertThat(query("SELECT data_type, is_nullable, column_default FROM information_schema.columns"
                        + " WHERE table_name = 'my_table' AND column_name = 'cistern_version'"))
                .containsExactly(List.of("bigint", "NO", "0"));
        assertThat(query("SELECT tenant, id, note, amount, cistern_version FROM my_table ORDER BY id"))
                .containsExactly(List.of("t1", "1", "first", "1.50", "0"), Arrays.asList("t1", "2", null, "2", "0"));

        // and it is published, routed by its whole key
        TableDef expected = new TableDef(
                "my_table",
                List.of(
                        new ColumnDef("tenant", SqlType.TEXT, false, false, 0),
                        new ColumnDef("id", SqlType.BIGINT, false, false, 0),
                        new ColumnDef("note", SqlType.TEXT, true, false, 20),
                        new ColumnDef("amount", SqlType.NUMERIC, false, false, 0)),
                List.of("tenant", "id"),
                2,
                Optional.empty());
        assertThat(report.registry().table("my_table")).contains(expected);
        assertThat(new RedisRegistry(redis.commands(), layout).load().table("my_table"))
                .contains(expected);
        assertThat(redis.commands().hget(layout.meta(0), "t:my_table")).isEqualTo("2 2 ,tenant,id,note,amount,");
    }

    @Test
    void registeringRoutedByALeadingColumn_recordsTheRouting() {
        init(InitOptions.defaults(layout));
        db.execute("CREATE TABLE lines (order_id uuid, line integer, PRIMARY KEY (order_id, line))");

        Initializer.Report report = init(InitOptions.defaults(layout).withRegister(Map.of("lines", "order_id")));

        assertThat(report.registry().table("lines").orElseThrow().routingColumns())
                .isEqualTo(1);
    }

    @Test
    void routingByANonKeyColumn_isRefused() {
        init(InitOptions.defaults(layout));
        db.execute("CREATE TABLE lines (order_id uuid, line integer, note text, PRIMARY KEY (order_id, line))");

        assertThatThrownBy(() -> init(InitOptions.defaults(layout).withRegister(Map.of("lines", "note"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'lines'")
                .hasMessageContaining("[order_id, line]");
    }

    @Test
    void unsupportedColumnType_isRefusedNamingTheColumnAndChangesNothing() throws SQLException {
        init(InitOptions.defaults(layout));
        db.execute("CREATE TABLE hosts (id bigint PRIMARY KEY, address inet)");

        assertThatThrownBy(() -> init(InitOptions.defaults(layout).withRegister(Map.of("hosts", ""))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("column 'address' of table 'hosts' has type inet")
                .hasMessageContaining("supported: ");
        assertThat(query("SELECT count(*) FROM information_schema.columns"
                        + " WHERE table_name = 'hosts' AND column_name = 'cistern_version'"))
                .containsExactly(List.of("0"));
        assertThat(query("SELECT count(*) FROM cistern_table WHERE table_name = 'hosts'"))
                .containsExactly(List.of("0"));
        assertThat(new RedisRegistry(redis.commands(), layout).load().table("hosts"))
                .isEmpty();
    }

    @Test
    void unsupportedKeyType_isRefusedNamingTheColumn() {
        init(InitOptions.defaults(layout));
        db.execute("CREATE TABLE readings (at timestamptz PRIMARY KEY, value double precision)");

        assertThatThrownBy(() -> init(InitOptions.defaults(layout).withRegister(Map.of("readings", ""))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("primary-key column 'at' of table 'readings' has type timestamptz");
    }

    @Test
    void tableWithoutPrimaryKey_isRefusedNamingTheTable() {
        init(InitOptions.defaults(layout));
        db.execute("CREATE TABLE audit_log (message text, at timestamptz)");

        assertThatThrownBy(() -> init(InitOptions.defaults(layout).withRegister(Map.of("audit_log", ""))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("table 'audit_log' has no primary key");
    }

    @Test
    void missingTable_isRefusedNamingIt() {
        assertThatThrownBy(() -> init(InitOptions.defaults(layout).withRegister(Map.of("no_such_table", ""))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("table 'no_such_table' does not exist");
    }
}
