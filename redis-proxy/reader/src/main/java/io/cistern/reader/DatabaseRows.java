package io.cistern.reader;

import static org.jooq.impl.DSL.field;
import static org.jooq.impl.DSL.name;
import static org.jooq.impl.DSL.table;

import io.cistern.schema.codec.ValueCodec;
import io.cistern.schema.keys.KeyEncoding;
import io.cistern.schema.registry.ColumnDef;
import io.cistern.schema.registry.TableDef;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.jooq.Condition;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.JSON;
import org.jooq.JSONB;
import org.jooq.Record;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;

/**
 * Reads records from PostgreSQL with jOOQ: one query per batch of keys of one table for the rows (their columns as
 * canonical JSON, and {@code cistern_version}), and for the keys with no row one query of the tombstones, for the
 * version of their delete. Blocking; thread-safe (a connection per call from the pool).
 */
final class DatabaseRows {
    /** A row: its {@code cistern_version} and its columns as canonical JSON, in column order. */
    record Row(long version, Map<String, String> columns) {}

    /** The rows found, by encoded key, and for keys with no row the version of their tombstone, if any. */
    record Rows(Map<String, Row> rows, Map<String, Long> tombstones) {}

    private static final Field<String> TOMBSTONE_TABLE = field(name("table_name"), SQLDataType.VARCHAR);
    private static final Field<String> TOMBSTONE_KEY = field(name("record_key"), SQLDataType.VARCHAR);
    private static final Field<Long> TOMBSTONE_VERSION = field(name("version"), SQLDataType.BIGINT);
    private static final Field<Long> VERSION = field(name(TableDef.VERSION_COLUMN), SQLDataType.BIGINT);

    /**
     * How much longer than the query timeout a read waits for any answer before its connection is abandoned: time for
     * the server's cancellation (the query timeout) to come back on a live path, so that a slow database costs a
     * cancelled query, not a connection.
     */
    static final Duration DEAD_PATH_MARGIN = Duration.ofSeconds(1);

    private final DataSource dataSource;
    private final int queryTimeoutSeconds;
    /**
     * The connection's network timeout during a read. The query timeout alone does not end a read on a dead path:
     * pgjdbc sends the cancel on a new connection, and the answer would come back on the dead one. Without this bound
     * the read would hold its bulkhead slot and its connection until the driver's socket timeout (a minute), long
     * after the path came back; with it, pgjdbc closes the socket, the pool evicts the connection (SQLSTATE 08006) and
     * the slot is free again.
     */
    private final int networkTimeoutMillis;

    DatabaseRows(DataSource dataSource, Duration timeout) {
        this.dataSource = dataSource;
        this.queryTimeoutSeconds = (int) Math.max(1, (timeout.toMillis() + 999) / 1000);
        this.networkTimeoutMillis =
                (int) Math.min(Integer.MAX_VALUE, queryTimeoutSeconds * 1000L + DEAD_PATH_MARGIN.toMillis());
    }

    /**
     * Renders each table's query once, without a database: jOOQ's first query in a process loads and initialises
     * hundreds of classes, which on a busy machine can take longer than a read may wait.
     */
    static void warmUp(Collection<TableDef> tables) {
        DSLContext sql = DSL.using(SQLDialect.POSTGRES);
        for (TableDef table : tables) {
            List<Field<?>> select = new ArrayList<>();
            for (ColumnDef c : table.columns()) {
                select.add(fetchField(c));
            }
            select.add(VERSION);
            List<String> parts = table.primaryKey().stream().map(k -> "0").toList();
            sql.select(select)
                    .from(table(name(table.name())))
                    .where(keyCondition(table.keyColumns(), List.of(KeyEncoding.encode(parts))))
                    .getSQL();
        }
        sql.select(TOMBSTONE_KEY, TOMBSTONE_VERSION)
                .from(table(name("cistern_tombstone")))
                .where(TOMBSTONE_TABLE.eq("t").and(TOMBSTONE_KEY.in(List.of("k"))))
                .getSQL();
    }

    /**
     * Reads the rows of {@code keys} (encoded, canonical, of {@code table}).
     *
     * @throws SQLException or a jOOQ {@code DataAccessException} when PostgreSQL fails: the caller translates it
     */
    Rows read(TableDef table, Collection<String> keys) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            int socketTimeout = connection.getNetworkTimeout();
            if (socketTimeout == 0 || socketTimeout > networkTimeoutMillis) {
                // The pool restores its own value when the connection is returned. pgjdbc needs no executor.
                connection.setNetworkTimeout(Runnable::run, networkTimeoutMillis);
            }
            DSLContext sql = DSL.using(connection, SQLDialect.POSTGRES);
            List<Field<?>> select = new ArrayList<>();
            for (ColumnDef c : table.columns()) {
                select.add(fetchField(c));
            }
            select.add(VERSION);
            List<ColumnDef> keyColumns = table.keyColumns();
            Map<String, Row> rows = new HashMap<>();
            for (Record r : sql.select(select)
                    .from(table(name(table.name())))
                    .where(keyCondition(keyColumns, keys))
                    .queryTimeout(queryTimeoutSeconds)
                    .fetch()) {
                Map<String, String> columns = new LinkedHashMap<>();
                for (int i = 0; i < table.columns().size(); i++) {
                    ColumnDef c = table.columns().get(i);
                    columns.put(c.name(), json(table.name(), c, r.get(i)));
                }
                List<String> keyTexts = new ArrayList<>(keyColumns.size());
                for (ColumnDef k : keyColumns) {
                    keyTexts.add(ValueCodec.keyText(table.name(), k, ValueCodec.decode(k, columns.get(k.name()))));
                }
                long version = r.get(VERSION);
                rows.put(KeyEncoding.encode(keyTexts), new Row(version, columns));
            }
            List<String> missing =
                    keys.stream().filter(k -> !rows.containsKey(k)).distinct().toList();
            Map<String, Long> tombstones = new HashMap<>();
            if (!missing.isEmpty()) {
                sql.select(TOMBSTONE_KEY, TOMBSTONE_VERSION)
                        .from(table(name("cistern_tombstone")))
                        .where(TOMBSTONE_TABLE.eq(table.name()).and(TOMBSTONE_KEY.in(missing)))
                        .queryTimeout(queryTimeoutSeconds)
                        .fetch()
                        .forEach(r -> tombstones.put(r.value1(), r.value2()));
            }
            return new Rows(rows, tombstones);
        }
    }

    /** {@code (k1, k2) IN ((cast(? as t1), cast(? as t2)), ...)}: the key texts cast by PostgreSQL to the key types. */
    private static Condition keyCondition(List<ColumnDef> keyColumns, Collection<String> keys) {
        List<Condition> any = new ArrayList<>(keys.size());
        for (String key : keys) {
            List<String> parts = KeyEncoding.decode(key);
            List<Condition> all = new ArrayList<>(keyColumns.size());
            for (int i = 0; i < keyColumns.size(); i++) {
                ColumnDef k = keyColumns.get(i);
                all.add(field(name(k.name()))
                        .eq(field("cast({0} as " + k.type().sqlName() + ")", Object.class, DSL.val(parts.get(i)))));
            }
            any.add(DSL.and(all));
        }
        return DSL.or(any);
    }

    private static Field<?> fetchField(ColumnDef c) {
        Field<Object> column = field(name(c.name()));
        return switch (c.type()) {
            case TEXT -> column.cast(SQLDataType.VARCHAR);
            case SMALLINT -> field(name(c.name()), SQLDataType.SMALLINT);
            case INTEGER -> field(name(c.name()), SQLDataType.INTEGER);
            case BIGINT -> field(name(c.name()), SQLDataType.BIGINT);
            // As text: BigDecimal cannot hold NaN or the infinities that numeric may.
            case NUMERIC -> field("{0}::text", String.class, column);
            case REAL -> field(name(c.name()), SQLDataType.REAL);
            case DOUBLE -> field(name(c.name()), SQLDataType.DOUBLE);
            case BOOLEAN -> field(name(c.name()), SQLDataType.BOOLEAN);
            case UUID -> field(name(c.name()), SQLDataType.UUID);
            case DATE -> field(name(c.name()), SQLDataType.LOCALDATE);
            case TIMESTAMP -> field(name(c.name()), SQLDataType.LOCALDATETIME);
            case TIMESTAMPTZ -> field(name(c.name()), SQLDataType.OFFSETDATETIME);
            case JSON -> field(name(c.name()), SQLDataType.JSON);
            case JSONB -> field(name(c.name()), SQLDataType.JSONB);
            case BYTEA -> field(name(c.name()), SQLDataType.BLOB);
        };
    }

    private static String json(String table, ColumnDef c, Object value) {
        if (value == null) {
            return "null";
        }
        Object java = switch (value) {
            case JSON j -> j.data();
            case JSONB j -> j.data();
            case String s
            when c.type() == io.cistern.schema.registry.SqlType.NUMERIC ->
                switch (s) {
                    case "NaN" -> Double.NaN;
                    case "Infinity" -> Double.POSITIVE_INFINITY;
                    case "-Infinity" -> Double.NEGATIVE_INFINITY;
                    default -> new BigDecimal(s);
                };
            default -> value;
        };
        // The same canonical form as the Redis tier's (jsonb key order, numeric scale): one record, one shape.
        return ValueCodec.canonical(table, c, ValueCodec.encode(table, c, java));
    }
}
