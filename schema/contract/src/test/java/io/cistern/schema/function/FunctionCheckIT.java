package io.cistern.schema.function;

import static org.assertj.core.api.Assertions.assertThat;

import io.cistern.connections.testing.TestRedis;
import io.cistern.schema.codec.Operation;
import io.cistern.schema.failure.FailureTranslator;
import io.cistern.schema.failure.InvalidRecordException;
import io.cistern.schema.keys.KeyEncoding;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.keys.Partitioner;
import io.cistern.schema.registry.CheckParser;
import io.cistern.schema.registry.ColumnDef;
import io.cistern.schema.registry.RedisRegistry;
import io.cistern.schema.registry.SqlType;
import io.cistern.schema.registry.TableDef;
import io.cistern.schema.registry.TableRegistry;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.sync.RedisCommands;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The CHECK conditions the Function library judges itself (for plain-Redis producers): text IN, integer comparisons
 * within 2^53, IS NOT NULL; NULL passes, a value it cannot read exactly is left to PostgreSQL.
 */
class FunctionCheckIT {
    private static final int PARTITIONS = 2;
    private static final Map<String, SqlType> TYPES = Map.of(
            "id", SqlType.TEXT,
            "status", SqlType.TEXT,
            "n", SqlType.BIGINT,
            "amount", SqlType.NUMERIC,
            "owner", SqlType.TEXT);
    private static final TableDef TASKS = new TableDef(
            "tasks",
            List.of(
                    new ColumnDef("id", SqlType.TEXT, false, false, 0),
                    new ColumnDef("status", SqlType.TEXT, true, false, 0),
                    new ColumnDef("n", SqlType.BIGINT, true, false, 0),
                    new ColumnDef("amount", SqlType.NUMERIC, true, false, 0),
                    new ColumnDef("owner", SqlType.TEXT, true, false, 0)),
            List.of("id"),
            1,
            Optional.empty(),
            List.of(
                    check("tasks_status_check", "CHECK ((status = ANY (ARRAY['new'::text, 'done'::text])))"),
                    check("tasks_n_check", "CHECK (((n >= 0) AND (n <= 10)))"),
                    check("tasks_amount_check", "CHECK ((amount <= 99.5))"),
                    check("tasks_owner_check", "CHECK ((owner IS NOT NULL))")));

    private TestRedis redis;
    private RedisCommands<String, String> cmd;
    private KeyLayout layout;

    private static io.cistern.schema.registry.CheckConstraint check(String name, String definition) {
        return CheckParser.parse(name, definition, TYPES, Set.of());
    }

    @BeforeEach
    void setUp() {
        redis = TestRedis.create(getClass().getSimpleName());
        cmd = redis.commands();
        layout = new KeyLayout(redis.prefix());
        FunctionLibrary.install(cmd);
        new RedisRegistry(cmd, layout).publish(new TableRegistry(PARTITIONS, List.of(TASKS)), BufferLimits.DEFAULTS);
        for (int p = 0; p < PARTITIONS; p++) {
            cmd.fcall(FunctionLibrary.SEED_FUNCTION, ScriptOutputType.INTEGER, new String[] {layout.meta(p)}, "0");
        }
    }

    @AfterEach
    void tearDown() {
        redis.close();
    }

    private void call(Operation op, String id, String... columnValues) {
        String key = KeyEncoding.encode(List.of(id));
        int p = Partitioner.partitionOf(Partitioner.routingText(key, 1), PARTITIONS);
        List<String> args = new ArrayList<>(List.of("tasks", key));
        args.addAll(List.of(columnValues));
        cmd.fcall(
                FunctionLibrary.functionName(op),
                ScriptOutputType.MULTI,
                new String[] {layout.record(p, "tasks", key), layout.stream(p), layout.meta(p)},
                args.toArray(String[]::new));
    }

    private static RedisCommandExecutionException refusal(Runnable write) {
        try {
            write.run();
        } catch (RedisCommandExecutionException e) {
            return e;
        }
        throw new AssertionError("the write was expected to be refused, but it was accepted");
    }

    @Test
    void textOutsideTheInList_isRefusedNamingColumnConstraintAndAllowedValues() {
        RedisCommandExecutionException e =
                refusal(() -> call(Operation.PUT, "a", "status", "\"lost\"", "owner", "\"o\""));

        assertThat(e.getMessage())
                .startsWith("CISTERN_CHECK ")
                .contains("column status", "\"lost\"", "tasks_status_check", "status IN ('new', 'done')");
        assertThat(FailureTranslator.fromRedis("put tasks/a", e))
                .isInstanceOfSatisfying(
                        InvalidRecordException.class,
                        ire -> assertThat(ire.reason()).isEqualTo(InvalidRecordException.Reason.CHECK_VIOLATION));
        assertThat(cmd.xlen(layout.stream(0)) + cmd.xlen(layout.stream(1))).isZero();
    }

    @Test
    void textIsComparedAfterDecodingItsJson() {
        call(Operation.PUT, "a", "status", "\"d\\u006fne\"", "owner", "\"o\"");
        refusal(() -> call(Operation.PUT, "b", "status", "\"done \"", "owner", "\"o\""));
    }

    @Test
    void integersAreComparedWithinTwoToThe53_andLongerOnesAreLeftToPostgres() {
        call(Operation.PUT, "a", "n", "10", "owner", "\"o\"");
        call(Operation.PUT, "b", "n", "0", "owner", "\"o\"");
        assertThat(refusal(() -> call(Operation.PUT, "c", "n", "11", "owner", "\"o\""))
                        .getMessage())
                .contains("tasks_n_check", "n <= 10");
        assertThat(refusal(() -> call(Operation.PUT, "d", "n", "-1", "owner", "\"o\""))
                        .getMessage())
                .contains("n >= 0");
        call(Operation.PUT, "e", "n", "12345678901234567", "owner", "\"o\""); // 17 digits: PostgreSQL's to judge
        call(Operation.PUT, "f", "amount", "100.5", "owner", "\"o\""); // numeric: the writer's and PostgreSQL's
    }

    @Test
    void aWriteJudgedByAnotherGenerationOfTheTable_isRefusedAsStale_andOneWithoutAGeneration_isJudgedAsBefore() {
        String generation = cmd.hget(layout.meta(0), "g:tasks");
        assertThat(generation).as("published beside the spec").hasSize(16);
        assertThat(cmd.hget(layout.meta(1), "g:tasks")).isEqualTo(generation);
        assertThat(new io.cistern.schema.registry.RedisRegistry(cmd, layout)
                        .load()
                        .generation("tasks"))
                .as("what a writer loads")
                .contains(generation);

        call(Operation.PUT, "a", "owner", "\"o\"", "g=" + generation);
        call(Operation.PUT, "b", "owner", "\"o\""); // a plain-Redis producer sends none
        RedisCommandExecutionException stale =
                refusal(() -> call(Operation.PUT, "c", "owner", "\"o\"", "g=0123456789abcdef"));
        // An odd argument that is not a generation is still a column without its value.
        RedisCommandExecutionException unpaired = refusal(() -> call(Operation.PUT, "d", "owner", "\"o\"", "status"));

        assertThat(stale.getMessage()).startsWith("CISTERN_STALE_REGISTRY ").contains("tasks", generation);
        assertThat(FailureTranslator.fromRedis("put tasks/c", stale))
                .isInstanceOfSatisfying(
                        io.cistern.schema.failure.RetryableException.class,
                        r -> assertThat(r.code()).isEqualTo(FailureTranslator.STALE_REGISTRY));
        assertThat(unpaired.getMessage()).startsWith("CISTERN_BADARGS ");
        assertThat(cmd.xlen(layout.stream(0)) + cmd.xlen(layout.stream(1))).isEqualTo(2);
    }

    @Test
    void nullPasses_butNotIsNotNull_andAPatchIsJudgedOnTheColumnsItCarries() {
        call(Operation.PUT, "a", "status", "null", "n", "null", "owner", "\"o\"");
        assertThat(refusal(() -> call(Operation.PUT, "b", "status", "\"new\"")).getMessage())
                .contains("column owner", "NULL", "tasks_owner_check");
        refusal(() -> call(Operation.PUT, "c", "owner", "null"));
        call(Operation.PATCH, "a", "status", "\"done\"");
        refusal(() -> call(Operation.PATCH, "a", "owner", "null"));
        call(Operation.DELETE, "a");
    }
}
