package io.cistern.reader.http;

import io.cistern.connections.testing.TestDatabase;
import io.cistern.connections.testing.TestRedis;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.postgres.InitOptions;
import io.cistern.schema.postgres.Initializer;
import io.cistern.writer.RecordWriter;
import io.cistern.writer.WriterSettings;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Cistern initialised for one test class: its own key prefix on the shared Redis (or on {@code redisUrl}) and its own
 * database (or {@code jdbcUrl}), with a writer. Closing removes what it created.
 */
final class TestCistern implements AutoCloseable {
    final String redisUrl;
    final String prefix;
    final String jdbcUrl;
    final RecordWriter writer;
    private final TestRedis redis;
    private final TestDatabase database;

    private TestCistern(TestRedis redis, TestDatabase database, String jdbcUrl) {
        this.redis = redis;
        this.database = database;
        this.redisUrl = redis.url();
        this.prefix = redis.prefix();
        this.jdbcUrl = jdbcUrl;
        PGSimpleDataSource dataSource = new PGSimpleDataSource();
        dataSource.setURL(jdbcUrl);
        dataSource.setUser("postgres");
        // Either topology (the cluster with cistern.test.redis.topology=cluster): the library goes to every master.
        new Initializer(dataSource, redis.keyed(), redis::masters).run(InitOptions.defaults(new KeyLayout(prefix)));
        this.writer = RecordWriter.connect(
                WriterSettings.of(redisUrl).mutate().prefix(prefix).build());
    }

    /** On the shared servers. */
    static TestCistern start(String hint) {
        TestDatabase db = TestDatabase.create(hint);
        return new TestCistern(TestRedis.create(hint), db, db.jdbcUrl());
    }

    /** On the shared Redis and the PostgreSQL at {@code jdbcUrl} (a private one the test stops). */
    static TestCistern onDatabase(String hint, String jdbcUrl) {
        return new TestCistern(TestRedis.create(hint), null, jdbcUrl);
    }

    /** The Redis key of a record's hash. */
    String recordKey(String table, String key) {
        var registry = writer.registry();
        return io.cistern.schema.keys.RecordAddress.parse(registry.table(table).orElseThrow(), key)
                .recordKey(new KeyLayout(prefix), registry.partitions());
    }

    /** Keyed Redis commands (routed by slot on the cluster). */
    io.lettuce.core.cluster.api.sync.RedisClusterCommands<String, String> redis() {
        return redis.keyed();
    }

    void sql(String statement) {
        try (Connection c = java.sql.DriverManager.getConnection(jdbcUrl, "postgres", null);
                Statement s = c.createStatement()) {
            s.execute(statement);
        } catch (SQLException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        writer.close();
        redis.close();
        if (database != null) {
            database.close();
        }
    }
}
