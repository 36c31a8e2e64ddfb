package io.cistern.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.cistern.connections.testing.TestRedis;
import io.cistern.schema.codec.ChangeEntry;
import io.cistern.schema.codec.Operation;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.wire.DeadLetterFields;
import io.cistern.schema.wire.MetaFields;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.api.sync.RedisCommands;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the sync worker's own Java code writes to Redis is spelled by the wire constants of {@code schema}: the dead
 * letters ({@link DeadLetterStream}), the partition meta fields of takeover and pause ({@link PartitionControl}) and
 * of the last error ({@link ApplyErrorReport}).
 */
class WorkerWireFieldsIT {
    private static final int P = 3;

    private TestRedis redis;
    private RedisCommands<String, String> cmd;
    private KeyLayout layout;

    @BeforeEach
    void setUp() {
        redis = TestRedis.create(getClass().getSimpleName());
        cmd = redis.commands();
        layout = new KeyLayout(redis.prefix());
    }

    @AfterEach
    void tearDown() {
        redis.close();
    }

    @Test
    void deadLetterStream_writesExactlyTheDeadLetterFieldsAndTheOriginalEntry() {
        ChangeEntry entry = new ChangeEntry("1700000000000-4", "docs", "k1", Operation.PATCH, 9, Map.of("n", "3"));
        DeadLetter letter = DeadLetter.of(entry, "check violation", "23514", 2);

        new DeadLetterStream(cmd, layout, "worker-7").append(P, List.of(letter));

        List<StreamMessage<String, String>> letters = cmd.xrange(layout.deadLetters(P), Range.create("-", "+"));
        assertThat(letters).hasSize(1);
        Map<String, String> body = letters.getFirst().getBody();
        assertThat(body)
                .containsOnlyKeys(
                        DeadLetterFields.REASON,
                        DeadLetterFields.SQLSTATE,
                        DeadLetterFields.ATTEMPTS,
                        DeadLetterFields.ENTRY_ID,
                        DeadLetterFields.PARTITION,
                        DeadLetterFields.WORKER,
                        ChangeEntry.TABLE,
                        ChangeEntry.KEY,
                        ChangeEntry.OP,
                        ChangeEntry.VERSION,
                        ChangeEntry.COLUMN_PREFIX + "n")
                .containsEntry(DeadLetterFields.REASON, "check violation")
                .containsEntry(DeadLetterFields.SQLSTATE, "23514")
                .containsEntry(DeadLetterFields.ATTEMPTS, "2")
                .containsEntry(DeadLetterFields.ENTRY_ID, "1700000000000-4")
                .containsEntry(DeadLetterFields.PARTITION, Integer.toString(P))
                .containsEntry(DeadLetterFields.WORKER, "worker-7");
        OpenDeadLetter read = OpenDeadLetter.fromStream(P, letters.getFirst().getId(), body);
        assertThat(read.version()).hasValue(9);
        assertThat(cmd.smembers(layout.deadLetterKeys(P))).containsExactly(layout.record(P, "docs", "k1"));
    }

    @Test
    void takeoverAndPause_writeTheMetaFieldsOfTheConstants() {
        PartitionControl control = new PartitionControl(cmd, layout);

        control.recordTakeover(P, "worker-7", 42);
        control.pause(P, "alice: maintenance");

        Map<String, String> meta = cmd.hgetall(layout.meta(P));
        assertThat(meta)
                .containsOnlyKeys(MetaFields.OWNER, MetaFields.OWNER_TOKEN, MetaFields.OWNER_SINCE, MetaFields.PAUSED)
                .containsEntry(MetaFields.OWNER, "worker-7")
                .containsEntry(MetaFields.OWNER_TOKEN, "42")
                .containsEntry(MetaFields.PAUSED, "alice: maintenance");
        assertThat(Long.parseLong(meta.get(MetaFields.OWNER_SINCE))).isPositive();
        assertThat(control.pausedBy(P)).contains("alice: maintenance");
    }

    @Test
    void applyErrorReport_writesTheLastErrorFields_onFailure_andRemovesThemAtTheNextCommit() {
        ApplyErrorReport report = new ApplyErrorReport(cmd, layout.meta(P));
        report.succeeded(); // nothing published: nothing to remove, no command needed

        report.failed(
                new BatchFailedException(
                        P,
                        5,
                        new SqlFailureTranslator.Classified(
                                SqlFailureTranslator.Kind.RETRYABLE, "08006", "connection lost"),
                        new java.sql.SQLException("connection lost", "08006")),
                java.time.Instant.ofEpochMilli(1_700_000_000_123L));

        assertThat(cmd.hgetall(layout.meta(P)))
                .containsOnlyKeys(MetaFields.LAST_ERROR, MetaFields.LAST_ERROR_AT)
                .containsEntry(MetaFields.LAST_ERROR, "CONNECTION (SQLSTATE 08006): connection lost")
                .containsEntry(MetaFields.LAST_ERROR_AT, "1700000000123");

        report.succeeded();

        assertThat(cmd.hgetall(layout.meta(P))).isEmpty();
    }
}
