package io.cistern.reader;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.cistern.connections.RedisClients;
import io.cistern.connections.RedisDeployment;
import io.cistern.connections.RedisSettings;
import io.cistern.connections.testing.TestDatabase;
import io.cistern.connections.testing.TestRedis;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.keys.Partitioner;
import io.cistern.schema.postgres.InitOptions;
import io.cistern.schema.postgres.Initializer;
import io.cistern.schema.registry.TableRegistry;
import io.cistern.sync.SyncSettings;
import io.cistern.sync.SyncWorker;
import io.cistern.writer.RecordWriter;
import io.cistern.writer.WriterSettings;
import io.lettuce.core.RedisClient;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;

/**
 * Cistern initialised for one test class (4 partitions, the demo tables): a Redis prefix of its own (on the shared
 * server, or a private one), a database of its own (or a private server's), a pool, a writer, and readers each on a
 * Redis client of its own, so each is a separate proxy instance. Closes everything it made.
 */
final class ReaderFixture implements AutoCloseable {
    static final int PARTITIONS = 4;
    /** Invalidation tests keep records this long, so that expiry can never pass for invalidation. */
    static final Duration LONG_TTL = Duration.ofMinutes(5);

    final String redisUrl;
    final String prefix;
    final KeyLayout layout;
    final HikariDataSource dataSource;
    final RecordWriter writer;
    final TableRegistry registry;
    private final TestRedis testRedis;
    private final TestDatabase testDatabase;
    /** Keyed commands and every master, on the test's Redis of either topology. */
    private final RedisDeployment admin;

    private final List<AutoCloseable> closeables = new ArrayList<>();

    private ReaderFixture(String redisUrl, String prefix, TestRedis testRedis, String jdbcUrl, TestDatabase testDb) {
        this.redisUrl = redisUrl;
        this.prefix = prefix;
        this.layout = new KeyLayout(prefix);
        this.testRedis = testRedis;
        this.testDatabase = testDb;
        HikariConfig config;
        if (testDb != null) {
            // Directly, or through PgBouncer when the tests run behind a pooler (TestDatabase.POOLER_PROPERTY).
            config = testDb.poolConfig("reader-test");
        } else {
            config = new HikariConfig();
            config.setJdbcUrl(jdbcUrl);
            config.setUsername("postgres");
            config.setPoolName("reader-test");
        }
        config.setMaximumPoolSize(8);
        config.setConnectionTimeout(1_000);
        config.setInitializationFailTimeout(-1);
        this.dataSource = new HikariDataSource(config);
        this.admin = RedisDeployment.open(RedisSettings.of(redisUrl));
        this.registry = initializer()
                .run(InitOptions.defaults(layout).withPartitions(PARTITIONS))
                .registry();
        this.writer = RecordWriter.connect(
                WriterSettings.of(redisUrl).mutate().prefix(prefix).build());
    }

    /** On the shared servers. */
    static ReaderFixture shared(String hint) {
        return with(hint, null, null);
    }

    /**
     * On a private Redis ({@code redisUrl}, prefix {@code cistern}) and/or a private PostgreSQL ({@code jdbcUrl}), for
     * tests that kill or stop them; null takes the shared server, with a prefix or database of its own.
     */
    static ReaderFixture with(String hint, String redisUrl, String jdbcUrl) {
        TestRedis redis = redisUrl == null ? TestRedis.create(hint) : null;
        TestDatabase db = jdbcUrl == null ? TestDatabase.create(hint) : null;
        return new ReaderFixture(
                redis == null ? redisUrl : redis.url(),
                redis == null ? KeyLayout.DEFAULT_PREFIX : redis.prefix(),
                redis,
                db == null ? jdbcUrl : db.jdbcUrl(),
                db);
    }

    /** The test's own database on the shared server (null on a private server). */
    TestDatabase database() {
        return testDatabase;
    }

    /** Runs the initialisation again (after a test flushed Redis). */
    void reinitialise() {
        initializer().run(InitOptions.defaults(layout).withPartitions(PARTITIONS));
    }

    /** Initialises on either topology: the Function library goes to every master. */
    private Initializer initializer() {
        return new Initializer(dataSource, admin.sync(), admin::masterCommands);
    }

    /** Whether the test's Redis is the private cluster ({@code cistern.test.redis.topology=cluster}). */
    boolean onCluster() {
        return admin.isCluster();
    }

    /** Settings for invalidation tests: a big local cache whose entries live far longer than any test. */
    ReaderSettings settings() {
        return ReaderSettings.defaults()
                .mutate()
                .prefix(prefix)
                .localCacheEntries(10_000)
                .localCacheTtl(LONG_TTL)
                .build();
    }

    CachedReader reader() {
        return reader(settings());
    }

    CachedReader reader(ReaderSettings settings) {
        return reader(settings, dataSource, new SimpleMeterRegistry(), LettuceCachedReader.Hooks.NONE);
    }

    CachedReader reader(
            ReaderSettings settings, DataSource database, MeterRegistry meters, LettuceCachedReader.Hooks hooks) {
        if (admin.isCluster()) {
            // The reader opens and owns its cluster connection.
            CachedReader reader = LettuceCachedReader.create(
                    settings,
                    RedisSettings.of(redisUrl),
                    database,
                    meters,
                    com.github.benmanes.caffeine.cache.Ticker.systemTicker(),
                    hooks);
            closeables.add(reader);
            return reader;
        }
        RedisClient client = RedisClients.create(RedisSettings.of(redisUrl));
        closeables.add(client::shutdown);
        CachedReader reader = LettuceCachedReader.create(
                settings, client, database, meters, com.github.benmanes.caffeine.cache.Ticker.systemTicker(), hooks);
        closeables.add(reader);
        return reader;
    }

    /** Registers tables the test created (each with the column it routes by, or "" for the whole key). */
    TableRegistry register(Map<String, String> tables) {
        return initializer()
                .run(InitOptions.defaults(layout).withPartitions(PARTITIONS).withRegister(tables))
                .registry();
    }

    /** A sync worker that lets synced hashes expire after {@code syncedHashTtl}. */
    SyncWorker syncWorker(Duration syncedHashTtl) {
        return syncWorker(syncedHashTtl, registry);
    }

    /** A sync worker over {@code tables} (for tables a test registered). */
    SyncWorker syncWorker(Duration syncedHashTtl, TableRegistry tables) {
        RedisClient client = RedisClients.create(RedisSettings.of(redisUrl));
        closeables.add(client::shutdown);
        SyncWorker worker = new SyncWorker(
                SyncSettings.defaults(layout)
                        .mutate()
                        .syncedHashTtl(syncedHashTtl)
                        .build(),
                tables,
                dataSource,
                client);
        closeables.add(worker);
        worker.start();
        return worker;
    }

    /** Keyed commands (routed by slot on the cluster). */
    RedisClusterCommands<String, String> redis() {
        return admin.sync();
    }

    /** The record hash key of a one-column key of {@code table}. */
    String recordKey(String table, String encodedKey) {
        int routing = registry.table(table).orElseThrow().routingColumns();
        int p = Partitioner.partitionOf(Partitioner.routingText(encodedKey, routing), PARTITIONS);
        return layout.record(p, table, encodedKey);
    }

    Map<String, String> hash(String table, String encodedKey) {
        return redis().hgetall(recordKey(table, encodedKey));
    }

    void sql(String... statements) {
        try (Connection c = dataSource.getConnection();
                Statement s = c.createStatement()) {
            for (String statement : statements) {
                s.execute(statement);
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    String scalar(String query) {
        try (Connection c = dataSource.getConnection();
                Statement s = c.createStatement();
                var rs = s.executeQuery(query)) {
            return rs.next() ? rs.getString(1) : null;
        } catch (SQLException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    /** Inserts a document row directly into PostgreSQL, as if it had been there before Cistern (or synced long ago). */
    void insertDocument(String uuid, String filename, String status, long version) {
        sql("INSERT INTO source_documents (document_uuid, filename, status, size_bytes, cistern_version) VALUES ('"
                + uuid + "', '" + filename + "', '" + status + "', 1234, " + version + ")");
    }

    @Override
    public void close() {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            try {
                closeables.get(i).close();
            } catch (Exception e) {
                // keep closing the rest
            }
        }
        writer.close();
        admin.close();
        dataSource.close();
        if (testRedis != null) {
            testRedis.close();
        }
        if (testDatabase != null) {
            testDatabase.close();
        }
    }
}
