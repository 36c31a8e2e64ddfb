package io.cistern.schema.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cistern.connections.testing.TestRedis;
import io.cistern.schema.codec.Operation;
import io.cistern.schema.failure.InvalidRecordException;
import io.cistern.schema.function.BufferLimits;
import io.cistern.schema.function.FunctionLibrary;
import io.cistern.schema.registry.ColumnDef;
import io.cistern.schema.registry.RedisRegistry;
import io.cistern.schema.registry.SqlType;
import io.cistern.schema.registry.TableDef;
import io.cistern.schema.registry.TableRegistry;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.sync.RedisCommands;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Function library's key check ({@code prepare} in {@code cistern_v1.lua}) agrees with {@link RecordAddress} over
 * random composite keys: text that needs %-encoding, uuids in any case, integers at their limits. Each key's address
 * is computed in Java and written through {@code FCALL}: Lua accepts it in Java's partition and, in any other, refuses
 * it naming Java's partition. Keys that Java refuses (not canonical %-encoding, wrong component count), Lua refuses too.
 * The seed is in every failure message; rerun one with {@code -Dcistern.seed=...}.
 */
class RecordAddressLuaPropertyIT {
    private static final int PARTITIONS = 8;
    private static final int KEYS = 300;

    private static final TableDef TEXTS = table("texts", 1, column("name", SqlType.TEXT));
    private static final TableDef UUIDS = table("uuids", 1, column("id", SqlType.UUID));
    private static final TableDef BIGINTS = table("bigints", 1, column("id", SqlType.BIGINT));
    private static final TableDef INTS = table("ints", 1, column("id", SqlType.INTEGER));
    private static final TableDef CHILDREN =
            table("children", 1, column("parent", SqlType.UUID), column("name", SqlType.TEXT));
    private static final TableDef COMPOSITE = table(
            "composite",
            2,
            column("name", SqlType.TEXT),
            column("id", SqlType.UUID),
            column("n", SqlType.BIGINT),
            column("i", SqlType.INTEGER),
            column("s", SqlType.SMALLINT));
    private static final List<TableDef> TABLES = List.of(TEXTS, UUIDS, BIGINTS, INTS, CHILDREN, COMPOSITE);

    /** Characters a text key component draws from: unreserved ones, reserved ASCII, non-ASCII and an emoji. */
    private static final String[] TEXT_PIECES = {
        "a", "Z", "7", "-", ".", "_", "~", " ", "/", ":", "%", "{", "}", ",", "?", "#", "+", "&", "é", "ü", "日", "😀",
        "\u00A0"
    };

    /** Characters that must never stand bare in an encoded key ('%' alone starts a truncated escape). */
    private static final String[] BARE = {" ", "/", ":", "%", "{", "}", "é", "😀"};

    private TestRedis redis;
    private RedisCommands<String, String> cmd;
    private KeyLayout layout;
    private long seed;
    private Random random;

    private static ColumnDef column(String name, SqlType type) {
        return new ColumnDef(name, type, false, false, 0);
    }

    private static TableDef table(String name, int routing, ColumnDef... keyColumns) {
        return new TableDef(
                name,
                List.of(keyColumns),
                Arrays.stream(keyColumns).map(ColumnDef::name).toList(),
                routing,
                Optional.empty());
    }

    @BeforeEach
    void setUp() {
        redis = TestRedis.create(getClass().getSimpleName());
        cmd = redis.commands();
        layout = new KeyLayout(redis.prefix());
        FunctionLibrary.install(cmd);
        new RedisRegistry(cmd, layout).publish(new TableRegistry(PARTITIONS, TABLES), BufferLimits.DEFAULTS);
        for (int p = 0; p < PARTITIONS; p++) {
            cmd.fcall(FunctionLibrary.CONFIRM_FUNCTION, ScriptOutputType.MULTI, new String[] {layout.meta(p)}, "0");
        }
        seed = Long.getLong("cistern.seed", System.nanoTime());
        random = new Random(seed);
    }

    @AfterEach
    void tearDown() {
        redis.close();
    }

    @Test
    void javaAddress_isAcceptedInItsPartition_andRefusedInAnyOtherNamingIt() {
        for (int i = 0; i < KEYS; i++) {
            TableDef table = TABLES.get(random.nextInt(TABLES.size()));
            List<Object> values = randomValues(table);
            RecordAddress address = RecordAddress.of(table, values);
            int p = address.partition(PARTITIONS);
            String context = "seed " + seed + ", key #" + i + " of table " + table.name() + ": values " + values
                    + " -> " + address.key() + " (Java partition " + p + ")";

            assertThat(RecordAddress.parse(table, address.key()))
                    .as("round trip, " + context)
                    .isEqualTo(address);
            assertThat(put(table, address.key(), p))
                    .as("Lua's reply, " + context)
                    .isNull();
            int other = (p + 1 + random.nextInt(PARTITIONS - 1)) % PARTITIONS;
            assertThat(put(table, address.key(), other))
                    .as("Lua's reply in partition " + other + ", " + context)
                    .startsWith("CISTERN_BADKEY ")
                    .contains(" belongs to partition " + p + " (crc32 of \"" + address.routingText() + "\"");
        }
    }

    @Test
    void keyNotInCanonicalEncoding_isRefusedByJavaAndByLua() {
        List<String> bad = new ArrayList<>(List.of(
                "%41", // escapes an unreserved character
                "a%2cb", // lower-case hex
                "%2", // truncated escape
                "%",
                "%G0",
                "%FF", // not UTF-8
                "%C3", // a UTF-8 character broken off
                "%C3a",
                "%E2%82",
                "%C3%2C%A9", // a character interrupted by another
                "%C0%80", // overlong
                "%ED%A0%80", // a surrogate
                "%F4%90%80%80", // above U+10FFFF
                "a b",
                "a/b",
                "é"));
        for (int i = 0; i < KEYS / 3; i++) {
            bad.add(miscoded(KeyEncoding.encodeComponent(randomText())));
        }
        for (String key : bad) {
            String context = "seed " + seed + ", key '" + key + "'";
            assertThatThrownBy(() -> RecordAddress.parse(TEXTS, key))
                    .as("Java, " + context)
                    .isInstanceOf(InvalidRecordException.class);
            int p = Partitioner.partitionOf(key, PARTITIONS);
            assertThat(put(TEXTS, key, p))
                    .as("Lua, " + context)
                    .startsWith("CISTERN_BADKEY ")
                    .doesNotContain("belongs to partition");
        }
    }

    @Test
    void keyWithTheWrongNumberOfComponents_isRefusedByJavaAndByLua() {
        for (int i = 0; i < KEYS / 3; i++) {
            TableDef table = TABLES.get(random.nextInt(TABLES.size()));
            String key = RecordAddress.of(table, randomValues(table)).key();
            String wrong = random.nextBoolean() || table.primaryKey().size() == 1
                    ? key + "," + KeyEncoding.encodeComponent(randomText())
                    : key.substring(0, key.lastIndexOf(','));
            String context = "seed " + seed + ", key '" + wrong + "' of table " + table.name();
            assertThatThrownBy(() -> RecordAddress.parse(table, wrong))
                    .as("Java, " + context)
                    .isInstanceOf(InvalidRecordException.class)
                    .hasMessageContaining(" components");
            int p = Partitioner.partitionOf(Partitioner.routingText(wrong, table.routingColumns()), PARTITIONS);
            assertThat(put(table, wrong, p))
                    .as("Lua, " + context)
                    .startsWith("CISTERN_BADKEY ")
                    .contains(" components, needs " + table.primaryKey().size());
        }
    }

    /** Writes a put of {@code key} (no columns) to {@code partition}; null when accepted, else Lua's error reply. */
    private String put(TableDef table, String key, int partition) {
        String[] keys = {layout.record(partition, table.name(), key), layout.stream(partition), layout.meta(partition)};
        try {
            List<Object> reply = cmd.fcall(
                    FunctionLibrary.functionName(Operation.PUT), ScriptOutputType.MULTI, keys, table.name(), key);
            assertThat(reply).hasSize(2);
            return null;
        } catch (RedisCommandExecutionException e) {
            return e.getMessage();
        }
    }

    private List<Object> randomValues(TableDef table) {
        List<Object> values = new ArrayList<>();
        for (ColumnDef c : table.keyColumns()) {
            values.add(
                    switch (c.type()) {
                        case TEXT -> randomText();
                        case UUID -> randomUuid();
                        case BIGINT ->
                            randomInteger(
                                    Long.MIN_VALUE,
                                    Long.MAX_VALUE,
                                    random.nextLong(),
                                    BigInteger.valueOf(random.nextLong()));
                        case INTEGER -> randomInteger(Integer.MIN_VALUE, Integer.MAX_VALUE, random.nextInt(), null);
                        case SMALLINT ->
                            randomInteger(Short.MIN_VALUE, Short.MAX_VALUE, (short) random.nextInt(), null);
                        default -> throw new IllegalStateException("no generator for " + c.type());
                    });
        }
        return values;
    }

    private String randomText() {
        int length = random.nextInt(10) == 0 ? 0 : 1 + random.nextInt(12);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < length; i++) {
            sb.append(TEXT_PIECES[random.nextInt(TEXT_PIECES.length)]);
        }
        return sb.toString();
    }

    /** A uuid as a UUID, or as text in lower, upper or mixed case. */
    private Object randomUuid() {
        UUID uuid = new UUID(random.nextLong(), random.nextLong());
        String text = uuid.toString();
        return switch (random.nextInt(4)) {
            case 0 -> uuid;
            case 1 -> text;
            case 2 -> text.toUpperCase(Locale.ROOT);
            default -> {
                StringBuilder mixed = new StringBuilder(text.length());
                for (char c : text.toCharArray()) {
                    mixed.append(random.nextBoolean() ? Character.toUpperCase(c) : c);
                }
                yield mixed.toString();
            }
        };
    }

    /** An integer at a limit, near zero or anywhere; as a Java number or as its text. */
    private Object randomInteger(long min, long max, Number any, Object alternative) {
        Number n = switch (random.nextInt(5)) {
            case 0 -> min;
            case 1 -> max;
            case 2 -> random.nextInt(3) - 1;
            default -> any;
        };
        return switch (random.nextInt(4)) {
            case 0 -> n.toString();
            case 1 -> alternative != null ? new BigInteger(n.toString()) : n.longValue();
            default -> boxedLike(n, max);
        };
    }

    private static Object boxedLike(Number n, long max) {
        if (max == Short.MAX_VALUE) {
            return n.shortValue();
        }
        return max == Integer.MAX_VALUE ? (Object) n.intValue() : (Object) n.longValue();
    }

    /**
     * A canonical encoding made non-canonical in one random way: an unreserved character escaped, an escape's hex in
     * lower case, an escape cut short, or a reserved character left bare.
     */
    private String miscoded(String encoded) {
        int escape = encoded.indexOf('%');
        return switch (random.nextInt(4)) {
            case 0 -> encoded + "%" + String.format("%02X", (int) "AZaz09-._~".charAt(random.nextInt(10)));
            case 1 -> encoded + "%2f";
            case 2 -> escape >= 0 ? encoded.substring(0, escape + 2) : encoded + "%E";
            default -> encoded + BARE[random.nextInt(BARE.length)];
        };
    }
}
