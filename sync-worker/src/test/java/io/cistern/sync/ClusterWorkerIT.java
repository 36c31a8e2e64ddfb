package io.cistern.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.cistern.connections.RedisClients;
import io.cistern.connections.RedisDeployment;
import io.cistern.connections.RedisSettings;
import io.cistern.connections.testing.PrivateRedisCluster;
import io.cistern.connections.testing.TestDatabase;
import io.cistern.connections.testing.TestRedis;
import io.cistern.schema.codec.Operation;
import io.cistern.schema.function.FunctionLibrary;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.keys.RecordAddress;
import io.cistern.schema.postgres.InitOptions;
import io.cistern.schema.postgres.Initializer;
import io.cistern.schema.registry.RedisRegistry;
import io.cistern.schema.registry.TableRegistry;
import io.cistern.schema.wire.ConfigFields;
import io.cistern.schema.wire.MetaFields;
import io.lettuce.core.FlushMode;
import io.lettuce.core.RedisException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.RedisClusterClient;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sync worker on a Redis Cluster (3 masters, 3 replicas, {@link PrivateRedisCluster}): partitions on every master
 * drained, a master that lost the Function library given it back, and writes flowing while a master is SIGKILLed (its
 * replica promoted) and while one partition's slot moves to another master.
 *
 * <p>Until {@code init} and the writer work on a cluster, the test sets Cistern up itself: the database through {@link
 * Initializer} (against a throwaway prefix on the shared Redis, for its PostgreSQL part), the Function library on
 * every master, the registry published through the cluster connection; the worker seeds each partition's floor from
 * PostgreSQL when it takes it, as it re-seeds a Redis that lost its data. Writes are {@code FCALL}s on the master of
 * the record's slot, each followed by {@code WAIT 1} on the same node connection: a write counts as accepted only when
 * its replica has it, so a SIGKILL may not lose it.
 */
class ClusterWorkerIT {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterWorkerIT.class);
    private static final int PARTITIONS = 8;
    private static final String DOCS = "source_documents";
    private static final Duration LEASE = Duration.ofSeconds(3);
    /** The fixture's cluster-node-timeout. */
    private static final Duration NODE_TIMEOUT = Duration.ofMillis(1500);

    private static PrivateRedisCluster cluster;
    private static String prefix;
    private static KeyLayout layout;
    private static TestDatabase db;
    private static HikariDataSource dataSource;
    private static TableRegistry registry;
    private static RedisDeployment redis;
    private static RedisClusterClient workerClient;
    private static SyncSettings settings;
    private static SyncWorker worker;

    @BeforeAll
    static void setUp() {
        cluster = PrivateRedisCluster.shared();
        prefix = PrivateRedisCluster.newPrefix("worker");
        layout = new KeyLayout(prefix);
        db = TestDatabase.create(ClusterWorkerIT.class.getSimpleName());
        HikariConfig config = db.poolConfig("cluster-worker");
        config.setMaximumPoolSize(PARTITIONS + 2);
        dataSource = new HikariDataSource(config);
        try (TestRedis scratch = TestRedis.create("cluster-worker-init")) {
            registry = new Initializer(dataSource, scratch.commands())
                    .run(InitOptions.defaults(new KeyLayout(scratch.prefix())).withPartitions(PARTITIONS))
                    .registry();
        }
        RedisSettings redisSettings = RedisSettings.of(cluster.url());
        redis = RedisDeployment.open(redisSettings);
        redis.onEveryMaster(FunctionLibrary::install);
        settings = SyncSettings.defaults(layout)
                .mutate()
                .linger(Duration.ofMillis(10))
                .leaseTime(LEASE)
                .renewInterval(Duration.ofMillis(500))
                .backoffInitial(Duration.ofMillis(20))
                .backoffMax(Duration.ofMillis(200))
                .build();
        new RedisRegistry(redis.sync(), layout).publish(registry, settings.limits());
        workerClient = RedisClients.createCluster(redisSettings);
        worker = new SyncWorker(settings, registry, dataSource, workerClient);
        worker.start();
        await().atMost(Duration.ofSeconds(20))
                .until(() -> worker.ownedPartitions().size() == PARTITIONS);
    }

    @AfterAll
    static void tearDown() {
        try {
            if (worker != null) {
                worker.close();
            }
            if (workerClient != null) {
                workerClient.shutdown();
            }
            if (redis != null) {
                redis.close();
            }
            cluster.heal();
            cluster.deleteKeys(prefix);
        } finally {
            if (dataSource != null) {
                dataSource.close();
            }
            db.close();
        }
    }

    @Test
    void partitionsOnEveryMaster_areDrained_andAMasterThatLostTheLibrary_getsItBack() {
        Set<String> mastersWithPartitions = new HashSet<>();
        for (int p = 0; p < PARTITIONS; p++) {
            mastersWithPartitions.add(cluster.masterOfKey(layout.meta(p)).id());
        }
        assertThat(mastersWithPartitions)
                .as("%s partitions on %s", PARTITIONS, cluster.describe())
                .hasSize(3);

        Map<UUID, Integer> written = new HashMap<>();
        for (int i = 0; i < 40; i++) {
            UUID doc = UUID.randomUUID();
            await().atMost(Duration.ofSeconds(10)).ignoreExceptions().until(() -> {
                put(doc, 1);
                return true;
            });
            written.put(doc, 1);
        }
        await().atMost(Duration.ofSeconds(20))
                .untilAsserted(() -> assertThat(pageCounts(written.keySet())).containsAllEntriesOf(written));

        // The master of partition 0's slot loses the library (FUNCTION FLUSH replicates to its replica too).
        String meta = layout.meta(0);
        PrivateRedisCluster.Node bare = cluster.masterOfKey(meta);
        cluster.onNode(bare, c -> c.functionFlush(FlushMode.SYNC));
        assertThat(cluster.onNode(bare, FunctionLibrary::installedRevision)).isEqualTo(-1);

        await().atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(cluster.onNode(bare, FunctionLibrary::installedRevision))
                        .isEqualTo(FunctionLibrary.REVISION));
        UUID doc = docInPartition(0);
        await().atMost(Duration.ofSeconds(5)).ignoreExceptions().until(() -> {
            put(doc, 7);
            return true;
        });
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(pageCounts(Set.of(doc))).containsEntry(doc, 7));
    }

    @Test
    void theRegistryAndConfigLostOnTheirMaster_whilePartitionFloorsRemain_areRepublishedFromPostgres() {
        String registryKey = layout.registry();
        String configKey = layout.config();
        // What a failover to a replica that never received them, or a flushed master, leaves: the partitions elsewhere
        // keep their floors, so no partition re-seed would put them back.
        redis.sync().del(registryKey, configKey);
        assertThat(redis.sync().hget(layout.meta(partitionNotOn(cluster.masterOfKey(registryKey))), MetaFields.FLOOR))
                .isNotNull();

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            assertThat(redis.sync().hkeys(registryKey)).containsExactlyInAnyOrder("entities", DOCS);
            assertThat(redis.sync().hget(configKey, ConfigFields.PARTITIONS)).isEqualTo(Integer.toString(PARTITIONS));
        });
    }

    @Test
    void writesFlowThroughAKilledMasterAndAMovedSlot_nothingAcceptedIsLost_noneOlderOverNewer() throws Exception {
        // Partition A's master is killed (its replica takes over); partition B's slot moves to a third master.
        int a = 1;
        PrivateRedisCluster.Node killed = cluster.masterOfKey(layout.meta(a));
        int b = partitionNotOn(killed);
        PrivateRedisCluster.Node source = cluster.masterOfKey(layout.meta(b));
        PrivateRedisCluster.Node target = cluster.masters().stream()
                .filter(n -> !n.id().equals(killed.id()) && !n.id().equals(source.id()))
                .findFirst()
                .orElseThrow();

        Producer producer = new Producer();
        Probe probeA = new Probe(a, producer.watchStop);
        Probe probeB = new Probe(b, producer.watchStop);
        producer.probes = List.of(probeA, probeB);
        Thread producing = Thread.ofPlatform().name("cluster-producer").start(producer);
        Thread probingA = Thread.ofPlatform().name("cluster-probe-" + a).start(probeA);
        Thread probingB = Thread.ofPlatform().name("cluster-probe-" + b).start(probeB);
        long killedAt = 0;
        long movedAt = 0;
        Thread watching = Thread.ofPlatform().name("cluster-watcher").start(producer::watch);
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> producer.accepted.size() > 100);

            killedAt = System.nanoTime();
            PrivateRedisCluster.Node promoted = cluster.killMaster(killed);
            LOG.info(
                    "killed master {} (partition {}); replica {} promoted after {} ms",
                    killed.port(),
                    a,
                    promoted.port(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt));
            // The killed node comes back as the promoted one's replica, so that writes there can be confirmed again.
            cluster.restart(killed);
            int before = producer.accepted.size();
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> producer.acceptedIn(a) > 0 && producer.accepted.size() > before + 100);

            int slot = RedisDeployment.slotOf(layout.meta(b));
            movedAt = System.nanoTime();
            cluster.migrateSlot(slot, target);
            LOG.info("moved slot {} (partition {}) from {} to {}", slot, b, source.port(), target.port());
            int afterMove = producer.accepted.size();
            await().atMost(Duration.ofSeconds(20)).until(() -> producer.accepted.size() > afterMove + 100);
        } finally {
            producer.stop.countDown();
            producing.join();
        }
        try {
            await().atMost(Duration.ofSeconds(30))
                    .untilAsserted(
                            () -> assertThat(producer.appliedAt.keySet()).containsAll(producer.accepted.keySet()));
        } finally {
            producer.watchStop.countDown();
            watching.join();
            probingA.join();
            probingB.join();
        }

        // Every accepted write is in PostgreSQL, and each hot key holds its last accepted value or a later one.
        Map<UUID, Integer> hot = pageCounts(producer.lastAcceptedHot.keySet());
        producer.lastAcceptedHot.forEach(
                (doc, value) -> assertThat(hot.get(doc)).as("hot key %s", doc).isGreaterThanOrEqualTo(value));
        long stallMs = producer.longestWriteToApply();
        long killStallMs = probeA.stallAfter(killedAt);
        long moveStallMs = probeB.stallAfter(movedAt);
        LOG.info(
                "longest stall of partition {} (no new write of it reaching PostgreSQL) from SIGKILL of its master on:"
                        + " {} ms; of partition {} from the start of its slot's migration on: {} ms; bound: node timeout"
                        + " {} ms + lease {} ms",
                a,
                killStallMs,
                b,
                moveStallMs,
                NODE_TIMEOUT.toMillis(),
                LEASE.toMillis());
        LOG.info(
                "{} writes accepted ({} in partition {}, {} in partition {}), {} refused and retried; longest accepted"
                        + " write to PostgreSQL: {} ms (bound: node timeout {} ms + lease {} ms)",
                producer.accepted.size(),
                producer.acceptedIn(a),
                a,
                producer.acceptedIn(b),
                b,
                producer.refused.get(),
                stallMs,
                NODE_TIMEOUT.toMillis(),
                LEASE.toMillis());
        assertThat(producer.acceptedIn(b)).isPositive();
        assertThat(stallMs).isLessThan(NODE_TIMEOUT.plus(LEASE).toMillis());
        assertThat(killStallMs).isLessThan(NODE_TIMEOUT.plus(LEASE).toMillis());
        assertThat(moveStallMs).isLessThan(NODE_TIMEOUT.plus(LEASE).toMillis());
    }

    /**
     * Writes increasing sequence numbers in {@code page_count}: three in four to a new document each, recording when
     * each was accepted and (its watcher) when it reached PostgreSQL; every fourth to one of a few hot documents, the
     * same keys overwritten with growing values, whose last accepted value PostgreSQL must hold or pass.
     */
    private final class Producer implements Runnable {
        final CountDownLatch stop = new CountDownLatch(1);
        final CountDownLatch watchStop = new CountDownLatch(1);
        final Map<Integer, Long> accepted = new ConcurrentHashMap<>();
        final Map<Integer, Integer> partitionOf = new ConcurrentHashMap<>();
        final Map<Integer, Long> appliedAt = new ConcurrentHashMap<>();
        final Map<UUID, Integer> lastAcceptedHot = new ConcurrentHashMap<>();
        final AtomicLong refused = new AtomicLong();
        private final List<UUID> hotKeys = List.of(UUID.randomUUID(), UUID.randomUUID(), UUID.randomUUID());
        private final String tag = "seq-" + UUID.randomUUID();
        List<Probe> probes = List.of();

        @Override
        public void run() {
            int seq = 0;
            try {
                while (!stop.await(2, TimeUnit.MILLISECONDS)) {
                    boolean toHot = seq % 4 == 0;
                    UUID doc = toHot ? hotKeys.get((seq / 4) % hotKeys.size()) : UUID.randomUUID();
                    try {
                        int partition = put(doc, seq, toHot ? tag + "-hot" : tag);
                        if (toHot) {
                            lastAcceptedHot.put(doc, seq);
                        } else {
                            accepted.put(seq, System.nanoTime());
                            partitionOf.put(seq, partition);
                        }
                        seq++;
                    } catch (RedisException | IllegalStateException e) {
                        // Refused (its master down, failing over, unconfirmed, moved): the next round tries again.
                        refused.incrementAndGet();
                        if (refused.get() % 50 == 1) {
                            LOG.info("write {} refused: {}", seq, e.getMessage());
                            redis.refreshTopology();
                        }
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** Polls PostgreSQL for the sequence numbers applied, noting when each was first seen. */
        void watch() {
            try {
                do {
                    for (int seq : applied(tag)) {
                        appliedAt.putIfAbsent(seq, System.nanoTime());
                    }
                    for (Probe probe : probes) {
                        for (int seq : applied(probe.tag)) {
                            probe.appliedAt.putIfAbsent(seq, System.nanoTime());
                        }
                    }
                } while (!watchStop.await(50, TimeUnit.MILLISECONDS));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        long acceptedIn(int partition) {
            return partitionOf.values().stream().filter(p -> p == partition).count();
        }

        /** The longest time from a new document's acceptance until PostgreSQL held it, in ms. */
        long longestWriteToApply() {
            long longest = 0;
            for (Map.Entry<Integer, Long> e : accepted.entrySet()) {
                Long applied = appliedAt.get(e.getKey());
                if (applied != null) {
                    longest = Math.max(longest, applied - e.getValue());
                }
            }
            return TimeUnit.NANOSECONDS.toMillis(longest);
        }
    }

    /**
     * Writes to one partition every few ms without waiting for a replica, through the cluster connection (which follows
     * MOVED and ASK), as a writer would: how soon after a failover or a migration the partition takes writes again and
     * the worker applies them.
     */
    private static final class Probe implements Runnable {
        final String tag = "probe-" + UUID.randomUUID();
        final Map<Integer, Long> accepted = new ConcurrentHashMap<>();
        final Map<Integer, Long> appliedAt = new ConcurrentHashMap<>();
        private final int partition;
        private final CountDownLatch stop;

        Probe(int partition, CountDownLatch stop) {
            this.partition = partition;
            this.stop = stop;
        }

        @Override
        public void run() {
            int seq = 0;
            try {
                while (!stop.await(20, TimeUnit.MILLISECONDS)) {
                    UUID doc = docInPartition(partition);
                    RecordAddress address = address(doc);
                    try {
                        redis.sync()
                                .fcall(
                                        FunctionLibrary.functionName(Operation.PUT),
                                        ScriptOutputType.MULTI,
                                        new String[] {
                                            layout.record(partition, DOCS, address.key()),
                                            layout.stream(partition),
                                            layout.meta(partition)
                                        },
                                        DOCS,
                                        address.key(),
                                        "filename",
                                        "\"" + tag + "\"",
                                        "page_count",
                                        Integer.toString(seq));
                        accepted.put(seq++, System.nanoTime());
                    } catch (RedisException e) {
                        // refused while the partition's master is away; the next round tries again
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /**
         * The partition's longest stall from {@code since} on, in ms: the longest time between two successive moments
         * at which the watcher saw new probe writes in PostgreSQL (the probe writes every 20 ms, so a gap is a time in
         * which writes were refused or the worker did not apply them), counted from {@code since} to the first.
         */
        long stallAfter(long since) {
            List<Long> seen = appliedAt.values().stream()
                    .filter(t -> t > since)
                    .distinct()
                    .sorted()
                    .toList();
            if (seen.isEmpty()) {
                return Long.MAX_VALUE;
            }
            long longest = seen.getFirst() - since;
            for (int i = 1; i < seen.size(); i++) {
                longest = Math.max(longest, seen.get(i) - seen.get(i - 1));
            }
            return TimeUnit.NANOSECONDS.toMillis(longest);
        }
    }

    private static int partitionNotOn(PrivateRedisCluster.Node node) {
        for (int p = 0; p < PARTITIONS; p++) {
            if (!cluster.masterOfKey(layout.meta(p)).id().equals(node.id())) {
                return p;
            }
        }
        throw new IllegalStateException("every partition on " + node + ": " + cluster.describe());
    }

    private static UUID docInPartition(int partition) {
        while (true) {
            UUID doc = UUID.randomUUID();
            if (address(doc).partition(PARTITIONS) == partition) {
                return doc;
            }
        }
    }

    private static RecordAddress address(UUID doc) {
        return RecordAddress.of(registry.table(DOCS).orElseThrow(), List.of(doc));
    }

    private static int put(UUID doc, int pageCount) {
        return put(doc, pageCount, "cluster.pdf");
    }

    /**
     * Puts {@code doc} with {@code FCALL} on the master of its slot, then {@code WAIT 1} on that node connection;
     * returns its partition once its replica has it.
     *
     * @throws RedisException when refused, IllegalStateException when its replica did not confirm it
     */
    private static int put(UUID doc, int pageCount, String filename) {
        RecordAddress address = address(doc);
        int p = address.partition(PARTITIONS);
        String record = layout.record(p, DOCS, address.key());
        RedisDeployment.Master master = redis.masterFor(record);
        master.sync()
                .fcall(
                        FunctionLibrary.functionName(Operation.PUT),
                        ScriptOutputType.MULTI,
                        new String[] {record, layout.stream(p), layout.meta(p)},
                        DOCS,
                        address.key(),
                        "filename",
                        "\"" + filename + "\"",
                        "page_count",
                        Integer.toString(pageCount));
        Long replicas = master.sync().waitForReplication(1, 2000);
        if (replicas == null || replicas < 1) {
            throw new IllegalStateException("write to " + doc + " not confirmed by a replica of " + master);
        }
        return p;
    }

    private static Map<UUID, Integer> pageCounts(Set<UUID> docs) {
        Map<UUID, Integer> found = new HashMap<>();
        List<String> ids = new ArrayList<>();
        docs.forEach(d -> ids.add("'" + d + "'"));
        query(
                "SELECT document_uuid, page_count FROM " + DOCS + " WHERE document_uuid IN (" + String.join(",", ids)
                        + ")",
                rs -> found.put(UUID.fromString(rs.getString(1)), rs.getInt(2)));
        return found;
    }

    private static List<Integer> applied(String tag) {
        List<Integer> seqs = new ArrayList<>();
        query("SELECT page_count FROM " + DOCS + " WHERE filename = '" + tag + "'", rs -> seqs.add(rs.getInt(1)));
        return seqs;
    }

    private interface RowHandler {
        void handle(ResultSet rs) throws SQLException;
    }

    private static void query(String sql, RowHandler handler) {
        try (Connection c = dataSource.getConnection();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                handler.handle(rs);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }
}
