package io.cistern.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.cistern.schema.codec.ChangeEntry;
import io.cistern.schema.codec.Operation;
import io.cistern.schema.registry.TableRegistry;
import io.lettuce.core.RedisConnectionException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SyncMetricsTest {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final SyncMetrics metrics =
            new SyncMetrics(registry, new TableRegistry(4, List.of(Tables.DOCUMENTS, Tables.ENTITIES)));

    private static ChangeEntry entry(long writeMillis, String table) {
        return new ChangeEntry(writeMillis + "-0", table, "k" + writeMillis, Operation.PUT, 1, Map.of());
    }

    @Test
    void committedBatch_recordsWriteToCommitPerTable_exceptDeadLetters() {
        // given a batch of three entries, one dead-lettered and one superseded
        ChangeEntry a = entry(1_000, "source_documents");
        ChangeEntry b = entry(1_500, "entities");
        ChangeEntry poison = entry(1_800, "source_documents");
        ApplyResult result =
                new ApplyResult(3, 3, List.of(DeadLetter.of(poison, "boom", "23505", 1)), Set.of(b.id()), poison.id());

        // when it commits at 3000 ms
        metrics.batchCommitted(2, Duration.ofMillis(40), List.of(a, b, poison), result, 3_000);

        // then
        var docs = registry.get(SyncMetrics.WRITE_TO_COMMIT)
                .tag("table", "source_documents")
                .timer();
        assertThat(docs.count()).isEqualTo(1);
        assertThat(docs.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(2_000);
        assertThat(registry.get(SyncMetrics.WRITE_TO_COMMIT)
                        .tag("table", "entities")
                        .timer()
                        .totalTime(TimeUnit.MILLISECONDS))
                .isEqualTo(1_500);
        assertThat(registry.get(SyncMetrics.APPLY).tag("partition", "2").timer().count())
                .isEqualTo(1);
        assertThat(registry.get(SyncMetrics.ENTRIES)
                        .tags("partition", "2", "outcome", "applied")
                        .counter()
                        .count())
                .isEqualTo(1);
        assertThat(registry.get(SyncMetrics.ENTRIES)
                        .tags("partition", "2", "outcome", "superseded")
                        .counter()
                        .count())
                .isEqualTo(1);
        assertThat(registry.get(SyncMetrics.DEAD_LETTERS)
                        .tags("partition", "2", "table", "source_documents")
                        .counter()
                        .count())
                .isEqualTo(1);
    }

    @Test
    void tablesNotRegistered_shareOneTag_soTagsStayBounded() {
        // when entries of made-up tables are dead-lettered
        metrics.deadLettered(0, "made_up_1");
        metrics.deadLettered(0, "made_up_2");
        metrics.deadLettered(0, null);

        // then they count under one tag value
        assertThat(registry.get(SyncMetrics.DEAD_LETTERS).counters()).hasSize(1);
        assertThat(registry.get(SyncMetrics.DEAD_LETTERS)
                        .tag("table", SyncMetrics.UNKNOWN_TABLE)
                        .counter()
                        .count())
                .isEqualTo(3);
    }

    @Test
    void retries_areCountedByFailureClass() {
        metrics.retried(1, batchFailure(SqlFailureTranslator.Kind.RETRYABLE, "08006"));
        metrics.retried(1, batchFailure(SqlFailureTranslator.Kind.RETRYABLE, "40P01"));
        metrics.retried(1, batchFailure(SqlFailureTranslator.Kind.PARENT_MISSING, "23503"));
        metrics.retried(1, batchFailure(SqlFailureTranslator.Kind.RETRYABLE, ""));
        metrics.retried(1, new RedisConnectionException("gone"));

        assertThat(registry.get(SyncMetrics.RETRIES).counters())
                .extracting(c -> c.getId().getTag("class"))
                .containsExactlyInAnyOrder("sqlstate_08", "sqlstate_40", "parent_missing", "database", "redis");
    }

    @Test
    void leaseChanges_areCountedByOutcome() {
        metrics.leaseChanged(3, SyncMetrics.LeaseChange.ACQUIRED);
        metrics.leaseChanged(3, SyncMetrics.LeaseChange.LOST);
        metrics.leaseChanged(3, SyncMetrics.LeaseChange.ACQUIRED);

        assertThat(registry.get(SyncMetrics.LEASE_CHANGES)
                        .tags("partition", "3", "outcome", "acquired")
                        .counter()
                        .count())
                .isEqualTo(2);
        assertThat(registry.get(SyncMetrics.LEASE_CHANGES)
                        .tags("partition", "3", "outcome", "lost")
                        .counter()
                        .count())
                .isEqualTo(1);
    }

    @Test
    void batchSizes_areADistributionPerPartition() {
        metrics.batchRead(0, 10);
        metrics.batchRead(0, 30);

        var summary = registry.get(SyncMetrics.BATCH_SIZE).tag("partition", "0").summary();
        assertThat(summary.count()).isEqualTo(2);
        assertThat(summary.mean()).isEqualTo(20);
    }

    @Test
    void noRegistry_recordsNothing_andNeverFails() {
        SyncMetrics none = SyncMetrics.none(new TableRegistry(4, List.of(Tables.DOCUMENTS)));
        assertThatCode(() -> {
                    none.batchRead(0, 5);
                    none.leaseChanged(0, SyncMetrics.LeaseChange.RELEASED);
                    none.retried(0, new RedisConnectionException("gone"));
                })
                .doesNotThrowAnyException();
    }

    private static BatchFailedException batchFailure(SqlFailureTranslator.Kind kind, String sqlState) {
        return new BatchFailedException(
                1, 10, new SqlFailureTranslator.Classified(kind, sqlState, "message"), new RuntimeException());
    }
}
