package io.cistern.schema.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import io.cistern.connections.testing.TestDatabase;
import io.cistern.schema.codec.ValueCodec;
import io.cistern.schema.registry.ColumnDef;
import io.cistern.schema.registry.SqlType;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every canonical JSON value survives a trip through a real PostgreSQL column: decoded for JDBC, bound with {@code
 * setObject}, read back and encoded again, it is the same text. No rounding, no lost digits, no shifted instants.
 */
class ValueCodecPostgresIT {
    private static final String TABLE = "typed";
    private static final AtomicInteger IDS = new AtomicInteger();
    private static TestDatabase db;

    @BeforeAll
    static void createTable() {
        db = TestDatabase.create(ValueCodecPostgresIT.class.getSimpleName());
        db.execute("CREATE TABLE typed (id integer PRIMARY KEY, c_text text, c_varchar varchar(10), c_smallint int2,"
                + " c_integer int4, c_bigint int8, c_numeric numeric, c_real real, c_double double precision, c_boolean boolean,"
                + " c_uuid uuid, c_date date, c_timestamp timestamp, c_timestamptz timestamptz, c_json json,"
                + " c_jsonb jsonb, c_bytea bytea)");
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    static Stream<Arguments> canonicalValues() {
        return Stream.of(
                Arguments.of(SqlType.TEXT, "null"),
                Arguments.of(SqlType.TEXT, "\"\""),
                Arguments.of(SqlType.TEXT, "\"naïve 日本語 😀👍🏽 \\\"quoted\\\" back\\\\slash\\nnew line\""),
                Arguments.of(SqlType.SMALLINT, "-32768"),
                Arguments.of(SqlType.SMALLINT, "32767"),
                Arguments.of(SqlType.INTEGER, "-2147483648"),
                Arguments.of(SqlType.BIGINT, "9007199254740993"),
                Arguments.of(SqlType.BIGINT, "9223372036854775807"),
                Arguments.of(SqlType.BIGINT, "-9223372036854775808"),
                Arguments.of(SqlType.NUMERIC, "123456789012345678901234.567800"),
                Arguments.of(SqlType.NUMERIC, "1.50"),
                Arguments.of(SqlType.NUMERIC, "0.000000000000000000000000000001"),
                Arguments.of(SqlType.NUMERIC, "-123456789012345678901234567890"),
                Arguments.of(SqlType.NUMERIC, "0"),
                Arguments.of(SqlType.NUMERIC, "\"NaN\""),
                Arguments.of(SqlType.NUMERIC, "\"Infinity\""),
                Arguments.of(SqlType.NUMERIC, "\"-Infinity\""),
                Arguments.of(SqlType.REAL, "1.1"),
                Arguments.of(SqlType.REAL, "3.4028235E38"),
                Arguments.of(SqlType.REAL, "\"NaN\""),
                Arguments.of(SqlType.REAL, "\"-Infinity\""),
                Arguments.of(SqlType.DOUBLE, "0.1"),
                Arguments.of(SqlType.DOUBLE, "1.0E300"),
                Arguments.of(SqlType.DOUBLE, "-2.2250738585072014E-308"),
                Arguments.of(SqlType.DOUBLE, "\"Infinity\""),
                Arguments.of(SqlType.BOOLEAN, "true"),
                Arguments.of(SqlType.BOOLEAN, "false"),
                Arguments.of(SqlType.UUID, "\"7c0e5b1e-3f2a-4d1b-9c3e-0a1b2c3d4e5f\""),
                Arguments.of(SqlType.DATE, "\"2026-11-23\""),
                Arguments.of(SqlType.DATE, "\"0001-01-01\""),
                Arguments.of(SqlType.TIMESTAMP, "\"2026-11-23T06:21:43.123456\""),
                Arguments.of(SqlType.TIMESTAMP, "\"2026-11-23T06:21:43.000001\""),
                Arguments.of(SqlType.TIMESTAMP, "\"2026-11-23T06:21:00\""),
                Arguments.of(SqlType.TIMESTAMPTZ, "\"2026-11-23T06:21:43.123456Z\""),
                Arguments.of(SqlType.TIMESTAMPTZ, "\"1970-01-01T00:00:00.000001Z\""),
                Arguments.of(SqlType.TIMESTAMPTZ, "\"1969-12-31T23:59:59.999999Z\""),
                Arguments.of(SqlType.JSON, "{\"b\":1,\"a\":[1.10,123456789012345678901234567890,\"😀\"]}"),
                Arguments.of(
                        SqlType.JSONB,
                        "{\"a\":1.10,\"big\":123456789012345678901234567890,"
                                + "\"nested\":{\"x\":-9007199254740993,\"y\":[true,null,\"s\"]}}"),
                Arguments.of(SqlType.JSONB, "\"just text\""),
                Arguments.of(SqlType.BYTEA, "\"AAEC/4B4\""),
                Arguments.of(SqlType.BYTEA, "\"\""));
    }

    private static String columnOf(SqlType type) {
        return "c_" + type.name().toLowerCase(Locale.ROOT);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("canonicalValues")
    void canonicalValue_survivesAPostgresColumnUnchanged(SqlType type, String json) throws SQLException {
        // given a canonical JSON value, decoded for JDBC
        ColumnDef column = new ColumnDef(columnOf(type), type, true, false, 0);
        Object bound = ValueCodec.decode(column, json);
        int id = IDS.incrementAndGet();
        String placeholder = switch (type) {
            case JSON -> "?::json";
            case JSONB -> "?::jsonb";
            default -> "?";
        };

        try (Connection c = db.connect()) {
            // when it is written into a column of its type
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO typed (id, " + column.name() + ") VALUES (?, " + placeholder + ")")) {
                ps.setInt(1, id);
                ps.setObject(2, bound);
                ps.executeUpdate();
            }
            // and read back
            Object read;
            try (PreparedStatement ps = c.prepareStatement("SELECT " + column.name() + " FROM typed WHERE id = ?")) {
                ps.setInt(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    assertThat(rs.next()).isTrue();
                    read = readBack(rs, type);
                }
            }

            // then encoding it again gives the very same text
            assertThat(ValueCodec.encode(TABLE, column, read))
                    .as("%s read back as %s", type, read)
                    .isEqualTo(json);
        }
    }

    private static Object readBack(ResultSet rs, SqlType type) throws SQLException {
        if (rs.getObject(1) == null) {
            return null;
        }
        return switch (type) {
            case TEXT, JSON, JSONB -> rs.getString(1);
            case DATE -> rs.getObject(1, LocalDate.class);
            case TIMESTAMP -> rs.getObject(1, LocalDateTime.class);
            case TIMESTAMPTZ -> rs.getObject(1, OffsetDateTime.class);
            case BYTEA -> rs.getBytes(1);
            default -> rs.getObject(1);
        };
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("varcharValues")
    void varcharAtItsLimit_fitsPostgresToo(String text) throws SQLException {
        // the writer counts characters as PostgreSQL does, so a value it accepts is never refused by the database
        ColumnDef column = new ColumnDef("c_varchar", SqlType.TEXT, true, false, 10);
        String json = ValueCodec.encode(TABLE, column, text);
        int id = IDS.incrementAndGet();

        try (Connection c = db.connect();
                PreparedStatement ps = c.prepareStatement("INSERT INTO typed (id, c_varchar) VALUES (?, ?)")) {
            ps.setInt(1, id);
            ps.setObject(2, ValueCodec.decode(column, json));
            ps.executeUpdate();
        }

        try (Connection c = db.connect();
                PreparedStatement ps = c.prepareStatement("SELECT c_varchar FROM typed WHERE id = ?")) {
            ps.setInt(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo(text);
            }
        }
    }

    static Stream<String> varcharValues() {
        return Stream.of("0123456789", "😀😀😀😀😀😀😀😀😀😀", "日本語日本語日本語日");
    }
}
