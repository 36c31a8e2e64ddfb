package io.cistern.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.cistern.connections.RedisClients;
import io.cistern.connections.RedisDeployment;
import io.cistern.connections.RedisSettings;
import io.cistern.connections.testing.PrivateRedis;
import io.cistern.connections.testing.PrivateRedisCluster;
import io.cistern.connections.testing.TcpRelay;
import io.cistern.connections.testing.TestDatabase;
import io.cistern.schema.failure.CisternException;
import io.cistern.schema.failure.RetryableException;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.postgres.InitOptions;
import io.cistern.schema.postgres.Initializer;
import io.cistern.schema.registry.TableRegistry;
import io.cistern.writer.RecordKey;
import io.cistern.writer.RecordWriter;
import io.cistern.writer.WriteReceipt;
import io.cistern.writer.WriterSettings;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.sync.RedisCommands;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Invariant 1 when Redis comes back with a shorter history than PostgreSQL has seen (DESIGN.md 4.1): the partition's
 * meta still exists, but it issued fewer versions than the sync worker already applied. Writes to the partition are
 * refused until the worker has confirmed the floor on the new server, and then every write reaches PostgreSQL with a
 * version above the row's; {@code awaitSynced} returns only once PostgreSQL holds the write.
 *
 * <p>In the on-redis-cluster execution ({@link SyncFixture#onCluster()}) each test runs on the JVM's private Redis
 * Cluster under a prefix of its own, the history shortened on the master of the partition's slot. A restart is
 * simulated there by reloading the Function library on every master (a new Lua state forgets every confirmed floor, as
 * a restart does; the data stays, as an AOF keeps it), since other classes share the nodes. The promotion of a lagging
 * replica needs a replica held behind its master, which the shared cluster cannot do without stopping its replication:
 * that test runs on a single Redis only; {@code ClusterWorkerIT} and the fault test promote replicas on the cluster.
 */
class ShorterHistoryIT {
    private static final String DOCS = "source_documents";
    private final KeyLayout layout =
            new KeyLayout(SyncFixture.onCluster() ? PrivateRedisCluster.newPrefix("ShorterHistoryIT") : "it-shorter");
    private static final int PARTITIONS = 4;

    private TestDatabase db;
    /** The test's private server; null on a cluster run. */
    private PrivateRedis server;

    private HikariDataSource dataSource;
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @BeforeEach
    void setUp() {
        db = TestDatabase.create(ShorterHistoryIT.class.getSimpleName());
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(db.jdbcUrl());
        config.setPoolName("test-shorter-history");
        config.setMaximumPoolSize(4);
        dataSource = new HikariDataSource(config);
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : toClose.reversed()) {
            c.close();
        }
        if (SyncFixture.onCluster()) {
            PrivateRedisCluster.shared().deleteKeys(layout.prefix());
        }
        dataSource.close();
        db.close();
    }

    private <T extends AutoCloseable> T closing(T resource) {
        toClose.add(resource);
        return resource;
    }

    @Test
    void restartFromAnAofWithAShorterMeta_refusesWritesUntilConfirmed_thenVersionsClimbAboveTheRow() {
        String url = redis("--appendonly", "yes", "--appendfsync", "always");
        AbstractRedisClient client = client(url);
        TableRegistry registry = init(client, url);
        startWorker(registry, client);
        RecordWriter writer = closing(writer(url));
        UUID doc = UUID.randomUUID();
        WriteReceipt last = putSynced(writer, doc, "stale-done.pdf");
        long synced = row(doc).version();
        assertThat(synced).isGreaterThan(5);
        int p = last.partition();

        // The meta as a lagging replica would hold it, kept by the AOF through a crash.
        try (RedisDeployment redis = connect(client, url)) {
            redis.sync().hset(layout.meta(p), Map.of("seq", "5", "floor", "5"));
        }
        restartKeepingData();

        WriteReceipt after = retrying(
                () -> writer.put(DOCS, RecordKey.of(doc), Map.of("filename", "after.pdf", "status", "failed")));
        assertThat(after.version()).isGreaterThan(synced);
        writer.awaitSynced(after, Duration.ofSeconds(15));
        assertThat(row(doc)).isEqualTo(new Row("after.pdf", "failed", after.version()));
    }

    @Test
    void replicaPromotedBeforeItReceivedTheLastWrites_nextWritesReachPostgresAboveTheRows() {
        assumeFalse(SyncFixture.onCluster(), "needs a replica held behind its master: a single Redis and its replica");
        PrivateRedis primary = closing(PrivateRedis.start());
        PrivateRedis replica =
                closing(PrivateRedis.start("--replicaof", "127.0.0.1", Integer.toString(primary.port())));
        TcpRelay endpoint = closing(TcpRelay.to(primary.port()));
        String url = "redis://127.0.0.1:" + endpoint.port();
        AbstractRedisClient client = client(url);
        TableRegistry registry = init(client, url);
        startWorker(registry, client);
        RecordWriter writer = closing(writer(url));
        UUID doc = UUID.randomUUID();
        writer.awaitSynced(
                writer.put(DOCS, RecordKey.of(doc), Map.of("filename", "a.pdf", "status", "registered")),
                Duration.ofSeconds(15));
        RedisCommands<String, String> onReplica =
                closing(((RedisClient) client(replica.url())).connect()).sync();
        RedisCommands<String, String> onPrimary =
                closing(((RedisClient) client(primary.url())).connect()).sync();
        await().atMost(Duration.ofSeconds(10))
                .until(() -> offset(onReplica, "slave_repl_offset").equals(offset(onPrimary, "master_repl_offset")));

        // The replica falls behind for good: promoted now, it receives none of the writes below.
        onReplica.replicaofNoOne();
        WriteReceipt lost = null;
        for (String status : List.of("processing", "done")) {
            lost = writer.put(DOCS, RecordKey.of(doc), Map.of("filename", "a.pdf", "status", status));
        }
        writer.awaitSynced(lost, Duration.ofSeconds(15));
        long synced = row(doc).version();
        assertThat(Long.parseLong(onReplica.hget(layout.meta(lost.partition()), "seq")))
                .as("the promoted replica's history is shorter")
                .isLessThan(synced);

        // The failover: the endpoint now leads to the promoted replica.
        endpoint.switchTo(replica.port());

        WriteReceipt after =
                retrying(() -> writer.put(DOCS, RecordKey.of(doc), Map.of("filename", "a.pdf", "status", "failed")));
        assertThat(after.version()).isGreaterThan(synced);
        writer.awaitSynced(after, Duration.ofSeconds(15));
        assertThat(row(doc)).isEqualTo(new Row("a.pdf", "failed", after.version()));
    }

    @Test
    void metaSetBackOnALiveServer_theWriteIssuedBelowIsDeadLetteredNeverReportedSynced_andTheNextClimbsAbove()
            throws Exception {
        String url = redis();
        AbstractRedisClient client = client(url);
        TableRegistry registry = init(client, url);
        startWorker(registry, client);
        RecordWriter writer = closing(writer(url));
        UUID doc = UUID.randomUUID();
        WriteReceipt last = putSynced(writer, doc, "done.pdf");
        long synced = row(doc).version();
        int p = last.partition();

        // The meta set back and a write, in one atomic step: the write is issued below what PostgreSQL holds, on a
        // server whose confirmation of the floor still stands (nothing restarted); on the partition's master.
        RedisCommands<String, String> raw =
                closing(connect(client, url)).masterFor(layout.meta(p)).sync();
        raw.multi();
        raw.hset(layout.meta(p), Map.of("seq", "5", "floor", "5"));
        raw.fcall(
                io.cistern.schema.function.FunctionLibrary.functionName(io.cistern.schema.codec.Operation.PUT),
                io.lettuce.core.ScriptOutputType.MULTI,
                new String[] {layout.record(p, DOCS, last.key()), layout.stream(p), layout.meta(p)},
                DOCS,
                last.key(),
                "filename",
                "\"lost.pdf\"",
                "status",
                "\"failed\"");
        List<?> reply = (List<?>) raw.exec().get(1);
        WriteReceipt issuedBelow = new WriteReceipt(
                DOCS,
                last.key(),
                io.cistern.schema.codec.Operation.PUT,
                p,
                ((Number) reply.get(0)).longValue(),
                (String) reply.get(1));
        assertThat(issuedBelow.version()).isLessThanOrEqualTo(synced);
        var outcome = writer.awaitSyncedAsync(issuedBelow, Duration.ofSeconds(20));

        WriteReceipt after = retrying(
                () -> writer.put(DOCS, RecordKey.of(doc), Map.of("filename", "after.pdf", "status", "failed")));
        assertThat(after.version()).isGreaterThan(synced);
        writer.awaitSynced(after, Duration.ofSeconds(15));
        assertThat(row(doc)).isEqualTo(new Row("after.pdf", "failed", after.version()));
        assertThat(catchThrowable(() -> outcome.get(20, java.util.concurrent.TimeUnit.SECONDS)))
                .as("never reported synced: PostgreSQL does not hold it")
                .hasCauseInstanceOf(io.cistern.writer.DeadLetteredException.class)
                .hasMessageContaining("shorter Redis history");
    }

    @Test
    void writeToAPartitionNoWorkerConfirmedOnThisServer_isRefusedAsRetryable() {
        String url = redis("--appendonly", "yes", "--appendfsync", "always");
        AbstractRedisClient client = client(url);
        init(client, url);
        RecordWriter writer = closing(writer(url));
        writer.put(DOCS, RecordKey.of(UUID.randomUUID()), Map.of("filename", "before.pdf"));

        restartKeepingData();

        // The first tries may meet the reconnect; the first answer from the restarted server is the refusal.
        Object answer = await().atMost(Duration.ofSeconds(10))
                .until(
                        () -> {
                            try {
                                return writer.put(DOCS, RecordKey.of(UUID.randomUUID()), Map.of("filename", "x.pdf"));
                            } catch (CisternException e) {
                                return "UNCONFIRMED_FLOOR".equals(e.code()) ? e : null;
                            }
                        },
                        a -> a != null);
        assertThat(answer)
                .as("no sync worker confirmed the floor on the restarted server")
                .isInstanceOfSatisfying(
                        RetryableException.class,
                        e -> assertThat(e.getMessage()).contains("has not confirmed"));
    }

    /**
     * A server promoted from a replica whose copy of the consumer group lagged delivers again, as new, entries the old
     * master had already delivered and the worker applied (PostgreSQL's watermark has passed them). Their versions are
     * not above the floor, like entries a shorter history issued, but they were applied once: the next owner
     * acknowledges them and dead-letters nothing, and a later write still climbs above the row.
     */
    @Test
    void consumerGroupBehindOnThePromotedServer_entriesDeliveredAgainAreAcknowledged_notDeadLettered()
            throws Exception {
        String url = redis();
        AbstractRedisClient client = client(url);
        TableRegistry registry = init(client, url);
        SyncWorker first = startWorker(registry, client);
        RecordWriter writer = closing(writer(url));
        UUID doc = UUID.randomUUID();
        WriteReceipt last = putSynced(writer, doc, "applied.pdf");
        long synced = row(doc).version();
        int p = last.partition();
        first.close();

        // The group as a lagging replica holds it: nothing delivered yet, every entry still in the stream.
        RedisCommands<String, String> raw =
                closing(connect(client, url)).masterFor(layout.stream(p)).sync();
        assertThat(raw.xlen(layout.stream(p))).as("entries still in the stream").isGreaterThanOrEqualTo(12);
        raw.xgroupSetid(io.lettuce.core.XReadArgs.StreamOffset.from(layout.stream(p), "0"), "sync");

        startWorker(registry, client);
        await().atMost(Duration.ofSeconds(15))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> last.entryId().equals(lastDeliveredId(raw, layout.stream(p))));
        await().atMost(Duration.ofSeconds(10))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> raw.xpending(layout.stream(p), "sync").getCount() == 0);

        assertThat(scalar("SELECT count(*) FROM cistern_dead_letter"))
                .as("dead letters in PostgreSQL")
                .isEqualTo("0");
        assertThat(raw.exists(layout.deadLetters(p))).as("dead-letter stream").isZero();
        assertThat(row(doc)).isEqualTo(new Row("applied.pdf", "done", synced));
        WriteReceipt after = writer.put(DOCS, RecordKey.of(doc), Map.of("filename", "after.pdf", "status", "failed"));
        assertThat(after.version()).isGreaterThan(synced);
        writer.awaitSynced(after, Duration.ofSeconds(15));
        assertThat(row(doc)).isEqualTo(new Row("after.pdf", "failed", after.version()));
    }

    // ---------------------------------------------------------------------------------------------- helpers

    private record Row(String filename, String status, long version) {}

    /** Twelve puts of one document, the last one synced: its row then holds a version above 5. */
    private static WriteReceipt putSynced(RecordWriter writer, UUID doc, String filename) {
        WriteReceipt last = null;
        for (int i = 0; i < 12; i++) {
            String status = List.of("registered", "processing", "done").get(i % 3);
            last = writer.put(DOCS, RecordKey.of(doc), Map.of("filename", filename, "status", status));
        }
        writer.awaitSynced(last, Duration.ofSeconds(15));
        return last;
    }

    /**
     * The URL of the Redis this test runs on: a private server of its own started with {@code args}, or on a cluster
     * run the JVM's private cluster (under this test's prefix).
     */
    private String redis(String... args) {
        if (SyncFixture.onCluster()) {
            return PrivateRedisCluster.shared().url();
        }
        server = closing(PrivateRedis.start(args));
        return server.url();
    }

    /**
     * The private server restarts from its AOF (data kept, every confirmed floor forgotten); on the cluster every
     * master's library is reloaded, which starts a new Lua state and so forgets the confirmations the same way.
     */
    private void restartKeepingData() {
        if (server != null) {
            server.restart();
            return;
        }
        PrivateRedisCluster cluster = PrivateRedisCluster.shared();
        for (PrivateRedisCluster.Node master : cluster.masters()) {
            cluster.onNode(master, c -> {
                c.functionFlush(io.lettuce.core.FlushMode.SYNC);
                return io.cistern.schema.function.FunctionLibrary.install(c);
            });
        }
    }

    private AbstractRedisClient client(String url) {
        AbstractRedisClient client = RedisClients.createAny(RedisSettings.of(url));
        toClose.add(client::shutdown);
        return client;
    }

    private static RedisDeployment connect(AbstractRedisClient client, String url) {
        return RedisDeployment.connect(client, RedisSettings.of(url));
    }

    private TableRegistry init(AbstractRedisClient client, String url) {
        try (RedisDeployment redis = connect(client, url)) {
            return new Initializer(dataSource, redis.sync(), redis::masterCommands)
                    .run(InitOptions.defaults(layout).withPartitions(PARTITIONS))
                    .registry();
        }
    }

    private SyncWorker startWorker(TableRegistry registry, AbstractRedisClient client) {
        SyncSettings settings = SyncSettings.defaults(layout)
                .mutate()
                .trimInterval(Duration.ofHours(1))
                .linger(Duration.ofMillis(10))
                .leaseTime(Duration.ofMillis(1500))
                .renewInterval(Duration.ofMillis(250))
                .backoffInitial(Duration.ofMillis(20))
                .backoffMax(Duration.ofMillis(200))
                .build();
        SyncWorker worker = closing(new SyncWorker(settings, registry, dataSource, client));
        worker.start();
        return worker;
    }

    private RecordWriter writer(String url) {
        return RecordWriter.connect(
                WriterSettings.of(url).mutate().prefix(layout.prefix()).build());
    }

    private static WriteReceipt retrying(java.util.concurrent.Callable<WriteReceipt> write) {
        return await().atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(50))
                .ignoreExceptionsInstanceOf(RetryableException.class)
                .until(write, r -> r != null);
    }

    private static String offset(RedisCommands<String, String> redis, String field) {
        return redis.info("replication")
                .lines()
                .filter(l -> l.startsWith(field + ":"))
                .map(l -> l.substring(field.length() + 1).trim())
                .findFirst()
                .orElse("?");
    }

    /** The {@code sync} group's last-delivered-id on the stream, from {@code XINFO GROUPS}. */
    private static String lastDeliveredId(RedisCommands<String, String> redis, String stream) {
        for (Object group : redis.xinfoGroups(stream)) {
            List<?> fields = (List<?>) group;
            if ("sync".equals(String.valueOf(fields.get(fields.indexOf("name") + 1)))) {
                return String.valueOf(fields.get(fields.indexOf("last-delivered-id") + 1));
            }
        }
        return null;
    }

    private String scalar(String query) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = c.prepareStatement(query);
                ResultSet rs = s.executeQuery()) {
            rs.next();
            return rs.getString(1);
        }
    }

    private Row row(UUID doc) {
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = c.prepareStatement(
                        "SELECT filename, status, cistern_version FROM source_documents WHERE document_uuid = ?")) {
            s.setObject(1, doc);
            try (ResultSet rs = s.executeQuery()) {
                assertThat(rs.next()).as("row of " + doc).isTrue();
                return new Row(rs.getString(1), rs.getString(2), rs.getLong(3));
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
