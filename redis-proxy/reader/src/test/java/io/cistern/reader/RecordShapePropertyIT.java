package io.cistern.reader;

import static org.assertj.core.api.Assertions.assertThat;

import io.cistern.schema.codec.ExactJson;
import io.cistern.schema.keys.RecordAddress;
import io.cistern.schema.registry.ColumnDef;
import io.cistern.schema.registry.SqlType;
import io.cistern.schema.registry.TableDef;
import io.cistern.schema.registry.TableRegistry;
import io.cistern.writer.RecordKey;
import io.cistern.writer.RecordWriter;
import io.cistern.writer.WriteReceipt;
import io.cistern.writer.WriterSettings;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One record, one shape (DESIGN invariant 12): random records over every column type Cistern supports ({@link
 * SqlType}) and over key shapes (a composite text + integer key whose text needs %-encoding; a key of every key type),
 * written, synced, then read through each tier in turn, forced: Redis (a reader with no local cache; the first read also
 * completes the database defaults from the row, the second reads the completed hash alone), the local cache (a reader
 * with one, read twice), and PostgreSQL (the record hash deleted). Each answer must come from the tier forced and be
 * the same bytes: version, the record's JSON (key columns and database defaults included) and the pending columns.
 *
 * <p>Seeded: the seed is in every failure message; run again with {@code -Dcistern.seed=N}.
 */
class RecordShapePropertyIT {
    private static final int RECORDS_PER_TABLE = 40;
    private static final String EVERY_TYPE = "shape_every_type";
    private static final String EVERY_KEY = "shape_every_key";
    private static final String KEY_CHARS = "ab,%/ ?#+é日😀\\\"'~.";

    private static ReaderFixture cistern;
    private static RecordWriter writer;
    private static CachedReader redisOnly;
    private static CachedReader withLocal;
    private static TableRegistry registry;

    @BeforeAll
    static void start() {
        cistern = ReaderFixture.shared("RecordShapePropertyIT");
        cistern.sql(
                "DROP TABLE IF EXISTS " + EVERY_TYPE + ", " + EVERY_KEY,
                "CREATE TABLE " + EVERY_TYPE + " ("
                        + " name text NOT NULL, n integer NOT NULL,"
                        + " c_text text, c_varchar varchar(20), c_small smallint, c_int integer, c_big bigint,"
                        + " c_num numeric, c_num_scaled numeric(12,3), c_real real, c_double double precision,"
                        + " c_bool boolean, c_uuid uuid, c_date date, c_ts timestamp, c_tstz timestamptz,"
                        + " c_json json, c_jsonb jsonb, c_bytea bytea,"
                        + " d_int integer NOT NULL DEFAULT 7,"
                        + " d_jsonb jsonb DEFAULT '{\"bb\": 1.50, \"a\": [1e2]}',"
                        + " created_at timestamptz NOT NULL DEFAULT now(),"
                        + " PRIMARY KEY (name, n))",
                "CREATE TABLE " + EVERY_KEY + " ("
                        + " u uuid, d date, b bigint, s smallint, t text, note text,"
                        + " touched timestamptz NOT NULL DEFAULT now(),"
                        + " PRIMARY KEY (u, d, b, s, t))");
        registry = cistern.register(Map.of(EVERY_TYPE, "", EVERY_KEY, "u"));
        writer = RecordWriter.connect(WriterSettings.of(cistern.redisUrl)
                .mutate()
                .prefix(cistern.prefix)
                .build());
        cistern.syncWorker(ReaderFixture.LONG_TTL, registry);
        redisOnly =
                cistern.reader(cistern.settings().mutate().localCacheEntries(0).build());
        withLocal = cistern.reader();
    }

    @AfterAll
    static void stop() {
        if (writer != null) {
            writer.close();
        }
        cistern.close();
    }

    @Test
    void everyColumnType_readsTheSameFromEveryTier() {
        checkEveryTier(EVERY_TYPE, Long.getLong("cistern.seed", System.nanoTime()));
    }

    @Test
    void everyKeyShape_readsTheSameFromEveryTier() {
        checkEveryTier(EVERY_KEY, Long.getLong("cistern.seed", System.nanoTime()));
    }

    private static void checkEveryTier(String table, long seed) {
        Random random = new Random(seed);
        TableDef def = registry.table(table).orElseThrow();
        for (int i = 0; i < RECORDS_PER_TABLE; i++) {
            List<Object> keyValues = keyValues(def, random);
            Map<String, Object> values = values(def, random);
            String context = "seed " + seed + " (-Dcistern.seed=" + seed + "), record " + i + " of " + table + ", key "
                    + keyValues + ", values " + values;

            // given a put, synced
            WriteReceipt put = writer.put(table, RecordKey.of(keyValues.toArray()), values);
            writer.awaitSynced(put, Duration.ofSeconds(30));
            String key = redisOnly.key(table, keyValues.toArray());

            // when it is read through each tier, forced
            ReadResult redisFirst = redisOnly.get(table, key); // the hash, completed with the row's defaults
            ReadResult redisAgain = redisOnly.get(table, key); // the completed hash alone
            withLocal.get(table, key);
            ReadResult local = withLocal.get(table, key);
            cistern.redis().del(RecordAddress.parse(def, key).recordKey(cistern.layout, ReaderFixture.PARTITIONS));
            ReadResult database = redisOnly.get(table, key);

            // then each tier answered, with the same bytes
            assertThat(List.of(redisFirst, redisAgain, local, database))
                    .as(context)
                    .extracting(ReadResult::tier)
                    .containsExactly(Tier.REDIS, Tier.REDIS, Tier.LOCAL, Tier.DATABASE);
            String expected = shape(database);
            for (ReadResult r : List.of(redisFirst, redisAgain, local)) {
                assertThat(shape(r)).as(context + ", answered by " + r.tier()).isEqualTo(expected);
            }
            // ... with every column, the key columns as the key says, the version of the put
            ReadResult.Found found = (ReadResult.Found) database;
            assertThat(found.version()).as(context).isEqualTo(put.version());
            assertThat(found.pending()).as(context).isEmpty();
            assertThat(found.columns().keySet())
                    .as(context)
                    .containsExactlyElementsOf(
                            def.columns().stream().map(ColumnDef::name).toList());
            List<ColumnDef> keyColumns = def.keyColumns();
            for (int k = 0; k < keyColumns.size(); k++) {
                Object expectedKey = keyValues.get(k);
                Object read = found.value(keyColumns.get(k).name());
                assertThat(read instanceof Number n ? n.longValue() : read)
                        .as(context)
                        .isEqualTo(expectedKey instanceof Number n ? n.longValue() : expectedKey);
            }
        }
    }

    private static String shape(ReadResult r) {
        ReadResult.Found f = (ReadResult.Found) r;
        return f.version() + " " + f.recordJson() + " pending " + f.pending();
    }

    // ------------------------------------------------------------------------------------------------ generators

    private static List<Object> keyValues(TableDef def, Random random) {
        List<Object> values = new ArrayList<>();
        for (ColumnDef c : def.keyColumns()) {
            values.add(
                    switch (c.type()) {
                        case TEXT -> text(random, 1 + random.nextInt(12), KEY_CHARS);
                        case SMALLINT -> (short) (random.nextInt(65_536) - 32_768);
                        case INTEGER -> random.nextInt();
                        case BIGINT -> random.nextLong();
                        case UUID -> new UUID(random.nextLong(), random.nextLong());
                        case DATE -> LocalDate.ofEpochDay(random.nextInt(-25_000, 80_000));
                        default -> throw new IllegalStateException("no key of type " + c.type());
                    });
        }
        return values;
    }

    /** A random value for every column but the key; a defaulted column is left out half the time. */
    private static Map<String, Object> values(TableDef def, Random random) {
        Map<String, Object> values = new LinkedHashMap<>();
        for (ColumnDef c : def.columns()) {
            if (def.primaryKey().contains(c.name()) || (c.hasDefault() && random.nextBoolean())) {
                continue;
            }
            values.put(c.name(), c.nullable() && random.nextInt(8) == 0 ? null : value(c, random));
        }
        return values;
    }

    private static Object value(ColumnDef c, Random random) {
        return switch (c.type()) {
            case TEXT ->
                text(
                        random,
                        random.nextInt(c.maxLength() > 0 ? c.maxLength() + 1 : 40),
                        "abcXYZ 09\"\\/\n\t\u0001éß日本😀<>&");
            case SMALLINT -> (short) (random.nextInt(65_536) - 32_768);
            case INTEGER -> random.nextInt();
            case BIGINT -> random.nextLong();
            case NUMERIC -> numeric(c, random);
            case REAL ->
                switch (random.nextInt(10)) {
                    case 0 -> Float.NaN;
                    case 1 -> random.nextBoolean() ? Float.POSITIVE_INFINITY : Float.NEGATIVE_INFINITY;
                    case 2 -> random.nextBoolean() ? -0.0f : Float.MAX_VALUE;
                    default -> (float) (random.nextGaussian() * Math.pow(10, random.nextInt(-20, 20)));
                };
            case DOUBLE ->
                switch (random.nextInt(10)) {
                    case 0 -> Double.NaN;
                    case 1 -> random.nextBoolean() ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
                    case 2 -> random.nextBoolean() ? -0.0 : Double.MIN_NORMAL;
                    default -> random.nextGaussian() * Math.pow(10, random.nextInt(-200, 200));
                };
            case BOOLEAN -> random.nextBoolean();
            case UUID -> new UUID(random.nextLong(), random.nextLong());
            case DATE -> LocalDate.ofEpochDay(random.nextInt(-25_000, 80_000));
            case TIMESTAMP -> timestamp(random);
            case TIMESTAMPTZ ->
                OffsetDateTime.of(timestamp(random), ZoneOffset.ofTotalSeconds(900 * random.nextInt(-56, 57)));
            case JSON, JSONB -> json(random, 3);
            case BYTEA -> {
                byte[] bytes = new byte[random.nextInt(40)];
                random.nextBytes(bytes);
                yield bytes;
            }
        };
    }

    /** Within the column's precision and scale, at any scale up to it; unconstrained: any scale, NaN, infinities. */
    private static Object numeric(ColumnDef c, Random random) {
        if (random.nextInt(12) == 0) {
            return c.scale() < 0 && random.nextBoolean() ? Double.POSITIVE_INFINITY : Double.NaN;
        }
        if (c.scale() >= 0) {
            int scale = random.nextInt(c.scale() + 1);
            int digits = 1 + random.nextInt(c.precision() - c.scale() + scale);
            BigInteger unscaled = new BigInteger(digits * 3, random).mod(BigInteger.TEN.pow(digits));
            return new BigDecimal(random.nextBoolean() ? unscaled : unscaled.negate(), scale);
        }
        return new BigDecimal(BigInteger.valueOf(random.nextLong()), random.nextInt(-3, 12));
    }

    private static LocalDateTime timestamp(Random random) {
        return LocalDateTime.ofEpochSecond(
                random.nextLong(-2_000_000_000L, 7_000_000_000L),
                random.nextBoolean() ? 0 : random.nextInt(1_000_000) * 1_000,
                ZoneOffset.UTC);
    }

    /** Random JSON text: nested, with spacing, keys of mixed lengths (some repeated), exact and exponent numbers. */
    private static String json(Random random, int depth) {
        int kind = depth == 0 ? random.nextInt(4) : random.nextInt(6);
        String space = random.nextBoolean() ? " " : "";
        return switch (kind) {
            case 0 -> quoted(text(random, random.nextInt(8), "ab \"\\/é日😀\n"));
            case 1 ->
                switch (random.nextInt(5)) {
                    case 0 -> Long.toString(random.nextLong());
                    case 1 -> "12.50";
                    case 2 -> "-0.000" + random.nextInt(1, 1000);
                    case 3 -> random.nextInt(1, 99) + ".5e" + random.nextInt(-4, 5);
                    default -> Integer.toString(random.nextInt(1000));
                };
            case 2 -> random.nextBoolean() ? "true" : "null";
            case 3 -> "false";
            case 4 -> {
                List<String> items = new ArrayList<>();
                for (int i = random.nextInt(4); i > 0; i--) {
                    items.add(json(random, depth - 1));
                }
                yield "[" + space + String.join("," + space, items) + "]";
            }
            default -> {
                List<String> members = new ArrayList<>();
                List<String> keys = new ArrayList<>();
                for (int i = random.nextInt(5); i > 0; i--) {
                    String name = !keys.isEmpty() && random.nextInt(6) == 0
                            ? keys.get(random.nextInt(keys.size()))
                            : text(random, random.nextInt(6), "abzAZ_é日");
                    keys.add(name);
                    members.add(quoted(name) + space + ":" + space + json(random, depth - 1));
                }
                yield "{" + space + String.join("," + space, members) + space + "}";
            }
        };
    }

    private static String quoted(String s) {
        return ExactJson.mapper().writeValueAsString(s);
    }

    private static String text(Random random, int length, String alphabet) {
        int[] points = alphabet.codePoints().toArray();
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < length; i++) {
            s.appendCodePoint(points[random.nextInt(points.length)]);
        }
        return s.toString();
    }
}
