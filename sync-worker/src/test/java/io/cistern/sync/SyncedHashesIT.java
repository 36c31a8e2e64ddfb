package io.cistern.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cistern.connections.testing.PrivateRedis;
import io.cistern.schema.codec.ChangeEntry;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.wire.MetaFields;
import io.cistern.writer.RecordKey;
import io.cistern.writer.RecordWriter;
import io.cistern.writer.WriteReceipt;
import io.cistern.writer.WriterSettings;
import io.lettuce.core.Consumer;
import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.models.stream.PendingMessages;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * After commit, in the one acknowledgement call ({@link BatchAcknowledgement}): the batch's entries are acknowledged,
 * synced record hashes expire only when nothing newer waits and no dead letter is open (invariant 5), and the applied
 * watermark is published to the meta hash, forward only.
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
        BatchAcknowledgement hashes = new BatchAcknowledgement(redis, fx.layout, TTL);

        hashes.acknowledge(
                first.partition(), List.of(first.entryId()), Optional.of(first.entryId()), List.of(read), Set.of());

        assertThat(redis.pttl(hashKey(first))).isEqualTo(-1L);

        hashes.acknowledge(
                second.partition(),
                List.of(second.entryId()),
                Optional.of(second.entryId()),
                List.of(entry(second)),
                Set.of());

        assertThat(redis.pttl(hashKey(second))).isBetween(1L, TTL.toMillis());
    }

    @Test
    void anEntryDeadLetteredInItsOwnBatch_keepsItsKeyWithoutTtl_andTheWatermarkNeverMovesBack() {
        WriteReceipt r = writer.put(DOCS, RecordKey.of(UUID.randomUUID()), Map.of("filename", "x.pdf"));
        BatchAcknowledgement hashes = new BatchAcknowledgement(redis, fx.layout, TTL);
        String meta = fx.layout.meta(r.partition());

        hashes.acknowledge(
                r.partition(), List.of(r.entryId()), Optional.of(r.entryId()), List.of(entry(r)), Set.of(r.entryId()));
        hashes.acknowledge(r.partition(), List.of(r.entryId()), Optional.of("1-0"), List.of(), Set.of());

        assertThat(redis.pttl(hashKey(r))).isEqualTo(-1L);
        assertThat(redis.hget(meta, MetaFields.APPLIED))
                .satisfies(id -> assertThat(StreamIds.compare(id, r.entryId())).isGreaterThanOrEqualTo(0));
    }

    @Test
    void theCall_acknowledgesEveryIdOfTheBatch_inChunks_andLeavesLaterEntriesPending() {
        int partition = 0;
        KeyLayout layout = new KeyLayout(fx.layout.prefix() + "-ack");
        String stream = layout.stream(partition);
        fx.serverOf(stream)
                .xgroupCreate(
                        XReadArgs.StreamOffset.from(stream, "0"),
                        PartitionLoop.GROUP,
                        XGroupCreateArgs.Builder.mkstream());
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < BatchAcknowledgement.IDS_PER_XACK + 5; i++) {
            ids.add(redis.xadd(stream, Map.of("x", Integer.toString(i))));
        }
        String later = redis.xadd(stream, Map.of("x", "later"));
        redis.xreadgroup(
                Consumer.from(PartitionLoop.GROUP, "0"),
                XReadArgs.Builder.count(ids.size() + 1),
                XReadArgs.StreamOffset.lastConsumed(stream));

        new BatchAcknowledgement(redis, layout, TTL).acknowledge(partition, ids, Optional.empty(), List.of(), Set.of());

        PendingMessages pending = redis.xpending(stream, PartitionLoop.GROUP);
        assertThat(pending.getCount()).isEqualTo(1);
        assertThat(pending.getMessageIds().getLower().getValue()).isEqualTo(later);
    }

    @Test
    void aServerWithoutTheScript_getsItWhole_andTheCallSucceeds() {
        try (PrivateRedis fresh = PrivateRedis.start();
                RedisClient client = RedisClient.create(fresh.url());
                var connection = client.connect()) {
            RedisCommands<String, String> server = connection.sync();
            String stream = fx.layout.stream(0);
            String id = server.xadd(stream, Map.of("x", "1"));
            server.xgroupCreate(XReadArgs.StreamOffset.from(stream, "0"), PartitionLoop.GROUP);
            server.xreadgroup(Consumer.from(PartitionLoop.GROUP, "0"), XReadArgs.StreamOffset.lastConsumed(stream));
            BatchAcknowledgement ack = new BatchAcknowledgement(server, fx.layout, TTL);

            // the server never saw the script (EVALSHA answers NOSCRIPT), then forgets it again
            ack.acknowledge(0, List.of(id), Optional.of(id), List.of(), Set.of());
            server.xgroupSetid(XReadArgs.StreamOffset.from(stream, "0"), PartitionLoop.GROUP);
            server.xreadgroup(Consumer.from(PartitionLoop.GROUP, "0"), XReadArgs.StreamOffset.lastConsumed(stream));
            server.scriptFlush();
            ack.acknowledge(0, List.of(id), Optional.of(id), List.of(), Set.of());

            assertThat(server.xpending(stream, PartitionLoop.GROUP).getCount()).isZero();
            assertThat(server.hget(fx.layout.meta(0), MetaFields.APPLIED)).isEqualTo(id);
        }
    }

    private static ChangeEntry entry(WriteReceipt r) {
        List<StreamMessage<String, String>> m =
                redis.xrange(fx.layout.stream(r.partition()), Range.create(r.entryId(), r.entryId()));
        return ChangeEntry.fromFields(m.getFirst().getId(), m.getFirst().getBody());
    }
}
