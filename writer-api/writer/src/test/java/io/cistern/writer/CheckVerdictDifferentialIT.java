package io.cistern.writer;

import static org.assertj.core.api.Assertions.assertThat;

import io.cistern.connections.testing.TestDatabase;
import io.cistern.connections.testing.TestRedis;
import io.cistern.schema.failure.InvalidRecordException;
import io.cistern.schema.failure.InvalidRecordException.Reason;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.postgres.InitOptions;
import io.cistern.schema.postgres.Initializer;
import io.cistern.schema.registry.CheckConstraint;
import io.cistern.schema.registry.TableDef;
import io.cistern.schema.registry.TableRegistry;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.ScriptOutputType;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The writer's CHECK verdict against PostgreSQL's: random rows, each judged by the writer (the registry as {@code init}
 * read it from the catalog) and by an {@code INSERT} rolled back to a savepoint; the two must agree on every row. The
 * Function library judges some forms too ({@code FunctionChecks}): on a table of only those, its verdict must be the
 * same; on the other, what it refuses PostgreSQL must refuse. The seed is in the failure message.
 */
class CheckVerdictDifferentialIT {
    private static final String TABLE = "checked";
    private static final int ROWS = 3_000;
    private static final String DDL = """
            CREATE TABLE checked (
                id text PRIMARY KEY CONSTRAINT id_short CHECK (length(id) <= 6),
                status text CONSTRAINT status_known CHECK (status IN ('new', 'done', 'it''s')),
                code varchar(8) CONSTRAINT code_allowed CHECK (code NOT IN ('x', 'y')),
                n integer CONSTRAINT n_range CHECK (n BETWEEN -5 AND 10),
                big bigint CONSTRAINT big_range CHECK (big <> -1 AND big > -9000000000000000000),
                amount numeric(8, 3) CONSTRAINT amount_range CHECK (amount > 0 AND amount <= 99.5),
                small smallint CONSTRAINT small_in CHECK (small IN (1, 2, 3)),
                name text CONSTRAINT name_short CHECK (char_length(name) < 4),
                owner text CONSTRAINT owner_given CHECK (owner IS NOT NULL),
                label text CONSTRAINT label_is_a CHECK ('a' = label),
                a integer,
                b integer,
                CONSTRAINT a_below_b CHECK (a < b)
            )""";
    /** Only conditions the Function library judges too: its verdict must be the writer's and PostgreSQL's. */
    private static final String LUA_TABLE = "judged_in_lua";

    private static final String LUA_DDL = """
            CREATE TABLE judged_in_lua (
                id text PRIMARY KEY,
                status text CONSTRAINT status_known CHECK (status IN ('new', 'done', 'it''s')),
                code varchar(8) CONSTRAINT code_allowed CHECK (code NOT IN ('x', 'y')),
                n integer CONSTRAINT n_range CHECK (n BETWEEN -5 AND 10),
                big bigint CONSTRAINT big_range CHECK (big <> -1 AND big > -900000000000000),
                small smallint CONSTRAINT small_in CHECK (small IN (1, 2, 3)),
                owner text CONSTRAINT owner_given CHECK (owner IS NOT NULL),
                label text CONSTRAINT label_is_a CHECK ('a' = label)
            )""";
    /** Each column's SQL type, for the INSERT's casts. */
    private static final Map<String, String> TYPES = Map.of(
            "status", "text",
            "code", "varchar(8)",
            "n", "integer",
            "big", "bigint",
            "amount", "numeric(8, 3)",
            "small", "smallint",
            "name", "text",
            "owner", "text",
            "label", "text");

    private static TestDatabase db;
    private static TestRedis redis;
    private static TableRegistry registry;

    @BeforeAll
    static void register() {
        db = TestDatabase.create(CheckVerdictDifferentialIT.class.getSimpleName());
        db.execute(DDL, LUA_DDL);
        redis = TestRedis.create(CheckVerdictDifferentialIT.class.getSimpleName());
        PGSimpleDataSource dataSource = new PGSimpleDataSource();
        dataSource.setURL(db.jdbcUrl());
        registry = new Initializer(dataSource, redis.commands())
                .run(InitOptions.defaults(new KeyLayout(redis.prefix())).withRegister(Map.of(TABLE, "", LUA_TABLE, "")))
                .registry();
    }

    @AfterAll
    static void drop() {
        redis.close();
        db.close();
    }

    @Test
    void registry_judgesTheSimpleConstraints_andLeavesTheTwoColumnOneToPostgres() {
        TableDef table = registry.table(TABLE).orElseThrow();

        Map<String, Boolean> understood =
                table.checks().stream().collect(Collectors.toMap(CheckConstraint::name, CheckConstraint::understood));

        assertThat(understood)
                .containsEntry("a_below_b", false)
                .containsEntry("id_short", true)
                .containsEntry("status_known", true)
                .containsEntry("code_allowed", true)
                .containsEntry("n_range", true)
                .containsEntry("big_range", true)
                .containsEntry("amount_range", true)
                .containsEntry("small_in", true)
                .containsEntry("name_short", true)
                .containsEntry("owner_given", true)
                .containsEntry("label_is_a", true);
    }

    @Test
    void randomRows_ofConditionsTheFunctionJudges_getTheSameVerdictFromWriterFunctionAndPostgres() throws SQLException {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        WriteEncoder encoder = new WriteEncoder(new KeyLayout(redis.prefix()), 1 << 20);
        int refused = 0;
        try (Connection c = db.connect()) {
            c.setAutoCommit(false);
            for (int i = 0; i < ROWS; i++) {
                String id = text(random, 1, 8, "a", "b", "é", "😀", "%", ",");
                Map<String, Object> row = row(random, LUA_TABLE);
                boolean writerRefuses = writerRefuses(encoder, LUA_TABLE, id, row);
                boolean functionRefuses = functionRefuses(encoder, LUA_TABLE, id, row);
                boolean postgresRefuses = postgresRefuses(c, LUA_TABLE, id, row);

                assertThat(List.of(writerRefuses, functionRefuses))
                        .as(
                                "seed %d, row %d: id '%s', %s; PostgreSQL %s (writer, Function)",
                                seed, i, id, row, postgresRefuses ? "refuses" : "accepts")
                        .containsExactly(postgresRefuses, postgresRefuses);
                refused += writerRefuses ? 1 : 0;
            }
            c.rollback();
        }
        assertThat(refused).as("refused rows of %d", ROWS).isBetween(ROWS / 10, ROWS - ROWS / 10);
    }

    @Test
    void randomRows_getTheSameVerdictFromTheWriterAndFromPostgres() throws SQLException {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        WriteEncoder encoder = new WriteEncoder(new KeyLayout(redis.prefix()), 1 << 20);
        int refused = 0;
        try (Connection c = db.connect()) {
            c.setAutoCommit(false);
            for (int i = 0; i < ROWS; i++) {
                String id = text(random, 1, 8, "a", "b", "é", "😀", "%", ",");
                Map<String, Object> row = row(random, TABLE);
                boolean writerRefuses = writerRefuses(encoder, TABLE, id, row);
                boolean postgresRefuses = postgresRefuses(c, TABLE, id, row);
                // The Function judges only some of these conditions: what it refuses, PostgreSQL refuses.
                if (functionRefuses(encoder, TABLE, id, row)) {
                    assertThat(postgresRefuses)
                            .as("seed %d, row %d: the Function refuses id '%s', %s", seed, i, id, row)
                            .isTrue();
                }

                assertThat(writerRefuses)
                        .as(
                                "seed %d, row %d: id '%s', %s; PostgreSQL %s",
                                seed, i, id, row, postgresRefuses ? "refuses" : "accepts")
                        .isEqualTo(postgresRefuses);
                refused += writerRefuses ? 1 : 0;
            }
            c.rollback();
        }
        assertThat(refused).as("refused rows of %d", ROWS).isBetween(ROWS / 10, ROWS - ROWS / 10);
    }

    private static boolean writerRefuses(WriteEncoder encoder, String table, String id, Map<String, Object> row) {
        try {
            encoder.encode(registry, Write.put(table, RecordKey.of(id), row));
            return false;
        } catch (InvalidRecordException e) {
            assertThat(e.reason()).as(e.getMessage()).isEqualTo(Reason.CHECK_VIOLATION);
            return true;
        }
    }

    /** The Function's verdict on the same put, sent as the writer would send it had it no CHECK to judge. */
    private static boolean functionRefuses(WriteEncoder encoder, String table, String id, Map<String, Object> row) {
        TableDef def = registry.table(table).orElseThrow();
        TableRegistry unchecked = new TableRegistry(
                registry.partitions(),
                List.of(new TableDef(def.name(), def.columns(), def.primaryKey(), def.routingColumns(), def.parent())));
        EncodedWrite w = encoder.encode(unchecked, Write.put(table, RecordKey.of(id), row));
        try {
            redis.commands().fcall(w.function(), ScriptOutputType.MULTI, w.keys(), w.args());
            return false;
        } catch (RedisCommandExecutionException e) {
            assertThat(e.getMessage()).startsWith("CISTERN_CHECK");
            return true;
        }
    }

    private static boolean postgresRefuses(Connection c, String table, String id, Map<String, Object> row)
            throws SQLException {
        List<String> columns = new ArrayList<>(row.keySet());
        String sql = "INSERT INTO " + table + " (id"
                + columns.stream().map(col -> ", " + col).collect(Collectors.joining())
                + ") VALUES (?"
                + columns.stream()
                        .map(col -> ", CAST(? AS " + TYPES.get(col) + ")")
                        .collect(Collectors.joining())
                + ")";
        Savepoint savepoint = c.setSavepoint();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, id);
            for (int i = 0; i < columns.size(); i++) {
                Object value = row.get(columns.get(i));
                ps.setString(
                        i + 2,
                        value instanceof BigDecimal d ? d.toPlainString() : value == null ? null : value.toString());
            }
            ps.executeUpdate();
            return false;
        } catch (SQLException e) {
            if (!"23514".equals(e.getSQLState())) {
                throw e;
            }
            return true;
        } finally {
            c.rollback(savepoint);
        }
    }

    /** A row: each column absent (a put leaves it NULL: no column here has a default), NULL, or a value near its limits. */
    private static Map<String, Object> row(Random random, String table) {
        Map<String, Function<Random, Object>> values = new LinkedHashMap<>();
        values.put("status", r -> pick(r, "new", "done", "it's", "New", "new ", "lost", "", "dön"));
        values.put("code", r -> pick(r, "x", "y", "z", "X", "xx", "", "é"));
        values.put("n", r -> r.nextInt(-8, 14));
        if (table.equals(LUA_TABLE)) {
            // within the 15 digits the Function reads exactly
            values.put(
                    "big",
                    r -> pick(
                            r,
                            -1L,
                            0L,
                            -900_000_000_000_000L,
                            -900_000_000_000_001L,
                            -899_999_999_999_999L,
                            r.nextLong(-999_999_999_999_999L, 1_000_000_000_000_000L)));
        } else {
            values.put(
                    "big",
                    r -> pick(
                            r,
                            -1L,
                            0L,
                            1L,
                            Long.MAX_VALUE,
                            -9_000_000_000_000_000_000L,
                            -9_000_000_000_000_000_001L,
                            -8_999_999_999_999_999_999L,
                            r.nextLong()));
        }
        values.put(
                "amount",
                r -> r.nextInt(4) == 0
                        ? pick(
                                r,
                                new BigDecimal("99.5"),
                                new BigDecimal("99.500"),
                                new BigDecimal("99.501"),
                                BigDecimal.ZERO,
                                new BigDecimal("0.001"),
                                new BigDecimal("-0.001"))
                        : BigDecimal.valueOf(r.nextLong(-2_000, 101_000), 3));
        values.put("small", r -> (short) r.nextInt(-1, 6));
        values.put("name", r -> text(r, 0, 5, "a", "é", "😀", "ß", " "));
        values.put("owner", r -> "o");
        values.put("label", r -> pick(r, "a", "b", "A", "a "));
        Map<String, Object> valid = Map.of(
                "status", "done",
                "code", "z",
                "n", 0,
                "big", 0L,
                "amount", BigDecimal.ONE,
                "small", (short) 2,
                "name", "abc",
                "owner", "o",
                "label", "a");
        // Mostly valid columns, so that about half the rows pass: one bad column refuses a row.
        if (table.equals(LUA_TABLE)) {
            values.keySet().retainAll(List.of("status", "code", "n", "big", "small", "owner", "label"));
        }
        Map<String, Object> row = new LinkedHashMap<>();
        values.forEach((column, value) -> {
            int roll = random.nextInt(40);
            if (roll == 0) {
                row.put(column, null);
            } else if (roll < 8) {
                row.put(column, value.apply(random));
            } else if (roll > 8) {
                row.put(column, valid.get(column));
            } // else absent
        });
        return row;
    }

    @SafeVarargs
    private static <T> T pick(Random random, T... choices) {
        return choices[random.nextInt(choices.length)];
    }

    private static String text(Random random, int min, int max, String... pieces) {
        int length = random.nextInt(min, max + 1);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < length; i++) {
            b.append(pick(random, pieces));
        }
        return b.toString();
    }
}
