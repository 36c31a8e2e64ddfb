package io.cistern.schema.wire;

import static org.assertj.core.api.Assertions.assertThat;

import io.cistern.connections.testing.TestRedis;
import io.cistern.schema.codec.ChangeEntry;
import io.cistern.schema.codec.Operation;
import io.cistern.schema.function.BufferLimits;
import io.cistern.schema.function.FunctionLibrary;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Function library {@code cistern_v1} and the Java wire constants spell every field the same way: each test writes
 * through {@code FCALL} and reads what Lua wrote with the constants only ({@link MetaFields}, {@link ConfigFields},
 * {@link RecordFields}, {@link ChangeEntry}), or writes a field with a constant and checks that Lua obeys it. A field
 * renamed on one side only fails here.
 */
class FunctionWireContractIT {
    private static final int PARTITIONS = 2;
    private static final String ID = "doc-1";
    private static final TableDef DOCS = new TableDef(
            "docs",
            List.of(
                    new ColumnDef("id", SqlType.TEXT, false, false, 0),
                    new ColumnDef("title", SqlType.TEXT, true, false, 0),
                    new ColumnDef("n", SqlType.BIGINT, true, false, 0)),
            List.of("id"),
            1,
            Optional.empty());

    private TestRedis redis;
    private RedisCommands<String, String> cmd;
    private KeyLayout layout;
    private int p;

    @BeforeEach
    void setUp() {
        redis = TestRedis.create(getClass().getSimpleName());
        cmd = redis.commands();
        layout = new KeyLayout(redis.prefix());
        FunctionLibrary.install(cmd);
        p = Partitioner.partitionOf(Partitioner.routingText(ID, DOCS.routingColumns()), PARTITIONS);
    }

    @AfterEach
    void tearDown() {
        redis.close();
    }

    private void publish(BufferLimits limits) {
        new RedisRegistry(cmd, layout).publish(new TableRegistry(PARTITIONS, List.of(DOCS)), limits);
    }

    private List<Object> confirm(long floor) {
        return cmd.fcall(
                FunctionLibrary.CONFIRM_FUNCTION,
                ScriptOutputType.MULTI,
                new String[] {layout.meta(p)},
                Long.toString(floor));
    }

    private List<Object> write(Operation op, String... columnValues) {
        String[] keys = {layout.record(p, DOCS.name(), ID), layout.stream(p), layout.meta(p)};
        List<String> args = new ArrayList<>(List.of(DOCS.name(), ID));
        args.addAll(List.of(columnValues));
        return cmd.fcall(FunctionLibrary.functionName(op), ScriptOutputType.MULTI, keys, args.toArray(String[]::new));
    }

    private Map<String, String> recordHash() {
        return cmd.hgetall(layout.record(p, DOCS.name(), ID));
    }

    private StreamMessage<String, String> lastEntry() {
        List<StreamMessage<String, String>> entries = cmd.xrevrange(layout.stream(p), Range.create("-", "+"));
        return entries.getFirst();
    }

    private static long version(List<Object> reply) {
        return ((Number) reply.getFirst()).longValue();
    }

    private static String refusal(Runnable write) {
        try {
            write.run();
        } catch (RedisCommandExecutionException e) {
            return e.getMessage();
        }
        throw new AssertionError("the write was not refused");
    }

    @Test
    void confirm_writesTheFloorField_andPublishWritesTheConfigAndMetaFields() {
        publish(new BufferLimits(7, 0, 1024));

        confirm(41);

        assertThat(cmd.hgetall(layout.config()))
                .containsOnlyKeys(ConfigFields.PARTITIONS, ConfigFields.PROTOCOL, ConfigFields.REGISTRY_VERSION)
                .containsEntry(ConfigFields.PARTITIONS, Integer.toString(PARTITIONS))
                .containsEntry(ConfigFields.PROTOCOL, Integer.toString(FunctionLibrary.PROTOCOL));
        assertThat(cmd.hgetall(layout.meta(p)))
                .containsOnlyKeys(
                        MetaFields.FLOOR,
                        MetaFields.PARTITIONS,
                        MetaFields.MAX_BACKLOG,
                        MetaFields.MAX_MEMORY,
                        MetaFields.MAX_VALUE,
                        MetaFields.tableSpec(DOCS.name()),
                        MetaFields.tableGeneration(DOCS.name()))
                .containsEntry(MetaFields.FLOOR, "41")
                .containsEntry(MetaFields.MAX_BACKLOG, "7")
                .containsEntry(MetaFields.MAX_VALUE, "1024");
    }

    @Test
    void put_writesStreamEntryRecordHashAndSeq_underTheJavaNames() {
        publish(BufferLimits.DEFAULTS);
        confirm(100);

        List<Object> reply = write(Operation.PUT, "title", "\"Hello\"");

        long v = version(reply);
        assertThat(v).isEqualTo(101);
        StreamMessage<String, String> m = lastEntry();
        assertThat(m.getId()).isEqualTo(reply.get(1));
        assertThat(m.getBody())
                .containsOnlyKeys(
                        ChangeEntry.TABLE,
                        ChangeEntry.KEY,
                        ChangeEntry.OP,
                        ChangeEntry.VERSION,
                        ChangeEntry.COLUMN_PREFIX + "title");
        ChangeEntry entry = ChangeEntry.fromFields(m.getId(), m.getBody());
        assertThat(entry.table()).isEqualTo(DOCS.name());
        assertThat(entry.key()).isEqualTo(ID);
        assertThat(entry.op()).isEqualTo(Operation.PUT);
        assertThat(entry.version()).isEqualTo(v);
        assertThat(entry.columns()).containsExactly(Map.entry("title", "\"Hello\""));
        assertThat(recordHash())
                .containsOnlyKeys(RecordFields.VERSION, RecordFields.STATE, RecordFields.column("title"))
                .containsEntry(RecordFields.VERSION, Long.toString(v))
                .containsEntry(RecordFields.STATE, RecordFields.STATE_PUT)
                .containsEntry(RecordFields.column("title"), "\"Hello\"");
        assertThat(cmd.hget(layout.meta(p), MetaFields.SEQ)).isEqualTo(Long.toString(v));
    }

    @Test
    void writes_areFormatTwo_onlyWhileTheMetaFieldSaysSo_andDecodeInJavaToWhatWasWritten() {
        publish(BufferLimits.DEFAULTS);
        confirm(0);
        // Multi-byte characters: Lua's lengths count bytes, and Java must read them as bytes.
        String title = "\"é😀:12\"";

        cmd.hset(layout.meta(p), MetaFields.ENTRY_FORMAT, Integer.toString(ChangeEntry.FORMAT_2));
        long put = version(write(Operation.PUT, "title", title, "n", "3"));
        StreamMessage<String, String> putEntry = lastEntry();
        long patch = version(write(Operation.PATCH, "n", "4"));
        StreamMessage<String, String> patchEntry = lastEntry();
        long delete = version(write(Operation.DELETE));
        StreamMessage<String, String> deleteEntry = lastEntry();
        cmd.hset(layout.meta(p), MetaFields.ENTRY_FORMAT, Integer.toString(ChangeEntry.FORMAT_1));
        write(Operation.PUT, "n", "5");
        StreamMessage<String, String> closedAgain = lastEntry();

        Map<String, String> written = new java.util.LinkedHashMap<>();
        written.put("title", title);
        written.put("n", "3");
        ChangeEntry expectedPut = new ChangeEntry(putEntry.getId(), DOCS.name(), ID, Operation.PUT, put, written);
        assertThat(putEntry.getBody()).containsOnlyKeys("e2:put:docs:title,n");
        assertThat(putEntry.getBody().values()).containsExactly(expectedPut.packedValue());
        assertThat(ChangeEntry.fromFields(putEntry.getId(), putEntry.getBody())).isEqualTo(expectedPut);
        assertThat(patchEntry.getBody()).containsOnlyKeys(ChangeEntry.PACKED_PREFIX + "patch:docs:n");
        assertThat(ChangeEntry.fromFields(patchEntry.getId(), patchEntry.getBody()))
                .isEqualTo(
                        new ChangeEntry(patchEntry.getId(), DOCS.name(), ID, Operation.PATCH, patch, Map.of("n", "4")));
        assertThat(deleteEntry.getBody()).containsOnlyKeys(ChangeEntry.PACKED_PREFIX + "delete:docs:");
        assertThat(ChangeEntry.fromFields(deleteEntry.getId(), deleteEntry.getBody()))
                .isEqualTo(new ChangeEntry(deleteEntry.getId(), DOCS.name(), ID, Operation.DELETE, delete, Map.of()));
        assertThat(closedAgain.getBody())
                .containsOnlyKeys(
                        ChangeEntry.TABLE,
                        ChangeEntry.KEY,
                        ChangeEntry.OP,
                        ChangeEntry.VERSION,
                        ChangeEntry.COLUMN_PREFIX + "n");
    }

    @Test
    void patch_keepsTheFullState_orMarksAnAbsentRecordPartial() {
        publish(BufferLimits.DEFAULTS);
        confirm(0);

        long partial = version(write(Operation.PATCH, "n", "3"));

        assertThat(recordHash())
                .containsOnlyKeys(RecordFields.VERSION, RecordFields.STATE, RecordFields.column("n"))
                .containsEntry(RecordFields.VERSION, Long.toString(partial))
                .containsEntry(RecordFields.STATE, RecordFields.STATE_PATCH);
        ChangeEntry patchEntry =
                ChangeEntry.fromFields(lastEntry().getId(), lastEntry().getBody());
        assertThat(patchEntry.op()).isEqualTo(Operation.PATCH);
        assertThat(patchEntry.columns()).containsExactly(Map.entry("n", "3"));

        write(Operation.PUT, "title", "\"A\"");
        long patched = version(write(Operation.PATCH, "n", "4"));

        assertThat(recordHash())
                .containsEntry(RecordFields.STATE, RecordFields.STATE_PUT)
                .containsEntry(RecordFields.VERSION, Long.toString(patched))
                .containsEntry(RecordFields.column("title"), "\"A\"")
                .containsEntry(RecordFields.column("n"), "4");
    }

    @Test
    void delete_leavesOnlyVersionAndDeletedState_andAPatchOfItIsRefused() {
        publish(BufferLimits.DEFAULTS);
        confirm(0);
        write(Operation.PUT, "title", "\"A\"");

        long v = version(write(Operation.DELETE));

        assertThat(recordHash())
                .containsOnlyKeys(RecordFields.VERSION, RecordFields.STATE)
                .containsEntry(RecordFields.VERSION, Long.toString(v))
                .containsEntry(RecordFields.STATE, RecordFields.STATE_DELETED);
        assertThat(lastEntry().getBody())
                .containsOnlyKeys(ChangeEntry.TABLE, ChangeEntry.KEY, ChangeEntry.OP, ChangeEntry.VERSION);
        assertThat(ChangeEntry.fromFields(lastEntry().getId(), lastEntry().getBody())
                        .op())
                .isEqualTo(Operation.DELETE);
        // The patch reads the state field the Java constant names.
        assertThat(refusal(() -> write(Operation.PATCH, "n", "1"))).startsWith("CISTERN_DELETED");
    }

    @Test
    void writes_obeyTheMetaFieldsJavaWrites() {
        publish(new BufferLimits(1, 0, 4));
        confirm(0);

        // max_value: a 5-byte value is over the limit of 4.
        assertThat(refusal(() -> write(Operation.PUT, "title", "\"abc\""))).startsWith("CISTERN_TOO_LARGE");
        // seq: the next version follows the field.
        cmd.hset(layout.meta(p), MetaFields.SEQ, "500");
        assertThat(version(write(Operation.PUT, "n", "1"))).isEqualTo(501);
        // max_backlog: the stream now holds 1 entry, at the limit.
        assertThat(refusal(() -> write(Operation.PUT, "n", "2"))).startsWith("CISTERN_BACKPRESSURE");
        cmd.hset(layout.meta(p), MetaFields.MAX_BACKLOG, "0");
        // max_memory: any used memory is at or above 1 byte. Memory is read at versions that are multiples of 16
        // (MemoryGuard.CHECK_EVERY), so the partition is put at one.
        cmd.hset(layout.meta(p), MetaFields.SEQ, "512");
        cmd.hset(layout.meta(p), MetaFields.MAX_MEMORY, "1");
        assertThat(refusal(() -> write(Operation.PUT, "n", "2"))).startsWith("CISTERN_BACKPRESSURE");
        cmd.hset(layout.meta(p), MetaFields.MAX_MEMORY, "0");
        // partitions: with another count the key belongs elsewhere (or nowhere) for the library.
        cmd.hset(layout.meta(p), MetaFields.PARTITIONS, "1000003");
        assertThat(refusal(() -> write(Operation.PUT, "n", "2"))).startsWith("CISTERN_BADKEY");
        cmd.hset(layout.meta(p), MetaFields.PARTITIONS, Integer.toString(PARTITIONS));
        assertThat(version(write(Operation.PUT, "n", "2"))).isEqualTo(513);
        // t:<table>: without the spec the table is unknown.
        cmd.hdel(layout.meta(p), MetaFields.tableSpec(DOCS.name()));
        assertThat(refusal(() -> write(Operation.PUT, "n", "3"))).startsWith("CISTERN_UNKNOWN_TABLE");
        // floor: without it the partition has no floor.
        cmd.hdel(layout.meta(p), MetaFields.FLOOR);
        assertThat(refusal(() -> write(Operation.PUT, "n", "3"))).startsWith("CISTERN_NOFLOOR");
    }

    @Test
    void confirm_readsTheFloorAndSeqFields() {
        publish(BufferLimits.DEFAULTS);
        cmd.hset(layout.meta(p), Map.of(MetaFields.FLOOR, "10", MetaFields.SEQ, "17"));

        List<Object> reply = confirm(12);

        // { floor now, seq, was confirmed, floor before }
        assertThat(reply).containsExactly(12L, 17L, 0L, 10L);
        assertThat(cmd.hget(layout.meta(p), MetaFields.FLOOR)).isEqualTo("12");
    }
}
