package io.cistern.schema.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cistern.schema.failure.InvalidRecordException;
import io.cistern.schema.failure.InvalidRecordException.Reason;
import io.cistern.schema.registry.ColumnDef;
import io.cistern.schema.registry.SqlType;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class ValueCodecTest {
    private static final String TABLE = "things";

    private static ColumnDef col(SqlType type) {
        return new ColumnDef("the_" + type.name().toLowerCase(java.util.Locale.ROOT), type, true, false, 0);
    }

    /** encode -> decode -> encode gives the same canonical text; returns that text. */
    private static String roundTrip(SqlType type, Object value) {
        ColumnDef column = col(type);
        String json = ValueCodec.encode(TABLE, column, value);
        Object decoded = ValueCodec.decode(column, json);
        String again = ValueCodec.encode(TABLE, column, decoded);
        assertThat(again).as("re-encoding %s decoded from %s", decoded, json).isEqualTo(json);
        // the JSON route (HTTP, Redis) gives the same canonical text
        assertThat(ValueCodec.encodeJson(TABLE, column, ExactJson.mapper().readTree(json)))
                .as("encodeJson of %s", json)
                .isEqualTo(json);
        return json;
    }

    private static void assertRefused(ThrowingCallable call, SqlType type, Reason reason) {
        assertThatThrownBy(call)
                .isInstanceOfSatisfying(InvalidRecordException.class, e -> {
                    assertThat(e.reason()).isEqualTo(reason);
                    assertThat(e.field()).isEqualTo(col(type).name());
                    assertThat(e.table()).isEqualTo(TABLE);
                })
                .hasMessageContaining(col(type).name());
    }

    @ParameterizedTest
    @EnumSource(SqlType.class)
    void nullOfNullableColumn_roundTripsAsJsonNull(SqlType type) {
        assertThat(roundTrip(type, null)).isEqualTo("null");
        assertThat(ValueCodec.decode(col(type), "null")).isNull();
    }

    @ParameterizedTest
    @EnumSource(SqlType.class)
    void nullOfNotNullColumn_isRefusedNamingTheColumn(SqlType type) {
        ColumnDef notNull = new ColumnDef("required", type, false, true, 0);

        assertThatThrownBy(() -> ValueCodec.encode(TABLE, notNull, null))
                .isInstanceOfSatisfying(InvalidRecordException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.NOT_NULLABLE);
                    assertThat(e.field()).isEqualTo("required");
                })
                .hasMessageContaining("'required'");
    }

    @Test
    void numericWithMoreDecimalPlacesThanItsScale_isRefusedRatherThanRounded() {
        ColumnDef confidence = new ColumnDef("confidence", SqlType.NUMERIC, true, false, 0, 5, 4);

        assertThat(ValueCodec.encode(TABLE, confidence, new BigDecimal("0.9731")))
                .isEqualTo("0.9731");
        assertThat(ValueCodec.encode(TABLE, confidence, new BigDecimal("0.97310")))
                .isEqualTo("0.97310");
        assertThatThrownBy(() -> ValueCodec.encode(TABLE, confidence, new BigDecimal("0.97315")))
                .isInstanceOfSatisfying(InvalidRecordException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.WRONG_TYPE);
                    assertThat(e.field()).isEqualTo("confidence");
                })
                .hasMessageContaining("numeric(5,4)")
                .hasMessageContaining("round");
        assertThatThrownBy(() -> ValueCodec.encodeJson(
                        TABLE, confidence, ExactJson.mapper().readTree("0.97315")))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("confidence");
    }

    @Test
    void numericWithTooManyIntegerDigits_isRefused() {
        ColumnDef confidence = new ColumnDef("confidence", SqlType.NUMERIC, true, false, 0, 5, 4);

        assertThatThrownBy(() -> ValueCodec.encode(TABLE, confidence, 12L))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("digits before the decimal point");
        assertThat(ValueCodec.encode(TABLE, confidence, 1L)).isEqualTo("1");
    }

    @Test
    void floatNumberBeyondItsRange_isRefusedInsteadOfBecomingInfinity() {
        assertRefused(
                () -> ValueCodec.encodeJson(
                        TABLE, col(SqlType.DOUBLE), ExactJson.mapper().readTree("1e400")),
                SqlType.DOUBLE,
                Reason.WRONG_TYPE);
        assertRefused(
                () -> ValueCodec.encodeJson(
                        TABLE, col(SqlType.REAL), ExactJson.mapper().readTree("1e39")),
                SqlType.REAL,
                Reason.WRONG_TYPE);
        assertThat(ValueCodec.encodeJson(
                        TABLE, col(SqlType.DOUBLE), ExactJson.mapper().readTree("\"Infinity\"")))
                .isEqualTo("\"Infinity\"");
    }

    @Test
    void text_roundTripsExactly() {
        assertThat(roundTrip(SqlType.TEXT, "")).isEqualTo("\"\"");
        assertThat(roundTrip(SqlType.TEXT, "naïve café 日本語 😀👍🏽")).isEqualTo("\"naïve café 日本語 😀👍🏽\"");
        assertThat(roundTrip(SqlType.TEXT, "quote \" backslash \\ newline \n tab \t"))
                .startsWith("\"quote \\\"");
        roundTrip(SqlType.TEXT, "control \u0001 \u001f and 'single' and </script>");
    }

    @Test
    void textWithNul_isRefused() {
        assertRefused(() -> ValueCodec.encode(TABLE, col(SqlType.TEXT), "a\u0000b"), SqlType.TEXT, Reason.WRONG_TYPE);
    }

    @Test
    void varcharLongerThanItsLimit_isRefusedCountingCharactersNotBytes() {
        ColumnDef language = new ColumnDef("language", SqlType.TEXT, true, false, 3);

        assertThat(ValueCodec.encode(TABLE, language, "😀é日")).isEqualTo("\"😀é日\"");
        assertThatThrownBy(() -> ValueCodec.encode(TABLE, language, "abcd"))
                .isInstanceOfSatisfying(InvalidRecordException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.VALUE_TOO_LARGE);
                    assertThat(e.field()).isEqualTo("language");
                })
                .hasMessageContaining("at most 3 characters, got 4");
    }

    @Test
    void integers_keepEveryDigit() {
        assertThat(roundTrip(SqlType.BIGINT, 9_007_199_254_740_993L)).isEqualTo("9007199254740993");
        assertThat(roundTrip(SqlType.BIGINT, Long.MAX_VALUE)).isEqualTo("9223372036854775807");
        assertThat(roundTrip(SqlType.BIGINT, Long.MIN_VALUE)).isEqualTo("-9223372036854775808");
        assertThat(roundTrip(SqlType.BIGINT, BigInteger.valueOf(Long.MAX_VALUE)))
                .isEqualTo("9223372036854775807");
        assertThat(roundTrip(SqlType.INTEGER, Integer.MIN_VALUE)).isEqualTo("-2147483648");
        assertThat(roundTrip(SqlType.SMALLINT, (short) 32767)).isEqualTo("32767");
        assertThat(ValueCodec.decode(col(SqlType.BIGINT), "9007199254740993")).isEqualTo(9_007_199_254_740_993L);
    }

    @Test
    void integerFromJsonStringOfDigits_isAccepted() {
        assertThat(ValueCodec.encodeJson(
                        TABLE, col(SqlType.BIGINT), ExactJson.mapper().readTree("\"9223372036854775807\"")))
                .isEqualTo("9223372036854775807");
    }

    @Test
    void integerOutOfRange_isRefusedNamingTheColumn() {
        assertRefused(
                () -> ValueCodec.encode(
                        TABLE,
                        col(SqlType.BIGINT),
                        BigInteger.valueOf(Long.MAX_VALUE).add(BigInteger.ONE)),
                SqlType.BIGINT,
                Reason.WRONG_TYPE);
        assertRefused(
                () -> ValueCodec.encode(TABLE, col(SqlType.SMALLINT), 32768), SqlType.SMALLINT, Reason.WRONG_TYPE);
        assertRefused(
                () -> ValueCodec.encodeJson(
                        TABLE, col(SqlType.INTEGER), ExactJson.mapper().readTree("2147483648")),
                SqlType.INTEGER,
                Reason.WRONG_TYPE);
    }

    @Test
    void fractionForIntegerColumn_isRefused() {
        assertRefused(
                () -> ValueCodec.encodeJson(
                        TABLE, col(SqlType.BIGINT), ExactJson.mapper().readTree("1.5")),
                SqlType.BIGINT,
                Reason.WRONG_TYPE);
        assertRefused(() -> ValueCodec.encode(TABLE, col(SqlType.BIGINT), 1.0d), SqlType.BIGINT, Reason.WRONG_TYPE);
    }

    @Test
    void numeric_keepsThirtyDigitsAndTrailingZeros() {
        assertThat(roundTrip(SqlType.NUMERIC, new BigDecimal("123456789012345678901234.567800")))
                .isEqualTo("123456789012345678901234.567800");
        assertThat(roundTrip(SqlType.NUMERIC, new BigDecimal("1.50"))).isEqualTo("1.50");
        assertThat(roundTrip(SqlType.NUMERIC, new BigDecimal("-0.000000000000000000000000000001")))
                .isEqualTo("-0.000000000000000000000000000001");
        assertThat(roundTrip(SqlType.NUMERIC, new BigInteger("123456789012345678901234567890")))
                .isEqualTo("123456789012345678901234567890");
        assertThat(ValueCodec.decode(col(SqlType.NUMERIC), "1.50")).isEqualTo(new BigDecimal("1.50"));
    }

    @Test
    void numericFromJson_keepsScale() {
        assertThat(ValueCodec.encodeJson(
                        TABLE, col(SqlType.NUMERIC), ExactJson.mapper().readTree("1234567890.1234567890123456789000")))
                .isEqualTo("1234567890.1234567890123456789000");
        assertThat(ValueCodec.encodeJson(
                        TABLE, col(SqlType.NUMERIC), ExactJson.mapper().readTree("\"0.10\"")))
                .isEqualTo("0.10");
    }

    @Test
    void numericNaNAndInfinities_roundTripAsStrings() {
        assertThat(roundTrip(SqlType.NUMERIC, Double.NaN)).isEqualTo("\"NaN\"");
        assertThat(roundTrip(SqlType.NUMERIC, Double.POSITIVE_INFINITY)).isEqualTo("\"Infinity\"");
        assertThat(roundTrip(SqlType.NUMERIC, Double.NEGATIVE_INFINITY)).isEqualTo("\"-Infinity\"");
    }

    @Test
    void numericFromFiniteDouble_isRefused() {
        // a double has already lost digits; numeric keeps exact values only
        assertRefused(() -> ValueCodec.encode(TABLE, col(SqlType.NUMERIC), 0.1d), SqlType.NUMERIC, Reason.WRONG_TYPE);
    }

    @Test
    void numericFromDoubleOrFloat_isRefusedSayingWhyAndWhatToPassInstead() {
        for (Object binary : List.of(0.9731d, 0.5f)) {
            assertThatThrownBy(() -> ValueCodec.encode(TABLE, col(SqlType.NUMERIC), binary))
                    .hasMessageContaining(
                            "is numeric and cannot hold a " + binary.getClass().getSimpleName())
                    .hasMessageContaining("it takes a BigDecimal, BigInteger, Long, Integer, Short, a String")
                    .hasMessageContaining("cannot hold most decimal values exactly")
                    .hasMessageContaining("pass a BigDecimal (BigDecimal.valueOf(d)")
                    .hasMessageContaining("or a String such as \"0.9731\"");
        }
    }

    @Test
    void numericFromString_keepsItsDigitsExactly() {
        assertThat(ValueCodec.encode(TABLE, col(SqlType.NUMERIC), "0.10")).isEqualTo("0.10");
        assertThat(ValueCodec.encode(TABLE, col(SqlType.NUMERIC), "-12345678901234567890.5"))
                .isEqualTo("-12345678901234567890.5");
        assertThat(ValueCodec.encode(TABLE, col(SqlType.NUMERIC), "NaN")).isEqualTo("\"NaN\"");
        assertThat(ValueCodec.encode(TABLE, col(SqlType.NUMERIC), "1e3")).isEqualTo("1000");
        assertThatThrownBy(() -> ValueCodec.encode(TABLE, col(SqlType.NUMERIC), "about 3"))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("needs a decimal number such as \"0.9731\"")
                .hasMessageContaining("'about 3'");
        assertRefused(
                () -> ValueCodec.encode(
                        TABLE, new ColumnDef("the_numeric", SqlType.NUMERIC, true, false, 0, 5, 2), "1.005"),
                SqlType.NUMERIC,
                Reason.WRONG_TYPE);
    }

    @ParameterizedTest
    @EnumSource(
            value = SqlType.class,
            names = {"JSON", "JSONB"},
            mode = EnumSource.Mode.EXCLUDE)
    void wrongJavaType_isRefusedListingTheJavaTypesTheColumnTakes(SqlType type) {
        assertThatThrownBy(() -> ValueCodec.encode(TABLE, col(type), new StringBuilder[0]))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("is " + type.sqlName() + " and cannot hold a StringBuilder[]; it takes ")
                .hasMessageContaining(ValueCodec.acceptedJavaTypes(type));
    }

    @Test
    void floats_roundTripIncludingSpecials() {
        assertThat(roundTrip(SqlType.REAL, 1.1f)).isEqualTo("1.1");
        assertThat(roundTrip(SqlType.REAL, Float.NaN)).isEqualTo("\"NaN\"");
        assertThat(roundTrip(SqlType.REAL, Float.NEGATIVE_INFINITY)).isEqualTo("\"-Infinity\"");
        assertThat(roundTrip(SqlType.DOUBLE, 0.1d)).isEqualTo("0.1");
        assertThat(roundTrip(SqlType.DOUBLE, 1.0e300d)).isEqualTo("1.0E300");
        assertThat(roundTrip(SqlType.DOUBLE, Double.MIN_VALUE)).isEqualTo("4.9E-324");
        assertThat(roundTrip(SqlType.DOUBLE, Double.POSITIVE_INFINITY)).isEqualTo("\"Infinity\"");
        assertThat(roundTrip(SqlType.DOUBLE, Double.NaN)).isEqualTo("\"NaN\"");
    }

    @Test
    void booleans_roundTrip() {
        assertThat(roundTrip(SqlType.BOOLEAN, true)).isEqualTo("true");
        assertThat(roundTrip(SqlType.BOOLEAN, false)).isEqualTo("false");
        assertRefused(() -> ValueCodec.encode(TABLE, col(SqlType.BOOLEAN), "true"), SqlType.BOOLEAN, Reason.WRONG_TYPE);
    }

    @Test
    void uuid_isCanonicalisedToLowerCase() {
        assertThat(roundTrip(SqlType.UUID, "7C0E5B1E-3F2A-4D1B-9C3E-0A1B2C3D4E5F"))
                .isEqualTo("\"7c0e5b1e-3f2a-4d1b-9c3e-0a1b2c3d4e5f\"");
        UUID u = UUID.fromString("7c0e5b1e-3f2a-4d1b-9c3e-0a1b2c3d4e5f");
        assertThat(roundTrip(SqlType.UUID, u)).isEqualTo("\"7c0e5b1e-3f2a-4d1b-9c3e-0a1b2c3d4e5f\"");
        assertThat(ValueCodec.decode(col(SqlType.UUID), "\"7c0e5b1e-3f2a-4d1b-9c3e-0a1b2c3d4e5f\""))
                .isEqualTo(u);
    }

    @Test
    void malformedUuid_isRefused() {
        assertRefused(() -> ValueCodec.encode(TABLE, col(SqlType.UUID), "not-a-uuid"), SqlType.UUID, Reason.WRONG_TYPE);
        assertRefused(
                () -> ValueCodec.encode(TABLE, col(SqlType.UUID), "{7c0e5b1e-3f2a-4d1b-9c3e-0a1b2c3d4e5f}"),
                SqlType.UUID,
                Reason.WRONG_TYPE);
    }

    @Test
    void date_roundTrips() {
        assertThat(roundTrip(SqlType.DATE, LocalDate.of(2026, 11, 23))).isEqualTo("\"2026-11-23\"");
        assertThat(roundTrip(SqlType.DATE, LocalDate.of(1, 1, 1))).isEqualTo("\"0001-01-01\"");
        assertRefused(
                () -> ValueCodec.encodeJson(
                        TABLE, col(SqlType.DATE), ExactJson.mapper().readTree("\"2026-02-30\"")),
                SqlType.DATE,
                Reason.WRONG_TYPE);
    }

    @Test
    void timestamp_keepsMicroseconds() {
        LocalDateTime t = LocalDateTime.of(2026, 11, 23, 6, 21, 43, 123_456_000);

        assertThat(roundTrip(SqlType.TIMESTAMP, t)).isEqualTo("\"2026-11-23T06:21:43.123456\"");
        assertThat(roundTrip(SqlType.TIMESTAMP, t.withNano(1_000))).isEqualTo("\"2026-11-23T06:21:43.000001\"");
        assertThat(roundTrip(SqlType.TIMESTAMP, t.withNano(0))).isEqualTo("\"2026-11-23T06:21:43\"");
        assertThat(roundTrip(SqlType.TIMESTAMP, t.withSecond(0).withNano(0))).isEqualTo("\"2026-11-23T06:21:00\"");
        assertThat(ValueCodec.decode(col(SqlType.TIMESTAMP), "\"2026-11-23T06:21:43.123456\""))
                .isEqualTo(t);
    }

    @Test
    void timestampWithNanoseconds_isRefusedNotRounded() {
        LocalDateTime t = LocalDateTime.of(2026, 11, 23, 6, 21, 43, 123_456_789);

        assertRefused(() -> ValueCodec.encode(TABLE, col(SqlType.TIMESTAMP), t), SqlType.TIMESTAMP, Reason.WRONG_TYPE);
        assertRefused(
                () -> ValueCodec.encodeJson(
                        TABLE,
                        col(SqlType.TIMESTAMP),
                        ExactJson.mapper().readTree("\"2026-11-23T06:21:43.123456789\"")),
                SqlType.TIMESTAMP,
                Reason.WRONG_TYPE);
    }

    @Test
    void timestamptz_isNormalisedToUtcWithMicroseconds() {
        OffsetDateTime paris = OffsetDateTime.of(2026, 11, 23, 7, 21, 43, 123_456_000, ZoneOffset.ofHours(1));

        assertThat(roundTrip(SqlType.TIMESTAMPTZ, paris)).isEqualTo("\"2026-11-23T06:21:43.123456Z\"");
        assertThat(roundTrip(SqlType.TIMESTAMPTZ, paris.toInstant())).isEqualTo("\"2026-11-23T06:21:43.123456Z\"");
        assertThat(roundTrip(SqlType.TIMESTAMPTZ, paris.atZoneSameInstant(ZoneId.of("America/New_York"))))
                .isEqualTo("\"2026-11-23T06:21:43.123456Z\"");
        assertThat(ValueCodec.encodeJson(
                        TABLE,
                        col(SqlType.TIMESTAMPTZ),
                        ExactJson.mapper().readTree("\"2026-11-23T08:21:43.123456+02:00\"")))
                .isEqualTo("\"2026-11-23T06:21:43.123456Z\"");
        assertThat(ValueCodec.decode(col(SqlType.TIMESTAMPTZ), "\"2026-11-23T06:21:43.123456Z\""))
                .isEqualTo(paris.withOffsetSameInstant(ZoneOffset.UTC));
    }

    @Test
    void timestamptzWithNanoseconds_isRefusedNotRounded() {
        Instant i = Instant.parse("2026-11-23T06:21:43.123456789Z");

        assertRefused(
                () -> ValueCodec.encode(TABLE, col(SqlType.TIMESTAMPTZ), i), SqlType.TIMESTAMPTZ, Reason.WRONG_TYPE);
        assertRefused(
                () -> ValueCodec.encode(TABLE, col(SqlType.TIMESTAMPTZ), ZonedDateTime.ofInstant(i, ZoneOffset.UTC)),
                SqlType.TIMESTAMPTZ,
                Reason.WRONG_TYPE);
        assertRefused(
                () -> ValueCodec.encodeJson(
                        TABLE,
                        col(SqlType.TIMESTAMPTZ),
                        ExactJson.mapper().readTree("\"2026-11-23T06:21:43.123456789Z\"")),
                SqlType.TIMESTAMPTZ,
                Reason.WRONG_TYPE);
    }

    @Test
    void timestamptzWithoutOffset_isRefused() {
        assertRefused(
                () -> ValueCodec.encodeJson(
                        TABLE, col(SqlType.TIMESTAMPTZ), ExactJson.mapper().readTree("\"2026-11-23T06:21:43\"")),
                SqlType.TIMESTAMPTZ,
                Reason.WRONG_TYPE);
        assertRefused(
                () -> ValueCodec.encode(TABLE, col(SqlType.TIMESTAMPTZ), LocalDateTime.of(2026, 1, 1, 0, 0)),
                SqlType.TIMESTAMPTZ,
                Reason.WRONG_TYPE);
    }

    @Test
    void json_keepsBigNumbersAndDecimalsExactly() {
        String text = "{\"big\": 123456789012345678901234567890, \"dec\": 1.10, \"neg\": -9007199254740993,"
                + " \"nested\": [1, 2.500, {\"s\": \"😀\"}], \"t\": true, \"n\": null}";
        String canonical = "{\"big\":123456789012345678901234567890,\"dec\":1.10,\"neg\":-9007199254740993,"
                + "\"nested\":[1,2.500,{\"s\":\"😀\"}],\"t\":true,\"n\":null}";

        assertThat(roundTrip(SqlType.JSONB, text)).isEqualTo(canonical);
        assertThat(roundTrip(SqlType.JSON, text)).isEqualTo(canonical);
        assertThat(ValueCodec.decode(col(SqlType.JSONB), canonical)).isEqualTo(canonical);
    }

    @Test
    void jsonScalarsAndCollections_areAccepted() {
        assertThat(roundTrip(SqlType.JSONB, "\"just a string\"")).isEqualTo("\"just a string\"");
        assertThat(roundTrip(SqlType.JSONB, "[]")).isEqualTo("[]");
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("a", List.of(1, 2));
        map.put("b", new BigDecimal("12345678901234567890.10"));
        assertThat(ValueCodec.encode(TABLE, col(SqlType.JSONB), map))
                .isEqualTo("{\"a\":[1,2],\"b\":12345678901234567890.10}");
    }

    @Test
    void malformedJsonText_isRefused() {
        assertRefused(() -> ValueCodec.encode(TABLE, col(SqlType.JSONB), "{\"a\":"), SqlType.JSONB, Reason.WRONG_TYPE);
        assertRefused(
                () -> ValueCodec.encode(TABLE, col(SqlType.JSONB), "{} trailing"), SqlType.JSONB, Reason.WRONG_TYPE);
    }

    @Test
    void bytea_roundTripsAsBase64() {
        byte[] bytes = {0, 1, 2, (byte) 0xFF, (byte) 0x80, 'x'};

        assertThat(roundTrip(SqlType.BYTEA, bytes)).isEqualTo("\"AAEC/4B4\"");
        assertThat(roundTrip(SqlType.BYTEA, new byte[0])).isEqualTo("\"\"");
        assertThat((byte[]) ValueCodec.decode(col(SqlType.BYTEA), "\"AAEC/4B4\""))
                .containsExactly(bytes);
    }

    @Test
    void malformedBase64_isRefused() {
        assertRefused(
                () -> ValueCodec.encodeJson(
                        TABLE, col(SqlType.BYTEA), ExactJson.mapper().readTree("\"not base64!\"")),
                SqlType.BYTEA,
                Reason.WRONG_TYPE);
    }

    @ParameterizedTest
    @EnumSource(
            value = SqlType.class,
            names = {"JSON", "JSONB"},
            mode = EnumSource.Mode.EXCLUDE)
    void javaValueOfTheWrongClass_isRefusedNamingTheColumnAndType(SqlType type) {
        Object wrong = type == SqlType.TEXT ? (Object) 42 : new Object();

        assertThatThrownBy(() -> ValueCodec.encode(TABLE, col(type), wrong))
                .isInstanceOfSatisfying(InvalidRecordException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.WRONG_TYPE);
                    assertThat(e.field()).isEqualTo(col(type).name());
                })
                .hasMessageContaining(col(type).name())
                .hasMessageContaining(type.sqlName());
    }

    @ParameterizedTest
    @EnumSource(
            value = SqlType.class,
            names = {"JSON", "JSONB"},
            mode = EnumSource.Mode.EXCLUDE)
    void jsonValueOfTheWrongKind_isRefusedNamingTheColumn(SqlType type) {
        String wrong = type == SqlType.BOOLEAN ? "{\"a\":1}" : "[true]";

        assertRefused(
                () -> ValueCodec.encodeJson(TABLE, col(type), ExactJson.mapper().readTree(wrong)),
                type,
                Reason.WRONG_TYPE);
    }

    @Test
    void keyText_isTheCanonicalUnquotedText() {
        ColumnDef uuid = new ColumnDef("document_uuid", SqlType.UUID, false, false, 0);
        ColumnDef id = new ColumnDef("id", SqlType.BIGINT, false, false, 0);

        assertThat(ValueCodec.keyText(TABLE, uuid, "7C0E5B1E-3F2A-4D1B-9C3E-0A1B2C3D4E5F"))
                .isEqualTo("7c0e5b1e-3f2a-4d1b-9c3e-0a1b2c3d4e5f");
        assertThat(ValueCodec.keyText(TABLE, id, "9223372036854775807")).isEqualTo("9223372036854775807");
        assertThat(ValueCodec.keyText(TABLE, id, 42L)).isEqualTo("42");
        assertThat(ValueCodec.keyText(TABLE, new ColumnDef("name", SqlType.TEXT, false, false, 0), "a,b \"c\""))
                .isEqualTo("a,b \"c\"");
    }

    @Test
    void malformedKeyValue_isRefusedAsMalformedKeyNamingTheColumn() {
        ColumnDef uuid = new ColumnDef("document_uuid", SqlType.UUID, false, false, 0);
        ColumnDef id = new ColumnDef("id", SqlType.BIGINT, false, false, 0);

        assertThatThrownBy(() -> ValueCodec.keyText(TABLE, uuid, "not-a-uuid"))
                .isInstanceOfSatisfying(InvalidRecordException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.MALFORMED_KEY);
                    assertThat(e.field()).isEqualTo("document_uuid");
                });
        assertThatThrownBy(() -> ValueCodec.keyText(TABLE, id, "007"))
                .isInstanceOfSatisfying(InvalidRecordException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.MALFORMED_KEY);
                    assertThat(e.field()).isEqualTo("id");
                });
        assertThatThrownBy(() -> ValueCodec.keyText(TABLE, id, null))
                .isInstanceOfSatisfying(InvalidRecordException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.MISSING_KEY);
                    assertThat(e.field()).isEqualTo("id");
                });
    }

    @Test
    void decodeOfInvalidJson_namesTheColumn() {
        assertThatThrownBy(() -> ValueCodec.decode(col(SqlType.BIGINT), "{oops"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("the_bigint");
    }

    @Test
    void canonical_givesPostgresForms_forEveryTierToAnswerAlike() {
        ColumnDef scaled = new ColumnDef("amount", SqlType.NUMERIC, true, false, 0, 10, 2);
        ColumnDef jsonb = new ColumnDef("doc", SqlType.JSONB, true, false, 0);
        ColumnDef json = new ColumnDef("raw", SqlType.JSON, true, false, 0);
        ColumnDef tstz = new ColumnDef("at", SqlType.TIMESTAMPTZ, true, false, 0);

        assertThat(ValueCodec.canonical("t", scaled, "1.5")).isEqualTo("1.50");
        assertThat(ValueCodec.canonical("t", scaled, "7")).isEqualTo("7.00");
        assertThat(ValueCodec.canonical("t", scaled, "\"NaN\"")).isEqualTo("\"NaN\"");
        assertThat(ValueCodec.canonical("t", col(SqlType.NUMERIC), "1.500")).isEqualTo("1.500");
        // jsonb: shorter keys first, then by bytes, the last of a duplicate key wins, numbers in plain notation
        assertThat(ValueCodec.canonical(
                        "t", jsonb, "{\"bb\": 1, \"a\": {\"zz\": 2, \"y\": [1E+2]}, \"ab\": 3, \"a\": 4}"))
                .isEqualTo("{\"a\":4,\"ab\":3,\"bb\":1}");
        assertThat(ValueCodec.canonical("t", jsonb, "{\"bb\": 1, \"a\": {\"zz\": 2, \"y\": [1E+2, 1.50]}}"))
                .isEqualTo("{\"a\":{\"y\":[100,1.50],\"zz\":2},\"bb\":1}");
        // json keeps its text's order, as PostgreSQL's json does
        assertThat(ValueCodec.canonical("t", json, "{\"bb\": 1, \"a\": 2}")).isEqualTo("{\"bb\":1,\"a\":2}");
        assertThat(ValueCodec.canonical("t", tstz, "\"2026-11-23T08:21:43.5+02:00\""))
                .isEqualTo("\"2026-11-23T06:21:43.500Z\"");
        assertThat(ValueCodec.canonical("t", scaled, "null")).isEqualTo("null");
        // other forms a plain-Redis producer may have written
        assertThat(ValueCodec.canonical("t", col(SqlType.TEXT), "\"\\u0041\\n\""))
                .isEqualTo("\"A\\n\"");
        assertThat(ValueCodec.canonical("t", col(SqlType.BIGINT), "\"12\"")).isEqualTo("12");
        assertThat(ValueCodec.canonical("t", col(SqlType.UUID), "\"7C0E5B1E-3F2A-4D1B-9C3E-0A1B2C3D4E5F\""))
                .isEqualTo("\"7c0e5b1e-3f2a-4d1b-9c3e-0a1b2c3d4e5f\"");
    }
}
