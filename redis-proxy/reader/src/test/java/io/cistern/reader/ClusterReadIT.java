package io.cistern.reader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariDataSource;
import io.cistern.connections.RedisDeployment;
import io.cistern.connections.RedisSettings;
import io.cistern.connections.testing.PrivateRedisCluster;
import io.cistern.connections.testing.TestDatabase;
import io.cistern.connections.testing.TestRedis;
import io.cistern.schema.function.FunctionLibrary;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.keys.Partitioner;
import io.cistern.schema.postgres.InitOptions;
import io.cistern.schema.postgres.Initializer;
import io.cistern.schema.registry.RedisRegistry;
import io.cistern.schema.registry.TableRegistry;
import io.cistern.schema.wire.RecordFields;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The reader on a Redis Cluster (3 masters, 3 replicas): batch reads whose keys span every master, fills on the key's
 * master, and a local copy dropped when its slot changes master (a manual failover, a slot migration) before a write on
 * the new master could be answered stale past the bound (one topology refresh plus a heartbeat).
 *
 * <p>Set up by hand until {@code init} and the writer run on a cluster: the tables are created (and the registry built)
 * through the shared Redis, then the registry is published to the cluster and the Function library loaded on every
 * master; writes are record hashes written on the key's master through the cluster client.
 */
class ClusterReadIT {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ClusterReadIT.class);
    private static final int PARTITIONS = 16;
    /** How long after a write on the new master a moved slot's old local copy may still be answered. */
    private static final Duration STALE_BOUND =
            LettuceCachedReader.TOPOLOGY_REFRESH.plus(Invalidations.HEARTBEAT).plusSeconds(1);

    private static PrivateRedisCluster cluster;
    private static TestRedis sharedRedis;
    private static TestDatabase database;
    private static HikariDataSource dataSource;
    private static KeyLayout layout;
    private static TableRegistry registry;
    private static RedisDeployment admin;
    private static CachedReader reader;

    @BeforeAll
    static void start() {
        cluster = PrivateRedisCluster.shared();
        sharedRedis = TestRedis.create("ClusterReadIT");
        layout = new KeyLayout(sharedRedis.prefix());
        database = TestDatabase.create("ClusterReadIT");
        dataSource = new HikariDataSource(database.poolConfig("cluster-read-test"));
        registry = new Initializer(dataSource, sharedRedis.commands())
                .run(InitOptions.defaults(layout).withPartitions(PARTITIONS))
                .registry();
        admin = RedisDeployment.open(RedisSettings.of(cluster.url()));
        admin.onEveryMaster(FunctionLibrary::install);
        new RedisRegistry(admin.sync(), layout).publish(registry, Initializer.limits(dataSource));
        reader = LettuceCachedReader.create(
                ReaderSettings.defaults()
                        .mutate()
                        .prefix(layout.prefix())
                        .localCacheEntries(10_000)
                        .localCacheTtl(Duration.ofMinutes(5))
                        // "absent" lives as long: only the slot map check can drop it once its slot moved
                        .negativeCacheTtl(Duration.ofMinutes(5))
                        .build(),
                RedisSettings.of(cluster.url()),
                dataSource,
                new SimpleMeterRegistry(),
                com.github.benmanes.caffeine.cache.Ticker.systemTicker(),
                LettuceCachedReader.Hooks.NONE);
    }

    @AfterAll
    static void stop() {
        if (reader != null) {
            reader.close();
        }
        if (admin != null) {
            admin.close();
        }
        if (cluster != null && layout != null) {
            cluster.deleteKeys(layout.prefix());
        }
        if (dataSource != null) {
            dataSource.close();
        }
        if (database != null) {
            database.close();
        }
        if (sharedRedis != null) {
            sharedRedis.close();
        }
    }

    @Test
    void batchAcrossEveryMaster_answersFromPostgresThenRedisThenLocally() {
        // given rows in PostgreSQL only, whose partitions fall on every master
        List<String> ids = new ArrayList<>();
        Set<Integer> masters = new HashSet<>();
        while (masters.size() < 3 || ids.size() < 24) {
            String id = UUID.randomUUID().toString();
            insertDocument(id, "a.pdf", 1);
            ids.add(id);
            masters.add(cluster.masterOfKey(recordKey(id)).port());
        }

        // when read as one batch: no CROSSSLOT, each from PostgreSQL, and filled into Redis on its master
        List<ReadResult> first = reader.getAll("source_documents", ids);
        assertThat(first).allSatisfy(r -> assertThat(r.tier()).isEqualTo(Tier.DATABASE));
        assertThat(first).allSatisfy(r -> assertThat(r.version()).isEqualTo(1));
        for (String id : ids) {
            assertThat(admin.sync().hget(recordKey(id), RecordFields.VERSION)).isEqualTo("1");
        }

        // then the same batch is answered locally (tracked on every master)
        assertThat(reader.getAll("source_documents", ids))
                .allSatisfy(r -> assertThat(r.tier()).isEqualTo(Tier.LOCAL));

        // and a write on any master drops that copy at once
        for (String id : ids.subList(0, 6)) {
            write(id, 2, "b.pdf");
        }
        await().atMost(Duration.ofSeconds(1))
                .pollInterval(Duration.ofMillis(5))
                .until(() -> reader.getAll("source_documents", ids.subList(0, 6)).stream()
                        .allMatch(r -> r.version() == 2));
    }

    @Test
    void manualFailover_theOldCopyIsNeverAnsweredPastTheBoundAfterAWriteOnTheNewMaster() {
        String id = cachedRecord();
        PrivateRedisCluster.Node oldMaster = cluster.masterOfKey(recordKey(id));

        // when its master fails over and the new master takes a write
        cluster.failover(oldMaster);
        long written = write(id, 2, "after-failover.pdf");

        // then the proxy answers the new version within the bound, and never the old one after it
        assertNewVersionWithinBound(id, written);
    }

    @Test
    void masterKilled_theOldCopyIsNeverAnsweredPastTheBoundAfterAWriteOnThePromotedReplica() {
        String id = cachedRecord();
        PrivateRedisCluster.Node oldMaster = cluster.masterOfKey(recordKey(id));
        try {
            // when its master dies (SIGKILL), its replica is promoted and takes a write
            cluster.killMaster(oldMaster);
            long written = write(id, 2, "after-kill.pdf");

            // then the proxy answers the new version within the bound, and never the old one after it
            assertNewVersionWithinBound(id, written);
        } finally {
            cluster.heal();
        }
    }

    @Test
    void slotMigration_theOldCopyIsNeverAnsweredPastTheBoundAfterAWriteOnTheNewMaster() {
        String id = cachedRecord();
        int slot = RedisDeployment.slotOf(recordKey(id));
        PrivateRedisCluster.Node source = cluster.masterOfSlot(slot);
        PrivateRedisCluster.Node target = cluster.masters().stream()
                .filter(m -> m.port() != source.port())
                .findFirst()
                .orElseThrow();

        // when its slot moves to another master, which then takes a write
        cluster.migrateSlot(slot, target);
        long written = write(id, 2, "after-migration.pdf");

        // then the proxy answers the new version within the bound, and never the old one after it
        assertNewVersionWithinBound(id, written);
    }

    @Test
    void slotMigration_anAbsentRecordCachedAsAbsentIsFoundAfterAWriteOnTheNewMaster() {
        // given a record cached as absent (no row, no hash): nothing on the old master will ever invalidate it
        String id = UUID.randomUUID().toString();
        reader.get("source_documents", id);
        assertThat(reader.get("source_documents", id).tier()).isEqualTo(Tier.LOCAL);
        int slot = RedisDeployment.slotOf(recordKey(id));
        PrivateRedisCluster.Node source = cluster.masterOfSlot(slot);
        PrivateRedisCluster.Node target = cluster.masters().stream()
                .filter(m -> m.port() != source.port())
                .findFirst()
                .orElseThrow();

        // when the slot moves and the new master takes a write
        cluster.migrateSlot(slot, target);
        long written = write(id, 3, "created.pdf");

        // then the proxy finds it within the bound
        assertNewVersionWithinBound(id, written, 3);
    }

    /** A record read twice: the second answer came from the local cache. */
    private static String cachedRecord() {
        String id = UUID.randomUUID().toString();
        insertDocument(id, "before.pdf", 1);
        reader.get("source_documents", id);
        assertThat(reader.get("source_documents", id).tier()).isEqualTo(Tier.LOCAL);
        return id;
    }

    private static void assertNewVersionWithinBound(String id, long writtenAtNanos) {
        assertNewVersionWithinBound(id, writtenAtNanos, 2);
    }

    private static void assertNewVersionWithinBound(String id, long writtenAtNanos, long version) {
        long[] lastOld = {0};
        await().atMost(STALE_BOUND.plusSeconds(5))
                .pollInterval(Duration.ofMillis(10))
                .ignoreExceptions() // a read may fail while the cluster settles: never an old answer
                .until(() -> {
                    ReadResult r = reader.get("source_documents", id);
                    if (r.version() != version) {
                        lastOld[0] = System.nanoTime();
                        return false;
                    }
                    return true;
                });
        // and it keeps answering the new version
        for (int i = 0; i < 20; i++) {
            assertThat(reader.get("source_documents", id).version()).isEqualTo(version);
        }
        Duration stale = Duration.ofNanos(Math.max(0, lastOld[0] - writtenAtNanos));
        log.info("{}: old answers up to {} ms after the write on the new master", id, stale.toMillis());
        assertThat(stale).as("old answers after the write").isLessThanOrEqualTo(STALE_BOUND);
    }

    /**
     * A put of the record at {@code version} on its slot's master (through the cluster client), over the filled hash if
     * any, kept without TTL; when it returned.
     */
    private static long write(String id, long version, String filename) {
        String key = recordKey(id);
        // Until the client has seen a promotion, a write may fail: retried, as a producer would.
        await().atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(50))
                .ignoreExceptions()
                .until(() -> admin.sync()
                                .hset(
                                        key,
                                        Map.of(
                                                RecordFields.VERSION,
                                                Long.toString(version),
                                                RecordFields.STATE,
                                                RecordFields.STATE_PUT,
                                                RecordFields.column("document_uuid"),
                                                "\"" + id + "\"",
                                                RecordFields.column("filename"),
                                                "\"" + filename + "\"",
                                                RecordFields.column("status"),
                                                "\"registered\"",
                                                RecordFields.column("size_bytes"),
                                                "1234"))
                        != null);
        long written = System.nanoTime();
        admin.sync().persist(key);
        return written;
    }

    private static String recordKey(String id) {
        int routing = registry.table("source_documents").orElseThrow().routingColumns();
        int p = Partitioner.partitionOf(Partitioner.routingText(id, routing), PARTITIONS);
        return layout.record(p, "source_documents", id);
    }

    private static void insertDocument(String uuid, String filename, long version) {
        database.execute("INSERT INTO source_documents (document_uuid, filename, status, size_bytes, cistern_version)"
                + " VALUES ('" + uuid + "', '" + filename + "', 'registered', 1234, " + version + ")");
    }
}
