package io.cistern.schema.codec;

import io.cistern.schema.failure.InvalidRecordException;
import io.cistern.schema.failure.InvalidRecordException.Reason;
import io.cistern.schema.registry.ColumnDef;
import io.cistern.schema.registry.SqlType;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoField;
import java.time.temporal.TemporalAccessor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;
import tools.jackson.core.JacksonException;
import tools.jackson.core.io.JsonStringEncoder;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.databind.util.RawValue;

/**
 * Converts column values to their one canonical JSON text, the form in which they travel through Redis (record hash
 * fields and change entries), and back to Java values ready to bind to SQL. Stateless and thread-safe.
 *
 * <table>
 *   <caption>Encodings</caption>
 *   <tr><th>type</th><th>JSON</th><th>Java in</th><th>Java out</th></tr>
 *   <tr><td>any</td><td>{@code null}</td><td>{@code null}</td><td>{@code null}</td></tr>
 *   <tr><td>text, varchar</td><td>string</td><td>String</td><td>String</td></tr>
 *   <tr><td>int2, int4, int8</td><td>integer number (a string of digits is accepted)</td><td>Byte, Short,
 *       Integer, Long, BigInteger</td><td>Short, Integer, Long</td></tr>
 *   <tr><td>numeric</td><td>number, exactly as written ({@code "NaN"}, {@code "Infinity"} as strings)</td>
 *       <td>BigDecimal, BigInteger, Long, Integer, Short, String of decimal digits; never a finite Double or
 *       Float, which cannot hold most decimals exactly</td><td>BigDecimal, or Double for NaN and infinities</td></tr>
 *   <tr><td>float4, float8</td><td>number ({@code "NaN"}, {@code "Infinity"}, {@code "-Infinity"} as strings)</td>
 *       <td>Float, Double</td><td>Float, Double</td></tr>
 *   <tr><td>bool</td><td>{@code true}/{@code false}</td><td>Boolean</td><td>Boolean</td></tr>
 *   <tr><td>uuid</td><td>lower-case string</td><td>UUID, String</td><td>UUID</td></tr>
 *   <tr><td>date</td><td>{@code "2026-11-23"}</td><td>LocalDate</td><td>LocalDate</td></tr>
 *   <tr><td>timestamp</td><td>{@code "2026-11-23T06:21:43.123456"}</td><td>LocalDateTime</td>
 *       <td>LocalDateTime</td></tr>
 *   <tr><td>timestamptz</td><td>UTC {@code "2026-11-23T06:21:43.123456Z"} (any offset accepted)</td><td>Instant,
 *       OffsetDateTime, ZonedDateTime</td><td>OffsetDateTime in UTC</td></tr>
 *   <tr><td>json, jsonb</td><td>the JSON value itself</td><td>a String of JSON text, JsonNode, Map, List, Number,
 *       Boolean</td><td>String (JSON text)</td></tr>
 *   <tr><td>bytea</td><td>base64 string (RFC 4648, with padding)</td><td>byte[]</td><td>byte[]</td></tr>
 * </table>
 *
 * Timestamps carry at most microseconds, as PostgreSQL does; a value with finer precision is refused rather than
 * rounded.
 */
public final class ValueCodec {
    private static final Pattern UUID_TEXT =
            Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
    private static final Pattern INTEGER_TEXT = Pattern.compile("-?(0|[1-9][0-9]*)");
    private static final BigInteger[] MIN = {
        BigInteger.valueOf(Short.MIN_VALUE), BigInteger.valueOf(Integer.MIN_VALUE), BigInteger.valueOf(Long.MIN_VALUE)
    };
    private static final BigInteger[] MAX = {
        BigInteger.valueOf(Short.MAX_VALUE), BigInteger.valueOf(Integer.MAX_VALUE), BigInteger.valueOf(Long.MAX_VALUE)
    };
    private static final DateTimeFormatter LOCAL_TS = DateTimeFormatter.ISO_LOCAL_DATE_TIME;

    private ValueCodec() {}

    // ---------------------------------------------------------------------------------------------------- Java in

    /**
     * The canonical JSON text of a Java value for {@code column} of {@code table}.
     *
     * @throws InvalidRecordException naming the column when the value does not fit its type
     */
    public static String encode(String table, ColumnDef column, Object value) {
        if (value == null) {
            return nullFor(table, column);
        }
        if (value instanceof JsonNode node) {
            return encodeJson(table, column, node);
        }
        SqlType type = column.type();
        try {
            return switch (type) {
                case TEXT -> {
                    if (value instanceof CharSequence cs) {
                        yield text(table, column, cs.toString());
                    }
                    throw wrongType(table, column, value);
                }
                case SMALLINT, INTEGER, BIGINT -> integer(table, column, integralOf(table, column, value));
                case NUMERIC ->
                    switch (value) {
                        case BigDecimal d -> numeric(table, column, d);
                        case BigInteger i -> numeric(table, column, new BigDecimal(i));
                        case Long l -> numeric(table, column, BigDecimal.valueOf(l));
                        case Integer i -> numeric(table, column, BigDecimal.valueOf(i));
                        case Short s -> numeric(table, column, BigDecimal.valueOf(s));
                        case Double d when d.isNaN() || d.isInfinite() -> quote(specialFloat(d));
                        case CharSequence cs -> numericText(table, column, cs.toString());
                        default -> throw wrongType(table, column, value);
                    };
                case REAL ->
                    switch (value) {
                        case Float f -> floatText(f);
                        default -> throw wrongType(table, column, value);
                    };
                case DOUBLE ->
                    switch (value) {
                        case Double d -> doubleText(d);
                        case Float f -> doubleText(f.doubleValue());
                        default -> throw wrongType(table, column, value);
                    };
                case BOOLEAN -> {
                    if (value instanceof Boolean b) {
                        yield b.toString();
                    }
                    throw wrongType(table, column, value);
                }
                case UUID ->
                    switch (value) {
                        case UUID u -> quote(u.toString());
                        case CharSequence cs -> quote(uuidText(table, column, cs.toString()));
                        default -> throw wrongType(table, column, value);
                    };
                case DATE -> {
                    if (value instanceof LocalDate d) {
                        yield quote(d.toString());
                    }
                    throw wrongType(table, column, value);
                }
                case TIMESTAMP -> {
                    if (value instanceof LocalDateTime t) {
                        requireMicros(table, column, t);
                        yield quote(LOCAL_TS.format(t));
                    }
                    throw wrongType(table, column, value);
                }
                case TIMESTAMPTZ -> {
                    Instant instant = switch (value) {
                        case Instant i -> i;
                        case OffsetDateTime o -> o.toInstant();
                        case ZonedDateTime z -> z.toInstant();
                        default -> throw wrongType(table, column, value);
                    };
                    requireMicros(table, column, instant);
                    yield quote(instant.toString());
                }
                case JSON, JSONB ->
                    value instanceof CharSequence cs
                            ? canonicalJson(table, column, cs.toString())
                            : ExactJson.mapper().writeValueAsString(value);
                case BYTEA -> {
                    if (value instanceof byte[] bytes) {
                        yield quote(Base64.getEncoder().encodeToString(bytes));
                    }
                    throw wrongType(table, column, value);
                }
            };
        } catch (JacksonException e) {
            throw new InvalidRecordException(
                    Reason.WRONG_TYPE,
                    table,
                    column.name(),
                    "column '" + column.name() + "' of table '" + table + "' (" + type.sqlName() + ") cannot hold a "
                            + value.getClass().getSimpleName() + ": " + e.getOriginalMessage(),
                    e);
        }
    }

    // ---------------------------------------------------------------------------------------------------- JSON in

    /**
     * The canonical JSON text of a parsed JSON value for {@code column}, as received from HTTP or read from Redis.
     * Integers and decimals keep their exact value: parse with {@link ExactJson#mapper()}.
     *
     * @throws InvalidRecordException naming the column when the value does not fit its type
     */
    public static String encodeJson(String table, ColumnDef column, JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return nullFor(table, column);
        }
        SqlType type = column.type();
        switch (type) {
            case TEXT -> {
                if (node.isString()) {
                    return text(table, column, node.stringValue());
                }
            }
            case SMALLINT, INTEGER, BIGINT -> {
                if (node.isIntegralNumber()) {
                    return integer(table, column, node.bigIntegerValue());
                }
                if (node.isString() && INTEGER_TEXT.matcher(node.stringValue()).matches()) {
                    return integer(table, column, new BigInteger(node.stringValue()));
                }
            }
            case NUMERIC -> {
                if (node.isNumber()) {
                    return numeric(
                            table,
                            column,
                            node.isIntegralNumber() ? new BigDecimal(node.bigIntegerValue()) : node.decimalValue());
                }
                if (node.isString()) {
                    String s = node.stringValue();
                    if (s.equals("NaN") || s.equals("Infinity") || s.equals("-Infinity")) {
                        return quote(s);
                    }
                    BigDecimal parsed = null;
                    try {
                        parsed = new BigDecimal(s);
                    } catch (NumberFormatException e) {
                        // falls through to the type error below
                    }
                    if (parsed != null) {
                        return numeric(table, column, parsed);
                    }
                }
            }
            case REAL, DOUBLE -> {
                if (node.isNumber()) {
                    double d = node.decimalValue().doubleValue();
                    boolean overflow = type == SqlType.REAL ? Float.isInfinite((float) d) : Double.isInfinite(d);
                    if (overflow) {
                        throw badValue(
                                table,
                                column,
                                "a number within its range (" + abbreviate(node.toString())
                                        + " overflows; send \"Infinity\" or \"-Infinity\" if that is meant)",
                                null);
                    }
                    return type == SqlType.REAL ? floatText((float) d) : doubleText(d);
                }
                if (node.isString()) {
                    String s = node.stringValue();
                    if (s.equals("NaN") || s.equals("Infinity") || s.equals("-Infinity")) {
                        return quote(s);
                    }
                }
            }
            case BOOLEAN -> {
                if (node.isBoolean()) {
                    return Boolean.toString(node.booleanValue());
                }
            }
            case UUID -> {
                if (node.isString()) {
                    return quote(uuidText(table, column, node.stringValue()));
                }
            }
            case DATE -> {
                if (node.isString()) {
                    try {
                        return quote(LocalDate.parse(node.stringValue()).toString());
                    } catch (DateTimeException e) {
                        throw badValue(table, column, "a date like \"2026-11-23\"", e);
                    }
                }
            }
            case TIMESTAMP -> {
                if (node.isString()) {
                    LocalDateTime t;
                    try {
                        t = LocalDateTime.parse(node.stringValue());
                    } catch (DateTimeException e) {
                        throw badValue(table, column, "a timestamp like \"2026-11-23T06:21:43.123456\"", e);
                    }
                    requireMicros(table, column, t);
                    return quote(LOCAL_TS.format(t));
                }
            }
            case TIMESTAMPTZ -> {
                if (node.isString()) {
                    Instant i;
                    try {
                        i = OffsetDateTime.parse(node.stringValue()).toInstant();
                    } catch (DateTimeException e) {
                        throw badValue(
                                table, column, "a timestamp with offset like \"2026-11-23T06:21:43.123456Z\"", e);
                    }
                    requireMicros(table, column, i);
                    return quote(i.toString());
                }
            }
            case JSON, JSONB -> {
                return ExactJson.mapper().writeValueAsString(node);
            }
            case BYTEA -> {
                if (node.isString()) {
                    try {
                        byte[] bytes = Base64.getDecoder().decode(node.stringValue());
                        return quote(Base64.getEncoder().encodeToString(bytes));
                    } catch (IllegalArgumentException e) {
                        throw badValue(table, column, "a base64 string", e);
                    }
                }
            }
        }
        throw new InvalidRecordException(
                Reason.WRONG_TYPE,
                table,
                column.name(),
                "column '" + column.name() + "' of table '" + table + "' is " + type.sqlName() + ", got JSON "
                        + node.getNodeType().name().toLowerCase(java.util.Locale.ROOT) + " "
                        + abbreviate(node.toString()));
    }

    // ---------------------------------------------------------------------------------------------------- keys

    /**
     * The canonical text of a key column's value, before {@link io.cistern.schema.keys.KeyEncoding}: a number's
     * digits, a uuid in lower case, a date as {@code yyyy-mm-dd}, text as is.
     *
     * @throws InvalidRecordException naming the column when the value does not fit
     */
    public static String keyText(String table, ColumnDef column, Object value) {
        if (value == null) {
            throw new InvalidRecordException(
                    Reason.MISSING_KEY,
                    table,
                    column.name(),
                    "key column '" + column.name() + "' of table '" + table + "' must not be null");
        }
        String json;
        try {
            json = value instanceof CharSequence cs && column.type() != SqlType.TEXT
                    ? keyJsonFromText(table, column, cs.toString())
                    : encode(table, column, value);
        } catch (InvalidRecordException e) {
            if (e.reason() != Reason.WRONG_TYPE) {
                throw e;
            }
            // A key value that does not fit its column is a malformed key: the producer must fix the key.
            throw new InvalidRecordException(Reason.MALFORMED_KEY, table, column.name(), e.getMessage(), e);
        }
        return json.startsWith("\"") ? ExactJson.mapper().readValue(json, String.class) : json;
    }

    private static String keyJsonFromText(String table, ColumnDef column, String text) {
        return switch (column.type()) {
            case SMALLINT, INTEGER, BIGINT -> {
                if (!INTEGER_TEXT.matcher(text).matches()) {
                    throw badValue(table, column, "an integer", null);
                }
                yield integer(table, column, new BigInteger(text));
            }
            case UUID -> quote(uuidText(table, column, text));
            case DATE -> {
                try {
                    yield quote(LocalDate.parse(text).toString());
                } catch (DateTimeException e) {
                    throw badValue(table, column, "a date like 2026-11-23", e);
                }
            }
            default ->
                throw new InvalidRecordException(
                        Reason.MALFORMED_KEY,
                        table,
                        column.name(),
                        "key column '" + column.name() + "' has type "
                                + column.type().sqlName() + ", which Cistern does not support in keys");
        };
    }

    /** Whether a column of this type may be part of a primary key that Cistern syncs. */
    public static boolean supportedInKey(SqlType type) {
        return switch (type) {
            case TEXT, SMALLINT, INTEGER, BIGINT, UUID, DATE -> true;
            default -> false;
        };
    }

    // ---------------------------------------------------------------------------------------------------- out

    /**
     * The Java value of a canonical JSON text for {@code column}, ready to bind to a PreparedStatement parameter of the
     * column's type.
     *
     * @throws IllegalArgumentException when {@code json} is not valid for the column's type
     */
    public static Object decode(ColumnDef column, String json) {
        JsonNode node;
        try {
            node = ExactJson.mapper().readTree(json);
        } catch (JacksonException e) {
            throw new IllegalArgumentException(
                    "value of column '" + column.name() + "' is not valid JSON: " + abbreviate(json), e);
        }
        if (node.isNull()) {
            return null;
        }
        return switch (column.type()) {
            case TEXT -> requireString(column, node);
            case SMALLINT -> node.bigIntegerValue().shortValueExact();
            case INTEGER -> node.bigIntegerValue().intValueExact();
            case BIGINT -> node.bigIntegerValue().longValueExact();
            case NUMERIC -> node.isString() ? Double.valueOf(specialValue(node.stringValue())) : node.decimalValue();
            case REAL ->
                node.isString()
                        ? Float.valueOf((float) specialValue(node.stringValue()))
                        : Float.valueOf(node.decimalValue().floatValue());
            case DOUBLE ->
                node.isString()
                        ? Double.valueOf(specialValue(node.stringValue()))
                        : Double.valueOf(node.decimalValue().doubleValue());
            case BOOLEAN -> node.booleanValue();
            case UUID -> java.util.UUID.fromString(requireString(column, node));
            case DATE -> LocalDate.parse(requireString(column, node));
            case TIMESTAMP -> LocalDateTime.parse(requireString(column, node));
            case TIMESTAMPTZ ->
                OffsetDateTime.parse(requireString(column, node)).withOffsetSameInstant(ZoneOffset.UTC);
            case JSON, JSONB -> ExactJson.mapper().writeValueAsString(node);
            case BYTEA -> Base64.getDecoder().decode(requireString(column, node));
        };
    }

    // ---------------------------------------------------------------------------------------------------- canonical

    /**
     * The one canonical JSON text of a value already in JSON form (a record hash field, a change entry, a PostgreSQL
     * value the reader encoded), so that every tier of the reader answers a value with the same bytes. Where the
     * encoding a producer sent differs from what PostgreSQL gives back for the same value, the canonical form is
     * PostgreSQL's:
     *
     * <ul>
     *   <li>numeric with a declared scale: exactly that many decimals ({@code numeric(10,2)}: {@code 1.5} is {@code
     *       1.50}); without one, the digits as written;
     *   <li>jsonb: object keys in PostgreSQL's jsonb order (shorter keys first, then by their UTF-8 bytes), a key given
     *       twice kept once with its last value, numbers in plain notation; json keeps its text's order, as PostgreSQL's json does;
     *   <li>timestamptz in UTC with microseconds at most, timestamp without offset, uuid in lower case, float4 and float8
     *       as Java prints them, bytea as padded base64; any other value as {@link #encode} gives it.
     * </ul>
     *
     * A value that does not fit its column is returned unchanged: the reader answers what it holds rather than fail a
     * read on it (the writer refuses such values before they are stored).
     */
    public static String canonical(String table, ColumnDef column, String json) {
        if (json == null || json.equals("null")) {
            return json;
        }
        try {
            return switch (column.type()) {
                // Taken as they are unless a plain-Redis producer wrote another form of the same value: an escape
                // in a string ("\u0041" is "A"), or an integer as a string of digits.
                case TEXT ->
                    json.indexOf('\\') < 0
                            ? json
                            : encodeJson(table, column, ExactJson.mapper().readTree(json));
                case SMALLINT, INTEGER, BIGINT ->
                    json.startsWith("\"")
                            ? encodeJson(table, column, ExactJson.mapper().readTree(json))
                            : json;
                case BOOLEAN -> json;
                case NUMERIC -> {
                    Object v = decode(column, json);
                    if (v instanceof BigDecimal d && column.scale() >= 0) {
                        yield d.setScale(column.scale(), RoundingMode.UNNECESSARY)
                                .toPlainString();
                    }
                    yield v instanceof BigDecimal d ? d.toPlainString() : encode(table, column, v);
                }
                case JSONB ->
                    ExactJson.mapper()
                            .writeValueAsString(jsonbOrder(ExactJson.mapper().readTree(json)));
                default -> encode(table, column, decode(column, json));
            };
        } catch (RuntimeException e) {
            return json;
        }
    }

    /**
     * {@code node} as PostgreSQL's jsonb prints it: every object's keys by UTF-8 length, then by UTF-8 bytes; decimals in
     * plain notation.
     */
    private static JsonNode jsonbOrder(JsonNode node) {
        if (node.isArray()) {
            ArrayNode out = ExactJson.mapper().createArrayNode();
            node.forEach(e -> out.add(jsonbOrder(e)));
            return out;
        }
        if (node.isBigDecimal()) {
            // As PostgreSQL prints a jsonb number: plain decimal notation (1E+2 is 100), which BigDecimal's own
            // toString does not give for every scale.
            return ExactJson.mapper()
                    .getNodeFactory()
                    .rawValueNode(new RawValue(node.decimalValue().toPlainString()));
        }
        if (!node.isObject()) {
            return node;
        }
        List<String> names = new ArrayList<>(node.propertyNames());
        names.sort(ValueCodec::compareJsonbKeys);
        ObjectNode out = ExactJson.mapper().createObjectNode();
        for (String name : names) {
            out.set(name, jsonbOrder(node.get(name)));
        }
        return out;
    }

    private static int compareJsonbKeys(String a, String b) {
        byte[] x = a.getBytes(StandardCharsets.UTF_8);
        byte[] y = b.getBytes(StandardCharsets.UTF_8);
        return x.length != y.length ? Integer.compare(x.length, y.length) : Arrays.compareUnsigned(x, y);
    }

    // ---------------------------------------------------------------------------------------------------- helpers

    private static String nullFor(String table, ColumnDef column) {
        if (!column.nullable()) {
            throw new InvalidRecordException(
                    Reason.NOT_NULLABLE,
                    table,
                    column.name(),
                    "column '" + column.name() + "' of table '" + table + "' is NOT NULL; give it a value");
        }
        return "null";
    }

    private static String text(String table, ColumnDef column, String s) {
        if (column.maxLength() > 0 && s.codePointCount(0, s.length()) > column.maxLength()) {
            throw new InvalidRecordException(
                    Reason.VALUE_TOO_LARGE,
                    table,
                    column.name(),
                    "column '" + column.name() + "' of table '" + table + "' holds at most " + column.maxLength()
                            + " characters, got " + s.codePointCount(0, s.length()));
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == 0) {
                throw badValue(table, column, "text without NUL characters (PostgreSQL cannot store U+0000)", null);
            }
        }
        return quote(s);
    }

    /**
     * The text of a numeric value, refused when PostgreSQL would round it (more fractional digits than the column's
     * scale) or reject it (more integer digits than precision minus scale).
     */
    private static String numeric(String table, ColumnDef column, BigDecimal value) {
        if (column.scale() >= 0 && value.signum() != 0) {
            BigDecimal stripped = value.stripTrailingZeros();
            if (stripped.scale() > column.scale()) {
                throw new InvalidRecordException(
                        Reason.WRONG_TYPE,
                        table,
                        column.name(),
                        "column '" + column.name() + "' of table '" + table + "' is numeric(" + column.precision()
                                + "," + column.scale() + "); " + value.toPlainString() + " has more than "
                                + column.scale() + " decimal places and PostgreSQL would round it");
            }
            int integerDigits = Math.max(0, stripped.precision() - stripped.scale());
            if (integerDigits > column.precision() - column.scale()) {
                throw new InvalidRecordException(
                        Reason.WRONG_TYPE,
                        table,
                        column.name(),
                        "column '" + column.name() + "' of table '" + table + "' is numeric(" + column.precision()
                                + "," + column.scale() + "); " + value.toPlainString() + " has more than "
                                + (column.precision() - column.scale()) + " digits before the decimal point");
            }
        }
        return value.toPlainString();
    }

    /** A numeric given as text: exact decimal digits, or one of PostgreSQL's special values. */
    private static String numericText(String table, ColumnDef column, String s) {
        if (s.equals("NaN") || s.equals("Infinity") || s.equals("-Infinity")) {
            return quote(s);
        }
        BigDecimal parsed;
        try {
            parsed = new BigDecimal(s);
        } catch (NumberFormatException e) {
            throw badValue(
                    table,
                    column,
                    "a decimal number such as \"0.9731\" (or NaN, Infinity, -Infinity), got '" + abbreviate(s) + "'",
                    e);
        }
        return numeric(table, column, parsed);
    }

    private static BigInteger integralOf(String table, ColumnDef column, Object value) {
        return switch (value) {
            case Long l -> BigInteger.valueOf(l);
            case Integer i -> BigInteger.valueOf(i);
            case Short s -> BigInteger.valueOf(s);
            case Byte b -> BigInteger.valueOf(b);
            case BigInteger b -> b;
            default -> throw wrongType(table, column, value);
        };
    }

    private static String integer(String table, ColumnDef column, BigInteger v) {
        int idx = column.type() == SqlType.SMALLINT ? 0 : column.type() == SqlType.INTEGER ? 1 : 2;
        if (v.compareTo(MIN[idx]) < 0 || v.compareTo(MAX[idx]) > 0) {
            throw new InvalidRecordException(
                    Reason.WRONG_TYPE,
                    table,
                    column.name(),
                    "column '" + column.name() + "' of table '" + table + "' is "
                            + column.type().sqlName() + " (" + MIN[idx] + ".." + MAX[idx] + "), got " + v);
        }
        return v.toString();
    }

    private static String uuidText(String table, ColumnDef column, String s) {
        if (!UUID_TEXT.matcher(s).matches()) {
            throw badValue(table, column, "a uuid like 7c0e5b1e-3f2a-4d1b-9c3e-0a1b2c3d4e5f", null);
        }
        return s.toLowerCase(java.util.Locale.ROOT);
    }

    private static void requireMicros(String table, ColumnDef column, TemporalAccessor t) {
        if (t.get(ChronoField.NANO_OF_SECOND) % 1000 != 0) {
            throw new InvalidRecordException(
                    Reason.WRONG_TYPE,
                    table,
                    column.name(),
                    "column '" + column.name() + "' of table '" + table
                            + "' keeps microseconds, as PostgreSQL does; this value has nanoseconds"
                            + " (truncate it with .truncatedTo(ChronoUnit.MICROS))");
        }
    }

    private static String canonicalJson(String table, ColumnDef column, String text) {
        try {
            return ExactJson.mapper().writeValueAsString(ExactJson.mapper().readTree(text));
        } catch (JacksonException e) {
            throw badValue(table, column, "JSON text", e);
        }
    }

    private static String floatText(float f) {
        return Float.isNaN(f) || Float.isInfinite(f) ? quote(specialFloat(f)) : Float.toString(f);
    }

    private static String doubleText(double d) {
        return Double.isNaN(d) || Double.isInfinite(d) ? quote(specialFloat(d)) : Double.toString(d);
    }

    private static String specialFloat(double d) {
        return Double.isNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity";
    }

    private static double specialValue(String s) {
        return switch (s) {
            case "NaN" -> Double.NaN;
            case "Infinity" -> Double.POSITIVE_INFINITY;
            case "-Infinity" -> Double.NEGATIVE_INFINITY;
            default -> throw new IllegalArgumentException("'" + s + "' is not NaN, Infinity or -Infinity");
        };
    }

    private static String requireString(ColumnDef column, JsonNode node) {
        if (!node.isString()) {
            throw new IllegalArgumentException("value of column '" + column.name() + "' must be a JSON string");
        }
        return node.stringValue();
    }

    private static String quote(String s) {
        // Fast path for the common case: nothing to escape (JSON escapes only '"', '\\' and control characters).
        boolean plain = true;
        for (int i = 0; i < s.length() && plain; i++) {
            char c = s.charAt(i);
            plain = c >= 0x20 && c != '"' && c != '\\';
        }
        if (plain) {
            return "\"" + s + "\"";
        }
        JsonStringEncoder enc = JsonStringEncoder.getInstance();
        StringBuilder sb = new StringBuilder(s.length() + 2);
        sb.append('"');
        enc.quoteAsString(s, sb);
        return sb.append('"').toString();
    }

    private static InvalidRecordException wrongType(String table, ColumnDef column, Object value) {
        String given = value.getClass().getSimpleName();
        String advice = column.type() == SqlType.NUMERIC && (value instanceof Double || value instanceof Float)
                // Invariant 8: a numeric keeps its exact value. A double holds 0.1 as 0.1000000000000000055...,
                // so which decimal was meant is a guess Cistern does not make on the producer's behalf.
                ? "; binary floating point cannot hold most decimal values exactly and numeric keeps the exact"
                        + " value, so pass a BigDecimal (BigDecimal.valueOf(d) keeps the digits Double.toString(d)"
                        + " shows) or a String such as \"0.9731\""
                : "";
        return new InvalidRecordException(
                Reason.WRONG_TYPE,
                table,
                column.name(),
                "column '" + column.name() + "' of table '" + table + "' is "
                        + column.type().sqlName() + " and cannot hold a " + given + "; it takes "
                        + acceptedJavaTypes(column.type()) + advice);
    }

    /** The Java types {@link #encode} accepts for a column of {@code type} (besides null and a JsonNode). */
    static String acceptedJavaTypes(SqlType type) {
        return switch (type) {
            case TEXT -> "a String";
            case SMALLINT, INTEGER, BIGINT -> "a Long, Integer, Short, Byte or BigInteger (within range)";
            case NUMERIC ->
                "a BigDecimal, BigInteger, Long, Integer, Short, a String of decimal digits, or a Double NaN or"
                        + " infinity";
            case REAL -> "a Float";
            case DOUBLE -> "a Double or Float";
            case BOOLEAN -> "a Boolean";
            case UUID -> "a UUID or its String form";
            case DATE -> "a LocalDate";
            case TIMESTAMP -> "a LocalDateTime";
            case TIMESTAMPTZ -> "an Instant, OffsetDateTime or ZonedDateTime";
            case JSON, JSONB -> "a String of JSON text, a JsonNode, Map, List, Number or Boolean";
            case BYTEA -> "a byte[]";
        };
    }

    /**
     * Why {@code json}, a value of {@code column} that could not be turned into SQL, is refused, written for a person:
     * the column, its type, what it needs and the value (cut to 60 characters). Never a library's class names: this is
     * the reason a dead letter carries when a producer (a plain Redis client, say) wrote a value the writer would have
     * refused.
     */
    public static String refusal(String table, ColumnDef column, String json) {
        JsonNode node;
        try {
            node = ExactJson.mapper().readTree(json);
        } catch (JacksonException e) {
            return "column '" + column.name() + "' of table '" + table + "' ("
                    + column.type().sqlName() + ") needs a JSON value, got " + abbreviate(json);
        }
        try {
            encodeJson(table, column, node);
        } catch (InvalidRecordException e) {
            return e.getMessage();
        }
        return "column '" + column.name() + "' of table '" + table + "' ("
                + column.type().sqlName() + ") cannot hold " + abbreviate(json);
    }

    private static InvalidRecordException badValue(String table, ColumnDef column, String expected, Throwable cause) {
        return new InvalidRecordException(
                Reason.WRONG_TYPE,
                table,
                column.name(),
                "column '" + column.name() + "' of table '" + table + "' ("
                        + column.type().sqlName() + ") needs " + expected,
                cause);
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }
}
