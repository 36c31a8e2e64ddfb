package io.cistern.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cistern.schema.codec.ValueCodec;
import io.cistern.schema.registry.ColumnDef;
import io.cistern.schema.registry.SqlType;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.UUID;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SqlTextTest {
    private static ColumnDef column(SqlType type) {
        return new ColumnDef("c", type, true, false, 0);
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "TEXT|scan-0001.pdf",
                "TEXT|Grüße, 世界 🙂",
                "TEXT|a \"quoted\" back\\slash",
                "TEXT|''",
                "BIGINT|9007199254740993",
                "BIGINT|-42",
                "INTEGER|2147483647",
                "SMALLINT|0",
                "UUID|7c0e5b1e-3f2a-4d1b-9c3e-0a1b2c3d4e5f",
            })
    void commonValues_giveTheSameSqlTextAsTheFullDecode(SqlType type, String raw) {
        Object javaValue = switch (type) {
            case BIGINT -> Long.parseLong(raw);
            case INTEGER -> Integer.parseInt(raw);
            case SMALLINT -> Short.parseShort(raw);
            case UUID -> UUID.fromString(raw);
            default -> raw.equals("''") ? "" : raw;
        };
        String json = ValueCodec.encode("t", column(type), javaValue);

        assertThat(SqlText.of(column(type), json))
                .isEqualTo(ValueCodec.decode(column(type), json).toString());
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {"DATE", "TIMESTAMP", "TIMESTAMPTZ"})
    void datesAndTimestamps_passTheirIsoTextThrough(SqlType type) {
        Object value = switch (type) {
            case DATE -> LocalDate.of(2026, 11, 23);
            case TIMESTAMP -> LocalDateTime.of(2026, 11, 23, 6, 21, 43, 123_456_000);
            default -> Instant.parse("2026-11-23T06:21:43.123456Z");
        };
        String json = ValueCodec.encode("t", column(type), value);

        assertThat(SqlText.of(column(type), json)).isEqualTo(json.substring(1, json.length() - 1));
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {"BIGINT|1.5", "BIGINT|\"12\"", "BOOLEAN|\"yes\"", "UUID|12"})
    void valuesTheFastPathDoesNotTake_areValidatedByTheFullDecode(SqlType type, String json) {
        assertThatThrownBy(() -> SqlText.of(column(type), json))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("column 'c'");
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {"TEXT", "BIGINT", "UUID", "JSONB"})
    void jsonNull_isSqlNull(SqlType type) {
        assertThat(SqlText.of(column(type), "null")).isNull();
    }

    @org.junit.jupiter.api.Test
    void wrongTypedValue_isRefusedNamingTheColumnTheTypeAndTheValue_neverTheLibrary() {
        assertThatThrownBy(() -> SqlText.of("docs", column(SqlType.INTEGER), "\"twelve\""))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("column 'c' of table 'docs'")
                .hasMessageContaining(SqlType.INTEGER.sqlName())
                .hasMessageContaining("twelve")
                .hasMessageNotContaining("Node")
                .hasMessageNotContaining("coerce");
    }
}
