package io.cistern.writer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.cistern.connections.RedisDeployment;
import io.cistern.connections.RedisSettings;
import io.cistern.connections.testing.PrivateRedisCluster;
import io.cistern.connections.testing.TestDatabase;
import io.cistern.schema.failure.PermanentException;
import io.cistern.schema.failure.RetryableException;
import io.cistern.schema.function.FunctionLibrary;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.postgres.InitOptions;
import io.cistern.schema.postgres.Initializer;
import io.lettuce.core.FlushMode;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.SlotHash;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * What only a Redis Cluster does to a write: a slot on the move, a master without the Function library. The write
 * ITs that behave the same on every topology run on the cluster through TestRedis (docs/development.md).
 */
class RecordWriterClusterIT {
    private static final String DOCS = "source_documents";
    private static TestDatabase db;
    private static PGSimpleDataSource dataSource;
    private final PrivateRedisCluster cluster = PrivateRedisCluster.shared();
    private final String prefix = PrivateRedisCluster.newPrefix("RecordWriterClusterIT");
    private final KeyLayout layout = new KeyLayout(prefix);
    private RedisDeployment redis;
    private RecordWriter writer;

    @BeforeAll
    static void createDatabase() {
        db = TestDatabase.create(RecordWriterClusterIT.class.getSimpleName());
        dataSource = new PGSimpleDataSource();
        dataSource.setURL(db.jdbcUrl());
    }

    @AfterAll
    static void dropDatabase() {
        db.close();
    }

    @BeforeEach
    void setUp() {
        redis = RedisDeployment.open(RedisSettings.of(cluster.url()));
        init();
        writer = RecordWriter.connect(
                WriterSettings.of(cluster.url()).mutate().prefix(prefix).build());
    }

    @AfterEach
    void tearDown() {
        if (writer != null) {
            writer.close();
        }
        // Leave every master with the library, as init does.
        cluster.masters().forEach(m -> cluster.onNode(m, FunctionLibrary::install));
        redis.close();
        cluster.deleteKeys(prefix);
    }

    private PrivateRedisCluster.Node anotherMaster(PrivateRedisCluster.Node master) {
        return cluster.masters().stream()
                .filter(m -> m.port() != master.port())
                .findFirst()
                .orElseThrow();
    }

    private void init() {
        new Initializer(dataSource, redis.sync(), redis::masterCommands).run(InitOptions.defaults(layout));
    }

    @Test
    void writesToEveryPartition_landOnTheMasterServingItsSlot() {
        for (int i = 0; i < 64; i++) {
            WriteReceipt r = writer.put(DOCS, RecordKey.of(UUID.randomUUID()), Map.of("filename", "f" + i));

            String recordKey = layout.record(r.partition(), DOCS, r.key());
            PrivateRedisCluster.Node master = cluster.masterOfKey(layout.stream(r.partition()));
            assertThat(cluster.<Map<String, String>>onNode(master, c -> c.hgetall(recordKey)))
                    .as("record of partition %d on master %d", r.partition(), master.port())
                    .containsEntry("v", Long.toString(r.version()));
        }
    }

    @Test
    void writeDuringASlotMigration_isRefusedAsRetryable_andAcceptedOnceTheSlotHasMoved() {
        WriteReceipt first = writer.put(DOCS, RecordKey.of(UUID.randomUUID()), Map.of("filename", "before"));
        int partition = first.partition();
        int slot = SlotHash.getSlot(layout.meta(partition));
        PrivateRedisCluster.Node source = cluster.masterOfSlot(slot);
        PrivateRedisCluster.Node target = anotherMaster(source);
        RecordKey sameSlot = keyInPartition(partition);

        PrivateRedisCluster.SlotMigration migration = cluster.beginSlotMigration(slot, target);
        // A new record's hash is on neither node while the stream and meta are still on the source: TRYAGAIN.
        assertThatThrownBy(() -> writer.put(DOCS, sameSlot, Map.of("filename", "during")))
                .isInstanceOfSatisfying(
                        RetryableException.class, e -> assertThat(e.code()).isEqualTo("SLOT_MIGRATING"))
                .hasMessageContaining("nothing was applied, retry");
        migration.finish();

        // The target's Function has not confirmed the partition's floor yet (a sync worker does, within a lease
        // renewal): until then the write is refused as retryable too; confirmed here by hand.
        redis.sync()
                .fcall(
                        FunctionLibrary.CONFIRM_FUNCTION,
                        ScriptOutputType.MULTI,
                        new String[] {layout.meta(partition)},
                        "0");
        WriteReceipt after = await().atMost(Duration.ofSeconds(10))
                .ignoreException(RetryableException.class)
                .until(() -> writer.put(DOCS, sameSlot, Map.of("filename", "after")), r -> true);
        assertThat(after.version()).isGreaterThan(first.version());
        assertThat(cluster.<Boolean>onNode(target, c -> c.exists(layout.record(partition, DOCS, after.key())) == 1))
                .isTrue();
    }

    /**
     * Found by ClusterModelFaultIT: a put or delete of a record whose keys are all still on the source of a migrating
     * slot runs there, and used to delete the hash and create it again; Redis counts a key deleted in a migrating slot
     * as moved, so the next command aborted the Function half done ("Script attempted to access a non local key"): the
     * hash gone, no change entry, and a permanent error for a write that was fine.
     */
    @Test
    void putAndDeleteOfAnExistingRecord_whileItsSlotMigrates_areAppliedWhole() {
        RecordKey key = RecordKey.of(UUID.randomUUID());
        WriteReceipt first = writer.put(DOCS, key, Map.of("filename", "before", "page_count", 3));
        int partition = first.partition();
        int slot = SlotHash.getSlot(layout.meta(partition));
        PrivateRedisCluster.Node source = cluster.masterOfSlot(slot);
        PrivateRedisCluster.Node target = anotherMaster(source);
        String recordKey = layout.record(partition, DOCS, first.key());

        PrivateRedisCluster.SlotMigration migration = cluster.beginSlotMigration(slot, target);
        try {
            WriteReceipt put = writer.put(DOCS, key, Map.of("filename", "during", "status", "done"));
            assertThat(cluster.<Map<String, String>>onNode(source, c -> c.hgetall(recordKey)))
                    .as("the put replaces every column")
                    .containsEntry("v", Long.toString(put.version()))
                    .containsEntry("s", "put")
                    .containsKeys("c:filename", "c:status")
                    .doesNotContainKey("c:page_count");

            WriteReceipt delete = writer.delete(DOCS, key);
            assertThat(cluster.<Map<String, String>>onNode(source, c -> c.hgetall(recordKey)))
                    .isEqualTo(Map.of("v", Long.toString(delete.version()), "s", "deleted"));
            assertThat(cluster.<Long>onNode(source, c -> c.ttl(recordKey))).isEqualTo(-1L);
            assertThat(cluster.<List<String>>onNode(
                            source,
                            c -> c.xrange(layout.stream(partition), io.lettuce.core.Range.create("-", "+")).stream()
                                    .map(m -> m.getBody().get("v"))
                                    .toList()))
                    .as("a change entry for each write")
                    .contains(
                            Long.toString(first.version()),
                            Long.toString(put.version()),
                            Long.toString(delete.version()));
        } finally {
            migration.finish();
        }
    }

    @Test
    void aMasterWithoutTheLibrary_isNamed_byTheWriteAndByAWriterConnecting() {
        WriteReceipt first = writer.put(DOCS, RecordKey.of(UUID.randomUUID()), Map.of("filename", "before"));
        PrivateRedisCluster.Node master = cluster.masterOfKey(layout.meta(first.partition()));

        cluster.onNode(master, c -> c.functionFlush(FlushMode.SYNC));

        assertThatThrownBy(() -> writer.put(DOCS, keyInPartition(first.partition()), Map.of("filename", "x")))
                .isInstanceOfSatisfying(
                        RetryableException.class, e -> assertThat(e.code()).isEqualTo("NOT_INITIALISED"))
                .hasMessageContaining("Redis Cluster master 127.0.0.1:" + master.port());
        assertThatThrownBy(() -> RecordWriter.connect(WriterSettings.of(cluster.url())
                                .mutate()
                                .prefix(prefix)
                                .build())
                        .close())
                .isInstanceOf(PermanentException.class)
                .hasMessageContaining("Redis Cluster master 127.0.0.1:" + master.port())
                .hasMessageContaining("ops/cistern init");
    }

    /** A key of a record in {@code partition}, found by trying (the writer routes by a hash of the key). */
    private RecordKey keyInPartition(int partition) {
        while (true) {
            UUID id = UUID.randomUUID();
            RecordKey key = RecordKey.of(id);
            int p = io.cistern.schema.keys.RecordAddress.of(
                            writer.registry().table(DOCS).orElseThrow(), key.values())
                    .partition(writer.registry().partitions());
            if (p == partition) {
                return key;
            }
        }
    }
}
