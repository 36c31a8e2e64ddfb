package io.cistern.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.wire.DeadLetterFields;
import io.cistern.writer.RecordKey;
import io.cistern.writer.RecordWriter;
import io.cistern.writer.WriteReceipt;
import io.cistern.writer.WriterSettings;
import io.lettuce.core.Consumer;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The whole worker, started without Spring, fed by {@link RecordWriter}: through the shared Redis, and in the
 * on-redis-cluster execution through the private Redis Cluster (each partition drained on its slot's master).
 */
class SyncWorkerIT {
    private static final String DOCS = "source_documents";
    private static final String ENTITIES = "entities";
    private static SyncFixture fx;
    private static RecordWriter writer;
    private static SyncSettings settings;

    @BeforeAll
    static void start() {
        fx = new SyncFixture(SyncWorkerIT.class.getSimpleName());
        writer = RecordWriter.connect(WriterSettings.of(fx.redisUrl())
                .mutate()
                .prefix(fx.layout.prefix())
                .build());
        settings = SyncSettings.defaults(fx.layout)
                .mutate()
                .linger(Duration.ofMillis(10))
                .leaseTime(Duration.ofSeconds(3))
                .renewInterval(Duration.ofMillis(500))
                .backoffInitial(Duration.ofMillis(20))
                .backoffMax(Duration.ofMillis(200))
                .parentMissingTimeout(Duration.ofMillis(500))
                .build();
    }

    @AfterAll
    static void stop() {
        writer.close();
        fx.close();
    }

    @Test
    void recordsWrittenWithRecordWriter_reachPostgreSQL_andEveryEntryIsAcknowledged() {
        Map<String, String> expectedStatus = new HashMap<>();
        List<String> deleted = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            UUID doc = UUID.randomUUID();
            writer.put(DOCS, RecordKey.of(doc), Map.of("filename", "doc-" + i + ".pdf"));
            writer.put(ENTITIES, RecordKey.of(doc, UUID.randomUUID()), Map.of("entity_type", "person", "value", "x"));
            writer.patch(DOCS, RecordKey.of(doc), Map.of("status", "processing"));
            if (i % 5 == 0) {
                UUID lonely = UUID.randomUUID();
                writer.put(DOCS, RecordKey.of(lonely), Map.of("filename", "gone.pdf"));
                writer.delete(DOCS, RecordKey.of(lonely));
                deleted.add(lonely.toString());
            }
            writer.patch(DOCS, RecordKey.of(doc), Map.of("status", "done", "page_count", i));
            expectedStatus.put(doc.toString(), "done/" + i);
        }

        try (SyncWorker worker = new SyncWorker(settings, fx.registry, fx.dataSource, fx.client())) {
            worker.start();

            await().atMost(Duration.ofSeconds(20))
                    .untilAsserted(() -> assertThat(statusByDocument()).containsAllEntriesOf(expectedStatus));
            await().atMost(Duration.ofSeconds(5))
                    .untilAsserted(() -> assertThat(pendingEntries()).isZero());
            assertThat(worker.ownedPartitions()).hasSize(SyncFixture.PARTITIONS);
        }
        assertThat(fx.rows("SELECT * FROM entities")).hasSizeGreaterThanOrEqualTo(60);
        for (String gone : deleted) {
            assertThat(fx.row(DOCS, "document_uuid = '" + gone + "'")).isEmpty();
        }
        assertThat(fx.rows("SELECT * FROM cistern_partition WHERE applied_watermark <> '0-0'"))
                .hasSize(SyncFixture.PARTITIONS);
    }

    @Test
    void entriesLeftPendingByAPreviousOwner_areAppliedFirst_andAcknowledged() {
        UUID doc = UUID.randomUUID();
        WriteReceipt receipt = writer.put(DOCS, RecordKey.of(doc), Map.of("filename", "orphaned.pdf"));
        String stream = fx.layout.stream(receipt.partition());
        RedisClusterCommands<String, String> redis = fx.commands();
        try {
            redis.xgroupCreate(
                    XReadArgs.StreamOffset.from(stream, "0"), PartitionLoop.GROUP, XGroupCreateArgs.Builder.mkstream());
        } catch (io.lettuce.core.RedisBusyException e) {
            // the group is there from an earlier test
        }
        // A worker read it and died before committing: the entry is pending under the partition's consumer name.
        List<StreamMessage<String, String>> read = redis.xreadgroup(
                Consumer.from(PartitionLoop.GROUP, Integer.toString(receipt.partition())),
                XReadArgs.Builder.count(10_000),
                XReadArgs.StreamOffset.lastConsumed(stream));
        assertThat(read).extracting(StreamMessage::getId).contains(receipt.entryId());

        try (SyncWorker worker = new SyncWorker(settings, fx.registry, fx.dataSource, fx.client())) {
            worker.start();

            await().atMost(Duration.ofSeconds(15))
                    .untilAsserted(() -> assertThat(fx.row(DOCS, "document_uuid = '" + doc + "'"))
                            .hasValueSatisfying(row -> assertThat(row).containsEntry("filename", "orphaned.pdf")));
            await().atMost(Duration.ofSeconds(5))
                    .untilAsserted(() -> assertThat(pendingEntries()).isZero());
        }
    }

    @Test
    void poisonRecord_goesToTheDeadLetterStreamWithItsReason_whileTheRestOfItsBatchIsApplied() {
        UUID poison = UUID.randomUUID();
        List<UUID> healthy = List.of(UUID.randomUUID(), UUID.randomUUID(), UUID.randomUUID());
        writer.put(DOCS, RecordKey.of(healthy.get(0)), Map.of("filename", "a.pdf"));
        // The writer refuses this status itself (CHECK_VIOLATION); a plain-Redis producer's put reaches the worker.
        WriteReceipt bad = fx.putPastTheWriter(DOCS, poison, Map.of("filename", "\"p.pdf\"", "status", "\"bogus\""));
        writer.put(DOCS, RecordKey.of(healthy.get(1)), Map.of("filename", "b.pdf"));
        writer.put(DOCS, RecordKey.of(healthy.get(2)), Map.of("filename", "c.pdf"));

        try (SyncWorker worker = new SyncWorker(settings, fx.registry, fx.dataSource, fx.client())) {
            worker.start();

            await().atMost(Duration.ofSeconds(15))
                    .untilAsserted(() -> assertThat(deadLetters(bad.partition()))
                            .anySatisfy(d -> assertThat(d)
                                    .containsEntry(DeadLetterFields.ENTRY_ID, bad.entryId())
                                    .containsEntry(DeadLetterFields.SQLSTATE, "23514")
                                    .containsEntry("t", DOCS)
                                    .containsEntry("k", poison.toString())
                                    .containsEntry("c:status", "\"bogus\"")
                                    .containsKey(DeadLetterFields.ATTEMPTS)
                                    .hasEntrySatisfying(
                                            DeadLetterFields.REASON,
                                            r -> assertThat(r).contains("check constraint"))));
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                for (UUID h : healthy) {
                    assertThat(fx.row(DOCS, "document_uuid = '" + h + "'")).isPresent();
                }
            });
        }
        assertThat(fx.row(DOCS, "document_uuid = '" + poison + "'")).isEmpty();
    }

    @Test
    void close_releasesEveryLease() {
        SyncWorker worker = new SyncWorker(settings, fx.registry, fx.dataSource, fx.client());
        worker.start();
        await().atMost(Duration.ofSeconds(10))
                .until(() -> worker.ownedPartitions().size() == SyncFixture.PARTITIONS);
        assertThat(fx.commands().get(worker.leaseKey(0))).isEqualTo(settings.workerId());

        worker.close();

        for (int p = 0; p < SyncFixture.PARTITIONS; p++) {
            assertThat(fx.commands().exists(worker.leaseKey(p))).isZero();
        }
    }

    private static Map<String, String> statusByDocument() {
        Map<String, String> status = new HashMap<>();
        for (Map<String, String> row : fx.rows("SELECT document_uuid, status, page_count FROM source_documents")) {
            status.put(row.get("document_uuid"), row.get("status") + "/" + row.get("page_count"));
        }
        return status;
    }

    private static long pendingEntries() {
        long pending = 0;
        KeyLayout layout = fx.layout;
        for (int p = 0; p < SyncFixture.PARTITIONS; p++) {
            pending += fx.commands()
                    .xpending(layout.stream(p), PartitionLoop.GROUP)
                    .getCount();
        }
        return pending;
    }

    private static List<Map<String, String>> deadLetters(int partition) {
        return fx.commands().xrange(fx.layout.deadLetters(partition), io.lettuce.core.Range.create("-", "+")).stream()
                .map(StreamMessage::getBody)
                .toList();
    }
}
