package io.cistern.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.cistern.connections.RedisClients;
import io.cistern.connections.RedisDeployment;
import io.cistern.connections.RedisSettings;
import io.cistern.connections.testing.PrivateRedis;
import io.cistern.connections.testing.PrivateRedisCluster;
import io.cistern.connections.testing.TestDatabase;
import io.cistern.schema.failure.CisternException;
import io.cistern.schema.failure.RetryableException;
import io.cistern.schema.function.BufferLimits;
import io.cistern.schema.function.FunctionLibrary;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.postgres.InitOptions;
import io.cistern.schema.postgres.Initializer;
import io.cistern.schema.registry.RedisRegistry;
import io.cistern.schema.registry.TableRegistry;
import io.cistern.writer.RecordKey;
import io.cistern.writer.RecordWriter;
import io.cistern.writer.WriteReceipt;
import io.cistern.writer.WriterSettings;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Invariant 6: after a private Redis without persistence restarts (all its data lost), the worker re-seeds the
 * partitions from PostgreSQL and new writes reach PostgreSQL with versions above the old ones.
 *
 * <p>In the on-redis-cluster execution ({@link SyncFixture#onCluster()}) the Redis is the JVM's private Redis Cluster
 * (3 masters), whose nodes other test classes share: the loss is simulated on every master at once, as a restart
 * without persistence leaves it, for this test's keys and the Function library ({@code FUNCTION FLUSH}, which also
 * drops the library's floor confirmations), without restarting the nodes.
 */
class RedisDataLossIT {
    private static final String DOCS = "source_documents";
    private static final KeyLayout LAYOUT =
            new KeyLayout(SyncFixture.onCluster() ? PrivateRedisCluster.newPrefix("RedisDataLossIT") : "it-dataloss");
    private static TestDatabase db;
    private static HikariDataSource dataSource;
    /** The private server; null on a cluster run. */
    private static PrivateRedis redis;
    /** The URL writers connect to: the private server's, or the cluster's. */
    private static String url;

    private static AbstractRedisClient client;
    /** Keyed commands and each master's, on either topology. */
    private static RedisDeployment admin;

    private static TableRegistry registry;
    private static SyncSettings settings;
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @BeforeAll
    static void start() {
        db = TestDatabase.create(RedisDataLossIT.class.getSimpleName());
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(db.jdbcUrl());
        config.setPoolName("test-data-loss");
        config.setMaximumPoolSize(4);
        dataSource = new HikariDataSource(config);
        if (SyncFixture.onCluster()) {
            url = PrivateRedisCluster.shared().url();
        } else {
            redis = PrivateRedis.start();
            url = redis.url();
        }
        client = RedisClients.createAny(RedisSettings.of(url));
        admin = RedisDeployment.connect(client, RedisSettings.of(url));
        registry = new Initializer(dataSource, admin.sync(), admin::masterCommands)
                .run(InitOptions.defaults(LAYOUT).withPartitions(4))
                .registry();
        settings = SyncSettings.defaults(LAYOUT)
                .mutate()
                .linger(Duration.ofMillis(10))
                .leaseTime(Duration.ofMillis(1500))
                .renewInterval(Duration.ofMillis(250))
                .backoffInitial(Duration.ofMillis(20))
                .backoffMax(Duration.ofMillis(200))
                .build();
    }

    @AfterAll
    static void stop() {
        admin.close();
        client.shutdown();
        if (redis != null) {
            redis.close();
        } else {
            PrivateRedisCluster.shared().deleteKeys(LAYOUT.prefix());
        }
        dataSource.close();
        db.close();
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : toClose.reversed()) {
            c.close();
        }
    }

    private <T extends AutoCloseable> T closing(T resource) {
        toClose.add(resource);
        return resource;
    }

    private RecordWriter writer() {
        return closing(RecordWriter.connect(
                WriterSettings.of(url).mutate().prefix(LAYOUT.prefix()).build()));
    }

    /**
     * Redis loses everything: the private server restarts without persistence; on the cluster every master loses this
     * test's keys and the Function library (its floor confirmations with it).
     */
    private static void loseEverything() {
        if (redis != null) {
            redis.restart();
            return;
        }
        PrivateRedisCluster cluster = PrivateRedisCluster.shared();
        for (PrivateRedisCluster.Node master : cluster.masters()) {
            cluster.onNode(master, c -> c.functionFlush(io.lettuce.core.FlushMode.SYNC));
        }
        cluster.deleteKeys(LAYOUT.prefix());
    }

    private SyncWorker startedWorker() {
        SyncWorker worker = closing(new SyncWorker(settings, registry, dataSource, client));
        worker.start();
        return worker;
    }

    @Test
    void
            givenSyncedRecords_whenRedisLosesEverythingUnderARunningWorker_newWritesToTheSameKeysReachPostgreSQLWithHigherVersions() {
        SyncWorker worker = startedWorker();
        RecordWriter before = writer();
        Map<UUID, Long> oldVersions = new LinkedHashMap<>();
        for (int i = 0; i < 12; i++) {
            UUID doc = UUID.randomUUID();
            WriteReceipt r = before.put(DOCS, RecordKey.of(doc), Map.of("filename", "before-" + i + ".pdf"));
            oldVersions.put(doc, r.version());
        }
        await().atMost(Duration.ofSeconds(15))
                .untilAsserted(() -> assertThat(filenames(oldVersions.keySet()))
                        .hasSize(oldVersions.size())
                        .allSatisfy((doc, f) -> assertThat(f).startsWith("before-")));

        loseEverything();

        // A new writer connects once the worker has re-published the library and the registry; each write goes
        // through once its partition's floor is back.
        RecordWriter after = await().atMost(Duration.ofSeconds(15))
                .ignoreExceptionsInstanceOf(CisternException.class)
                .until(
                        () -> RecordWriter.connect(WriterSettings.of(url)
                                .mutate()
                                .prefix(LAYOUT.prefix())
                                .build()),
                        w -> w != null);
        closing(after);
        Map<UUID, Long> newVersions = new LinkedHashMap<>();
        for (UUID doc : oldVersions.keySet()) {
            WriteReceipt r = await().atMost(Duration.ofSeconds(15))
                    .ignoreExceptionsInstanceOf(RetryableException.class)
                    .until(() -> after.put(DOCS, RecordKey.of(doc), Map.of("filename", "after.pdf")), x -> x != null);
            newVersions.put(doc, r.version());
        }

        await().atMost(Duration.ofSeconds(15))
                .untilAsserted(() -> assertThat(filenames(oldVersions.keySet()))
                        .hasSize(oldVersions.size())
                        .allSatisfy((doc, f) -> assertThat(f).isEqualTo("after.pdf")));
        Map<UUID, Long> rowVersions = versions(oldVersions.keySet());
        oldVersions.forEach((doc, old) -> {
            assertThat(newVersions.get(doc)).isGreaterThan(old);
            assertThat(rowVersions.get(doc)).isEqualTo(newVersions.get(doc));
        });
        assertThat(worker.ownedPartitions()).hasSize(4);
    }

    @Test
    void
            givenRedisLostEverythingWithNoWorkerRunning_aWriteIsRefusedAsRetryableNoFloor_untilAWorkerReSeedsThePartition() {
        UUID doc = UUID.randomUUID();
        try (SyncWorker worker = new SyncWorker(settings, registry, dataSource, client)) {
            worker.start();
            RecordWriter before = writer();
            before.put(DOCS, RecordKey.of(doc), Map.of("filename", "first.pdf"));
            before.put(DOCS, RecordKey.of(doc), Map.of("filename", "second.pdf"));
            await().atMost(Duration.ofSeconds(15))
                    .untilAsserted(() -> assertThat(filenames(List.of(doc))).containsEntry(doc, "second.pdf"));
        }
        long syncedVersion = versions(List.of(doc)).get(doc);

        loseEverything();
        // The library and registry are back (as after a partial `ops/cistern init`), but no floor is.
        if (client instanceof RedisClient single) {
            try (StatefulRedisConnection<String, String> c = single.connect()) {
                FunctionLibrary.install(c.sync());
                new RedisRegistry(c.sync(), LAYOUT).publish(registry, BufferLimits.DEFAULTS);
            }
        } else {
            admin.onEveryMaster(FunctionLibrary::install);
            new RedisRegistry(admin.sync(), LAYOUT).publish(registry, BufferLimits.DEFAULTS);
        }
        RecordWriter writer = writer();

        assertThatThrownBy(() -> writer.put(DOCS, RecordKey.of(doc), Map.of("filename", "refused.pdf")))
                .isInstanceOfSatisfying(
                        RetryableException.class, e -> assertThat(e.code()).isEqualTo("NO_FLOOR"));

        startedWorker();
        WriteReceipt accepted = await().atMost(Duration.ofSeconds(15))
                .ignoreExceptionsInstanceOf(RetryableException.class)
                .until(() -> writer.put(DOCS, RecordKey.of(doc), Map.of("filename", "third.pdf")), x -> x != null);

        assertThat(accepted.version()).isGreaterThan(syncedVersion);
        await().atMost(Duration.ofSeconds(15))
                .untilAsserted(() -> assertThat(filenames(List.of(doc))).containsEntry(doc, "third.pdf"));
        assertThat(versions(List.of(doc))).containsEntry(doc, accepted.version());
    }

    private static Map<UUID, String> filenames(Iterable<UUID> docs) {
        return column(docs, "filename");
    }

    private static Map<UUID, Long> versions(Iterable<UUID> docs) {
        Map<UUID, Long> versions = new LinkedHashMap<>();
        column(docs, "cistern_version").forEach((k, v) -> versions.put(k, Long.parseLong(v)));
        return versions;
    }

    private static Map<UUID, String> column(Iterable<UUID> docs, String column) {
        Map<UUID, String> values = new LinkedHashMap<>();
        try (Connection c = dataSource.getConnection();
                PreparedStatement s =
                        c.prepareStatement("SELECT " + column + " FROM source_documents WHERE document_uuid = ?")) {
            for (UUID doc : docs) {
                s.setObject(1, doc);
                try (ResultSet rs = s.executeQuery()) {
                    if (rs.next()) {
                        values.put(doc, rs.getString(1));
                    }
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return values;
    }
}
