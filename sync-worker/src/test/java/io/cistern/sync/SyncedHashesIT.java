package io.cistern.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cistern.schema.codec.ChangeEntry;
import io.cistern.schema.wire.MetaFields;
import io.cistern.writer.RecordKey;
import io.cistern.writer.RecordWriter;
import io.cistern.writer.WriteReceipt;
import io.cistern.writer.WriterSettings;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * After commit and acknowledgement: synced record hashes expire only when nothing newer waits and no dead letter is
 * open (invariant 5), and the applied watermark is published to the meta hash, forward only.
 */
class SyncedHashesIT {
    private static final String DOCS = "source_documents";
    private static final Duration TTL = Duration.ofMinutes(5);
    private static SyncFixture fx;
    private static RecordWriter writer;
    private static RedisClusterCommands<String, String> redis;

    @BeforeAll
    static void start() {
        fx = new SyncFixture(SyncedHashesIT.class.getSimpleName());
        writer = RecordWriter.connect(WriterSettings.of(fx.redisUrl())
                .mutate()
                .prefix(fx.layout.prefix())
                .build());
        redis = fx.commands();
    }

    @AfterAll
    static void stop() {
        writer.close();
        fx.close();
    }

    private static String hashKey(WriteReceipt r) {
        return fx.layout.record(r.partition(), r.table(), r.key());
    }

    @Test
    void givenAWorker_aSyncedKeyGetsATtl_aDeadLetteredKeyKeepsNone_andTheWatermarkIsPublished() {
        WriteReceipt healthy = writer.put(DOCS, RecordKey.of(UUID.randomUUID()), Map.of("filename", "ok.pdf"));
        // The writer refuses this status itself (CHECK_VIOLATION); a plain-Redis producer's put reaches the worker.
        WriteReceipt poison =
                fx.putPastTheWriter(DOCS, UUID.randomUUID(), Map.of("filename", "\"p.pdf\"", "status", "\"bogus\""));
        SyncSettings settings = SyncSettings.defaults(fx.layout)
                .mutate()
                .linger(Duration.ofMillis(10))
                .leaseTime(Duration.ofSeconds(3))
                .renewInterval(Duration.ofMillis(500))
                .syncedHashTtl(TTL)
                .build();

        try (SyncWorker worker = new SyncWorker(settings, fx.registry, fx.dataSource, fx.client())) {
            worker.start();

            await().atMost(Duration.ofSeconds(15))
                    .untilAsserted(
                            () -> assertThat(redis.pttl(hashKey(healthy))).isBetween(1L, TTL.toMillis()));
            await().atMost(Duration.ofSeconds(15))
                    .untilAsserted(() -> assertThat(redis.xlen(fx.layout.deadLetters(poison.partition())))
                            .isPositive());
            await().atMost(Duration.ofSeconds(5))
                    .untilAsserted(() -> assertThat(redis.hget(fx.layout.meta(poison.partition()), MetaFields.APPLIED))
                            .satisfies(id -> assertThat(StreamIds.compare(id, poison.entryId()))
                                    .isGreaterThanOrEqualTo(0)));
        }
        assertThat(redis.pttl(hashKey(poison))).isEqualTo(-1L);
        assertThat(redis.sismember(fx.layout.deadLetterKeys(poison.partition()), hashKey(poison)))
                .isTrue();
        assertThat(redis.hget(fx.layout.meta(healthy.partition()), MetaFields.APPLIED))
                .satisfies(id ->
                        assertThat(StreamIds.compare(id, healthy.entryId())).isGreaterThanOrEqualTo(0));
    }

    @Test
    void givenAKeyWrittenAgainAfterItsBatchWasRead_itKeepsNoTtl_untilItsLatestVersionIsSynced() {
        WriteReceipt first = writer.put(DOCS, RecordKey.of(UUID.randomUUID()), Map.of("filename", "v1.pdf"));
        ChangeEntry read = entry(first);
        WriteReceipt second = writer.patch(DOCS, RecordKey.of(UUID.fromString(first.key())), Map.of("status", "done"));
        SyncedHashes hashes = new SyncedHashes(redis, fx.layout, TTL);

        hashes.release(first.partition(), first.entryId(), List.of(read), Set.of());

        assertThat(redis.pttl(hashKey(first))).isEqualTo(-1L);

        hashes.release(second.partition(), second.entryId(), List.of(entry(second)), Set.of());

        assertThat(redis.pttl(hashKey(second))).isBetween(1L, TTL.toMillis());
    }

    @Test
    void anEntryDeadLetteredInItsOwnBatch_keepsItsKeyWithoutTtl_andTheWatermarkNeverMovesBack() {
        WriteReceipt r = writer.put(DOCS, RecordKey.of(UUID.randomUUID()), Map.of("filename", "x.pdf"));
        SyncedHashes hashes = new SyncedHashes(redis, fx.layout, TTL);
        String meta = fx.layout.meta(r.partition());

        hashes.release(r.partition(), r.entryId(), List.of(entry(r)), Set.of(r.entryId()));
        hashes.release(r.partition(), "1-0", List.of(), Set.of());

        assertThat(redis.pttl(hashKey(r))).isEqualTo(-1L);
        assertThat(redis.hget(meta, MetaFields.APPLIED))
                .satisfies(id -> assertThat(StreamIds.compare(id, r.entryId())).isGreaterThanOrEqualTo(0));
    }

    private static ChangeEntry entry(WriteReceipt r) {
        List<StreamMessage<String, String>> m =
                redis.xrange(fx.layout.stream(r.partition()), Range.create(r.entryId(), r.entryId()));
        return ChangeEntry.fromFields(m.getFirst().getId(), m.getFirst().getBody());
    }
}
