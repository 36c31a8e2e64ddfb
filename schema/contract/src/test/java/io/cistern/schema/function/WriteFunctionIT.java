package io.cistern.schema.function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.cistern.connections.testing.PrivateRedis;
import io.cistern.connections.testing.TestRedis;
import io.cistern.schema.codec.ChangeEntry;
import io.cistern.schema.codec.Operation;
import io.cistern.schema.failure.CisternException;
import io.cistern.schema.failure.FailureTranslator;
import io.cistern.schema.failure.InvalidRecordException;
import io.cistern.schema.failure.RetryableException;
import io.cistern.schema.keys.KeyEncoding;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.keys.Partitioner;
import io.cistern.schema.registry.ColumnDef;
import io.cistern.schema.registry.RedisRegistry;
import io.cistern.schema.registry.SqlType;
import io.cistern.schema.registry.TableDef;
import io.cistern.schema.registry.TableRegistry;
import io.lettuce.core.Range;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The write Functions of the Lua library against a real Redis, with a handcrafted registry: what they store in the
 * record hash and on the stream, and what they refuse.
 */
class WriteFunctionIT {
    private static final int PARTITIONS = 4;
    private static final TableDef DOCS = new TableDef(
            "docs",
            List.of(
                    new ColumnDef("id", SqlType.TEXT, false, false, 0),
                    new ColumnDef("title", SqlType.TEXT, true, false, 0),
                    new ColumnDef("n", SqlType.BIGINT, true, false, 0),
                    new ColumnDef("body", SqlType.JSONB, true, false, 0)),
            List.of("id"),
            1,
            Optional.empty());
    private static final TableDef PARTS = new TableDef(
            "parts",
            List.of(
                    new ColumnDef("doc", SqlType.TEXT, false, false, 0),
                    new ColumnDef("part", SqlType.BIGINT, false, false, 0),
                    new ColumnDef("label", SqlType.TEXT, true, false, 0)),
            List.of("doc", "part"),
            1,
            Optional.of("docs"));
    private static final TableRegistry REGISTRY = new TableRegistry(PARTITIONS, List.of(DOCS, PARTS));

    private TestRedis redis;
    private RedisCommands<String, String> cmd;
    private KeyLayout layout;

    @BeforeEach
    void setUp() {
        redis = TestRedis.create(getClass().getSimpleName());
        cmd = redis.commands();
        layout = new KeyLayout(redis.prefix());
        FunctionLibrary.install(cmd);
    }

    @AfterEach
    void tearDown() {
        redis.close();
    }

    // ---------------------------------------------------------------------------------------------- helpers

    private void publishAndSeed(BufferLimits limits, long floor) {
        new RedisRegistry(cmd, layout).publish(REGISTRY, limits);
        for (int p = 0; p < PARTITIONS; p++) {
            seed(p, floor);
        }
    }

    private long seed(int partition, long floor) {
        return cmd.fcall(
                FunctionLibrary.SEED_FUNCTION,
                ScriptOutputType.INTEGER,
                new String[] {layout.meta(partition)},
                Long.toString(floor));
    }

    private static String key(String... components) {
        return KeyEncoding.encode(List.of(components));
    }

    private static int partitionOf(TableDef table, String encodedKey) {
        return Partitioner.partitionOf(Partitioner.routingText(encodedKey, table.routingColumns()), PARTITIONS);
    }

    private List<Object> call(Operation op, TableDef table, String encodedKey, String... columnValues) {
        return callIn(partitionOf(table, encodedKey), op, table.name(), encodedKey, columnValues);
    }

    private List<Object> callIn(int partition, Operation op, String table, String encodedKey, String... columnValues) {
        String[] keys = {layout.record(partition, table, encodedKey), layout.stream(partition), layout.meta(partition)};
        List<String> args = new ArrayList<>(List.of(table, encodedKey));
        args.addAll(List.of(columnValues));
        return cmd.fcall(FunctionLibrary.functionName(op), ScriptOutputType.MULTI, keys, args.toArray(String[]::new));
    }

    private static long version(List<Object> reply) {
        return ((Number) reply.get(0)).longValue();
    }

    private Map<String, String> record(TableDef table, String encodedKey) {
        return cmd.hgetall(layout.record(partitionOf(table, encodedKey), table.name(), encodedKey));
    }

    private List<StreamMessage<String, String>> stream(int partition) {
        return cmd.xrange(layout.stream(partition), Range.create("-", "+"));
    }

    private long totalEntries() {
        long n = 0;
        for (int p = 0; p < PARTITIONS; p++) {
            n += cmd.xlen(layout.stream(p));
        }
        return n;
    }

    private static RedisCommandExecutionException refusal(Runnable write) {
        try {
            write.run();
        } catch (RedisCommandExecutionException e) {
            return e;
        }
        throw new AssertionError("the write was expected to be refused, but it was accepted");
    }

    /** Finds a document id of the given partition. */
    private static String docIdIn(int partition, String hint) {
        for (int i = 0; ; i++) {
            String id = hint + "-" + i;
            if (partitionOf(DOCS, key(id)) == partition) {
                return id;
            }
        }
    }

    // ---------------------------------------------------------------------------------------------- put, patch, delete

    @Test
    void put_storesTheWholeRecordAndAppendsOneMatchingEntry() {
        publishAndSeed(BufferLimits.DEFAULTS, 0);
        String k = key("doc a,1");
        int p = partitionOf(DOCS, k);

        List<Object> reply = call(Operation.PUT, DOCS, k, "title", "\"Hello 😀\"", "n", "9007199254740993");

        long v = version(reply);
        assertThat(v).isPositive();
        assertThat(record(DOCS, k))
                .containsExactlyInAnyOrderEntriesOf(Map.of(
                        "v", Long.toString(v), "s", "put", "c:title", "\"Hello 😀\"", "c:n", "9007199254740993"));
        List<StreamMessage<String, String>> entries = stream(p);
        assertThat(entries).hasSize(1);
        assertThat(entries.get(0).getId()).isEqualTo(reply.get(1));
        ChangeEntry entry =
                ChangeEntry.fromFields(entries.get(0).getId(), entries.get(0).getBody());
        assertThat(entry)
                .isEqualTo(new ChangeEntry(
                        (String) reply.get(1),
                        "docs",
                        k,
                        Operation.PUT,
                        v,
                        Map.of("title", "\"Hello 😀\"", "n", "9007199254740993")));
    }

    @Test
    void secondPut_replacesColumnsItDoesNotGive() {
        publishAndSeed(BufferLimits.DEFAULTS, 0);
        String k = key("a");
        long v1 = version(call(Operation.PUT, DOCS, k, "title", "\"one\"", "n", "1"));

        long v2 = version(call(Operation.PUT, DOCS, k, "title", "\"two\""));

        assertThat(v2).isGreaterThan(v1);
        assertThat(record(DOCS, k))
                .containsExactlyInAnyOrderEntriesOf(Map.of("v", Long.toString(v2), "s", "put", "c:title", "\"two\""));
    }

    @Test
    void patch_changesOnlyTheGivenColumnsAndItsEntryCarriesOnlyThem() {
        publishAndSeed(BufferLimits.DEFAULTS, 0);
        String k = key("a");
        int p = partitionOf(DOCS, k);
        call(Operation.PUT, DOCS, k, "title", "\"one\"", "n", "1");

        List<Object> reply = call(Operation.PATCH, DOCS, k, "n", "2");

        assertThat(record(DOCS, k))
                .containsExactlyInAnyOrderEntriesOf(
                        Map.of("v", Long.toString(version(reply)), "s", "put", "c:title", "\"one\"", "c:n", "2"));
        StreamMessage<String, String> last = stream(p).getLast();
        assertThat(last.getBody())
                .containsExactlyInAnyOrderEntriesOf(
                        Map.of("t", "docs", "k", k, "o", "patch", "v", Long.toString(version(reply)), "c:n", "2"));
    }

    @Test
    void patchOfUnknownRecord_storesAPartialRecord() {
        publishAndSeed(BufferLimits.DEFAULTS, 0);
        String k = key("never-written");

        long v = version(call(Operation.PATCH, DOCS, k, "title", "\"x\""));

        assertThat(record(DOCS, k))
                .containsExactlyInAnyOrderEntriesOf(Map.of("v", Long.toString(v), "s", "patch", "c:title", "\"x\""));
    }

    @Test
    void delete_leavesATombstoneHashAndAnEntryWithoutColumns() {
        publishAndSeed(BufferLimits.DEFAULTS, 0);
        String k = key("a");
        int p = partitionOf(DOCS, k);
        call(Operation.PUT, DOCS, k, "title", "\"one\"", "n", "1");

        long v = version(call(Operation.DELETE, DOCS, k));

        assertThat(record(DOCS, k)).containsExactlyInAnyOrderEntriesOf(Map.of("v", Long.toString(v), "s", "deleted"));
        assertThat(stream(p).getLast().getBody())
                .containsExactlyInAnyOrderEntriesOf(Map.of("t", "docs", "k", k, "o", "delete", "v", Long.toString(v)));
    }

    @Test
    void patchOfDeletedRecord_isRefusedAndAppendsNothing() {
        // given a deleted record
        publishAndSeed(BufferLimits.DEFAULTS, 0);
        String k = key("a");
        call(Operation.PUT, DOCS, k, "title", "\"one\"");
        call(Operation.DELETE, DOCS, k);
        Map<String, String> before = record(DOCS, k);
        long entries = totalEntries();

        // when it is patched
        RedisCommandExecutionException e = refusal(() -> call(Operation.PATCH, DOCS, k, "title", "\"two\""));

        // then the patch is refused as a permanent error and changes nothing
        assertThat(e.getMessage()).startsWith("CISTERN_DELETED ");
        CisternException translated = FailureTranslator.fromRedis("patch docs/a", e);
        assertThat(translated)
                .isInstanceOfSatisfying(
                        InvalidRecordException.class,
                        ire -> assertThat(ire.reason()).isEqualTo(InvalidRecordException.Reason.RECORD_DELETED));
        assertThat(totalEntries()).isEqualTo(entries);
        assertThat(record(DOCS, k)).isEqualTo(before);
    }

    @Test
    void putAfterDelete_bringsTheRecordBackWithAHigherVersion() {
        publishAndSeed(BufferLimits.DEFAULTS, 0);
        String k = key("a");
        long deleted = version(call(Operation.DELETE, DOCS, k));

        long v = version(call(Operation.PUT, DOCS, k, "title", "\"back\""));

        assertThat(v).isGreaterThan(deleted);
        assertThat(record(DOCS, k)).containsEntry("s", "put").containsEntry("c:title", "\"back\"");
    }

    // ---------------------------------------------------------------------------------------------- versions

    @Test
    void partitionWithoutFloor_refusesWritesAsRetryableUntilSeeded() {
        // given a published registry but no version floor (Redis lost its data, or init has not seeded yet)
        new RedisRegistry(cmd, layout).publish(REGISTRY, BufferLimits.DEFAULTS);
        String k = key("a");
        int p = partitionOf(DOCS, k);

        // when a write comes
        RedisCommandExecutionException e = refusal(() -> call(Operation.PUT, DOCS, k, "title", "\"x\""));

        // then it is refused as retryable, and nothing is stored
        assertThat(e.getMessage()).startsWith("CISTERN_NOFLOOR ").contains("partition " + p);
        assertThat(FailureTranslator.fromRedis("put docs/a", e))
                .isInstanceOfSatisfying(
                        RetryableException.class, r -> assertThat(r.code()).isEqualTo("NO_FLOOR"));
        assertThat(totalEntries()).isZero();
        assertThat(record(DOCS, k)).isEmpty();

        // and once the floor is seeded from PostgreSQL, writes are accepted with versions above it
        assertThat(seed(p, 1_000_000)).isEqualTo(1_000_000);
        long v1 = version(call(Operation.PUT, DOCS, k, "title", "\"x\""));
        long v2 = version(call(Operation.PATCH, DOCS, k, "title", "\"y\""));
        assertThat(v1).isGreaterThan(1_000_000);
        assertThat(v2).isGreaterThan(v1);
    }

    @Test
    void floorThisServerNeverConfirmed_refusesWritesAsRetryable_untilConfirmed() {
        // given a meta hash with a floor and a seq that this server process did not confirm, as a replica promoted
        // before it received the last writes, or a restored snapshot, would hold it
        new RedisRegistry(cmd, layout).publish(REGISTRY, BufferLimits.DEFAULTS);
        String k = key("a");
        int p = partitionOf(DOCS, k);
        cmd.hset(layout.meta(p), Map.of("floor", "5", "seq", "5"));

        // when a write comes, it is refused as retryable, and nothing is stored
        RedisCommandExecutionException e = refusal(() -> call(Operation.PUT, DOCS, k, "title", "\"x\""));
        assertThat(e.getMessage()).startsWith("CISTERN_UNCONFIRMED ").contains("partition " + p);
        assertThat(FailureTranslator.fromRedis("put docs/a", e))
                .isInstanceOfSatisfying(
                        RetryableException.class, r -> assertThat(r.code()).isEqualTo("UNCONFIRMED_FLOOR"));
        assertThat(totalEntries()).isZero();

        // then the worker confirms with the highest version PostgreSQL may hold: the reply says the history had
        // issued up to 5, and was not confirmed here
        List<Object> confirmed = confirm(p, 228);
        assertThat(confirmed).containsExactly(228L, 5L, 0L, 5L);
        assertThat(version(call(Operation.PUT, DOCS, k, "title", "\"x\""))).isEqualTo(229);
        assertThat(confirm(p, 100)).as("a lower floor lowers nothing").containsExactly(228L, 229L, 1L, 228L);
    }

    @Test
    void restartedServer_forgetsWhichFloorsItConfirmed_evenWithEveryWriteInItsAof() {
        try (PrivateRedis server = PrivateRedis.start("--appendonly", "yes", "--appendfsync", "always")) {
            io.lettuce.core.RedisClient client = io.lettuce.core.RedisClient.create(server.url());
            try {
                cmd = client.connect().sync();
                FunctionLibrary.install(cmd);
                publishAndSeed(BufferLimits.DEFAULTS, 0);
                String k = key("a");
                int p = partitionOf(DOCS, k);
                long before = version(call(Operation.PUT, DOCS, k, "title", "\"x\""));

                server.restart();
                cmd = client.connect().sync();

                assertThat(refusal(() -> call(Operation.PUT, DOCS, k, "title", "\"y\""))
                                .getMessage())
                        .startsWith("CISTERN_UNCONFIRMED ");
                assertThat(cmd.hget(layout.meta(p), "seq"))
                        .as("the AOF kept the meta")
                        .isEqualTo(Long.toString(before));
                confirm(p, before);
                assertThat(version(call(Operation.PUT, DOCS, k, "title", "\"y\"")))
                        .isGreaterThan(before);
            } finally {
                client.shutdown();
            }
        }
    }

    private List<Object> confirm(int partition, long floor) {
        return cmd.fcall(
                FunctionLibrary.CONFIRM_FUNCTION,
                ScriptOutputType.MULTI,
                new String[] {layout.meta(partition)},
                Long.toString(floor));
    }

    @Test
    void seedAbove2pow53_isRefusedBecauseLuaCouldNotKeepItExact() {
        new RedisRegistry(cmd, layout).publish(REGISTRY, BufferLimits.DEFAULTS);

        assertThatThrownBy(() -> seed(0, 9_007_199_254_740_993L))
                .hasMessageContaining("CISTERN_BADARGS")
                .hasMessageContaining("2^53");
        assertThat(cmd.hget(layout.meta(0), "floor")).isNull();
        assertThat(seed(0, 9_007_199_254_740_000L)).isEqualTo(9_007_199_254_740_000L);
    }

    @Test
    void seed_neverLowersTheFloor() {
        new RedisRegistry(cmd, layout).publish(REGISTRY, BufferLimits.DEFAULTS);
        seed(0, 500);

        assertThat(seed(0, 100)).isEqualTo(500);
        assertThat(cmd.hget(layout.meta(0), "floor")).isEqualTo("500");
    }

    @Test
    void raisedFloor_liftsVersionsAboveItEvenAfterEarlierWrites() {
        publishAndSeed(BufferLimits.DEFAULTS, 0);
        String k = key("a");
        int p = partitionOf(DOCS, k);
        long before = version(call(Operation.PUT, DOCS, k, "title", "\"x\""));

        seed(p, before + 10_000);

        assertThat(version(call(Operation.PUT, DOCS, k, "title", "\"y\""))).isGreaterThan(before + 10_000);
    }

    @Test
    void versionKeepsIncreasingAfterTheRecordHashExpired() {
        // given a record whose hash was synced and then expired
        publishAndSeed(BufferLimits.DEFAULTS, 0);
        String k = key("a");
        int p = partitionOf(DOCS, k);
        String hash = layout.record(p, "docs", k);
        long v1 = version(call(Operation.PUT, DOCS, k, "title", "\"one\""));
        cmd.pexpire(hash, 50);
        await().atMost(Duration.ofSeconds(5)).until(() -> cmd.exists(hash) == 0);

        // when it is written again
        long v2 = version(call(Operation.PUT, DOCS, k, "title", "\"two\""));
        cmd.pexpire(hash, 50);
        await().atMost(Duration.ofSeconds(5)).until(() -> cmd.exists(hash) == 0);
        long v3 = version(call(Operation.PATCH, DOCS, k, "title", "\"three\""));

        // then its version is still greater than every earlier one, and the new hash carries no TTL
        assertThat(v2).isGreaterThan(v1);
        assertThat(v3).isGreaterThan(v2);
        assertThat(cmd.pttl(hash)).isEqualTo(-1);
    }

    @Test
    void versions_areStrictlyIncreasingAcrossKeysOfAPartition() {
        publishAndSeed(BufferLimits.DEFAULTS, 0);
        int p = 2;
        long last = 0;
        for (int i = 0; i < 20; i++) {
            long v = version(call(Operation.PUT, DOCS, key(docIdIn(p, "k" + i)), "n", Integer.toString(i)));
            assertThat(v).isGreaterThan(last);
            last = v;
        }
    }

    // ---------------------------------------------------------------------------------------------- backpressure

    @Test
    void backlogAtItsLimit_refusesWritesAsRetryableAndAppendsNothing() {
        // given a partition whose stream holds as many entries as its limit
        publishAndSeed(new BufferLimits(3, 0, 1 << 20), 0);
        int p = 1;
        for (int i = 0; i < 3; i++) {
            call(Operation.PUT, DOCS, key(docIdIn(p, "filled" + i)), "n", "1");
        }
        String k = key(docIdIn(p, "refused"));

        // when one more write comes
        RedisCommandExecutionException e = refusal(() -> call(Operation.PUT, DOCS, k, "n", "1"));

        // then it is refused with a retryable backpressure error, and nothing changed
        assertThat(e.getMessage()).startsWith("CISTERN_BACKPRESSURE ").contains("3 entries");
        assertThat(FailureTranslator.fromRedis("put", e))
                .isInstanceOfSatisfying(
                        RetryableException.class, r -> assertThat(r.code()).isEqualTo("BACKPRESSURE"));
        assertThat(cmd.xlen(layout.stream(p))).isEqualTo(3);
        assertThat(record(DOCS, k)).isEmpty();

        // and other partitions still accept writes
        call(Operation.PUT, DOCS, key(docIdIn(0, "other")), "n", "1");
        assertThat(cmd.xlen(layout.stream(0))).isEqualTo(1);
    }

    @Test
    void redisMemoryAtItsLimit_refusesWritesAsRetryableAndAppendsNothing() {
        publishAndSeed(new BufferLimits(0, 1, 1 << 20), 0);
        String k = key("a");

        RedisCommandExecutionException e = refusal(() -> call(Operation.PUT, DOCS, k, "n", "1"));

        assertThat(e.getMessage()).startsWith("CISTERN_BACKPRESSURE ").contains("limit of 1");
        assertThat(FailureTranslator.fromRedis("put", e)).isInstanceOf(RetryableException.class);
        assertThat(totalEntries()).isZero();
        assertThat(record(DOCS, k)).isEmpty();
    }

    // ---------------------------------------------------------------------------------------------- refusals

    @Test
    void keySentToTheWrongPartition_isRefused() {
        publishAndSeed(BufferLimits.DEFAULTS, 0);
        String k = key("a");
        int right = partitionOf(DOCS, k);
        int wrong = (right + 1) % PARTITIONS;

        RedisCommandExecutionException e = refusal(() -> callIn(wrong, Operation.PUT, "docs", k, "n", "1"));

        assertThat(e.getMessage())
                .startsWith("CISTERN_BADKEY ")
                .contains("belongs to partition " + right)
                .contains("not " + wrong);
        assertThat(totalEntries()).isZero();
        assertThat(cmd.exists(layout.record(wrong, "docs", k), layout.record(right, "docs", k)))
                .isZero();
    }

    @Test
    void partitionComputedInJava_isTheOneTheFunctionAccepts() {
        // The Lua CRC-32 and java.util.zip.CRC32 must agree on every key, including composite, non-ASCII and long ones.
        publishAndSeed(BufferLimits.DEFAULTS, 0);
        Random random = new Random(42);
        String alphabet = "aZ09-._~ ,%/:é日😀";
        for (int i = 0; i < 200; i++) {
            StringBuilder doc = new StringBuilder();
            int len = 1 + random.nextInt(48); // odd and even lengths: the Lua loop takes two bytes a step
            for (int j = 0; j < len; j++) {
                doc.appendCodePoint(alphabet.codePointAt(
                        alphabet.offsetByCodePoints(0, random.nextInt(alphabet.codePointCount(0, alphabet.length())))));
            }
            call(Operation.PUT, DOCS, key(doc.toString()), "n", Integer.toString(i));
            call(Operation.PUT, PARTS, key(doc.toString(), Integer.toString(i)), "label", "\"l\"");
        }
        assertThat(totalEntries()).isEqualTo(400);
    }

    @Test
    void compositeKey_isRoutedByItsLeadingColumn() {
        publishAndSeed(BufferLimits.DEFAULTS, 0);
        String doc = "doc/with,comma";
        int p = partitionOf(DOCS, key(doc));

        for (int part = 0; part < 10; part++) {
            List<Object> reply = callIn(p, Operation.PUT, "parts", key(doc, Integer.toString(part)), "label", "\"x\"");
            assertThat(version(reply)).isPositive();
        }
        assertThat(cmd.xlen(layout.stream(p))).isEqualTo(10);
    }

    @Test
    void keyWithTheWrongNumberOfComponents_isRefused() {
        publishAndSeed(BufferLimits.DEFAULTS, 0);
        String k = key("only-doc");

        RedisCommandExecutionException e =
                refusal(() -> callIn(partitionOf(PARTS, k), Operation.PUT, "parts", k, "label", "\"x\""));

        assertThat(e.getMessage()).startsWith("CISTERN_BADKEY ").contains("has 1 components, needs 2");
        assertThat(totalEntries()).isZero();
    }

    @Test
    void keyThatIsNotPercentEncoded_isRefused() {
        publishAndSeed(BufferLimits.DEFAULTS, 0);
        String raw = "a b";
        int p = Partitioner.partitionOf(raw, PARTITIONS);

        RedisCommandExecutionException e = refusal(() -> callIn(p, Operation.PUT, "docs", raw, "n", "1"));

        assertThat(e.getMessage()).startsWith("CISTERN_BADKEY ").contains("not %-encoded");
        assertThat(totalEntries()).isZero();
    }

    @Test
    void unknownColumn_isRefusedAndAppendsNothing() {
        publishAndSeed(BufferLimits.DEFAULTS, 0);
        String k = key("a");

        RedisCommandExecutionException e =
                refusal(() -> call(Operation.PUT, DOCS, k, "title", "\"x\"", "colour", "\"red\""));

        assertThat(e.getMessage()).startsWith("CISTERN_UNKNOWN_COLUMN ").contains("colour");
        assertThat(FailureTranslator.fromRedis("put", e))
                .isInstanceOfSatisfying(
                        InvalidRecordException.class,
                        ire -> assertThat(ire.reason()).isEqualTo(InvalidRecordException.Reason.UNKNOWN_COLUMN));
        assertThat(totalEntries()).isZero();
        assertThat(record(DOCS, k)).isEmpty();
    }

    @Test
    void columnNameJoiningTwoColumnsWithAComma_isRefusedAsUnknown() {
        // "title,n" is no column, even though ",title,n," appears in the table spec
        publishAndSeed(BufferLimits.DEFAULTS, 0);
        String k = key("a");

        RedisCommandExecutionException e = refusal(() -> call(Operation.PUT, DOCS, k, "title,n", "\"x\""));

        assertThat(e.getMessage()).startsWith("CISTERN_UNKNOWN_COLUMN ");
        assertThat(totalEntries()).isZero();
    }

    @Test
    void unknownTable_isRefused() {
        publishAndSeed(BufferLimits.DEFAULTS, 0);
        String k = key("a");
        int p = Partitioner.partitionOf(k, PARTITIONS);

        RedisCommandExecutionException e = refusal(() -> callIn(p, Operation.PUT, "nope", k, "n", "1"));

        assertThat(e.getMessage()).startsWith("CISTERN_UNKNOWN_TABLE ").contains("nope");
        assertThat(totalEntries()).isZero();
    }

    @Test
    void valueAboveTheLimit_isRefused() {
        publishAndSeed(new BufferLimits(0, 0, 10), 0);
        String k = key("a");

        RedisCommandExecutionException e = refusal(() -> call(Operation.PUT, DOCS, k, "title", "\"0123456789\""));

        assertThat(e.getMessage())
                .startsWith("CISTERN_TOO_LARGE ")
                .contains("title")
                .contains("12 bytes");
        assertThat(totalEntries()).isZero();
    }

    @Test
    void malformedCalls_areRefusedAsBadArguments() {
        publishAndSeed(BufferLimits.DEFAULTS, 0);
        String k = key("a");

        assertThat(refusal(() -> call(Operation.PATCH, DOCS, k)).getMessage())
                .startsWith("CISTERN_BADARGS ")
                .contains("at least one column");
        assertThat(refusal(() -> call(Operation.DELETE, DOCS, k, "n", "1")).getMessage())
                .startsWith("CISTERN_BADARGS ");
        assertThat(refusal(() -> call(Operation.PUT, DOCS, k, "n")).getMessage())
                .startsWith("CISTERN_BADARGS ")
                .contains("pairs");
        assertThat(refusal(() -> call(Operation.PUT, DOCS, k, "n", "")).getMessage())
                .startsWith("CISTERN_BADARGS ")
                .contains("empty");
        assertThat(totalEntries()).isZero();
    }

    @Test
    void recordKeyNotMatchingTheArguments_isRefused() {
        publishAndSeed(BufferLimits.DEFAULTS, 0);
        String k = key("a");
        int p = partitionOf(DOCS, k);
        String[] keys = {layout.record(p, "docs", "other"), layout.stream(p), layout.meta(p)};

        RedisCommandExecutionException e = refusal(() -> cmd.fcall(
                FunctionLibrary.functionName(Operation.PUT), ScriptOutputType.MULTI, keys, "docs", k, "n", "1"));

        assertThat(e.getMessage()).startsWith("CISTERN_BADARGS ").contains("record hash");
        assertThat(totalEntries()).isZero();
    }

    @Test
    void publishedSpec_matchesTheRegistry() {
        new RedisRegistry(cmd, layout).publish(REGISTRY, BufferLimits.DEFAULTS);

        Map<String, String> meta = new LinkedHashMap<>(cmd.hgetall(layout.meta(3)));

        assertThat(meta)
                .containsEntry("t:docs", "1 1 ,id,title,n,body,")
                .containsEntry("t:parts", "1 2 ,doc,part,label,")
                .containsEntry("partitions", "4");
        assertThat(new RedisRegistry(cmd, layout).load().tables()).containsExactlyElementsOf(REGISTRY.tables());
    }
}
