package io.cistern.writer.http;

import io.cistern.connections.testing.TestDatabase;
import io.cistern.connections.testing.TestRedis;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.postgres.InitOptions;
import io.cistern.schema.postgres.Initializer;
import io.cistern.writer.WriterSettings;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Cistern initialised for one test class: its own key prefix on the shared Redis and its own PostgreSQL database,
 * both removed on close. Reads back what reached Redis, so tests can assert that a refused write left nothing behind.
 */
final class TestCistern implements AutoCloseable {
    static final int PARTITIONS = InitOptions.DEFAULT_PARTITIONS;

    private final TestRedis redis;
    private final TestDatabase database;
    private final KeyLayout layout;

    private TestCistern(TestRedis redis, TestDatabase database) {
        this.redis = redis;
        this.database = database;
        this.layout = new KeyLayout(redis.prefix());
    }

    /** Creates the database, runs {@code sql} in it (own tables to register), then initialises Cistern. */
    static TestCistern start(String hint, UnaryOperator<InitOptions> options, String... sql) {
        TestRedis redis = TestRedis.create(hint);
        TestDatabase database = TestDatabase.create(hint);
        try {
            database.execute(sql);
            PGSimpleDataSource dataSource = new PGSimpleDataSource();
            dataSource.setURL(database.jdbcUrl());
            new Initializer(dataSource, redis.commands())
                    .run(options.apply(InitOptions.defaults(new KeyLayout(redis.prefix()))));
            return new TestCistern(redis, database);
        } catch (RuntimeException e) {
            database.close();
            redis.close();
            throw e;
        }
    }

    /** Runs {@code sql} in this Cistern's database, after {@link #start} registered its tables. */
    void execute(String... sql) {
        database.execute(sql);
    }

    String redisUrl() {
        return redis.url();
    }

    String prefix() {
        return redis.prefix();
    }

    String jdbcUrl() {
        return database.jdbcUrl();
    }

    io.lettuce.core.RedisClient redisClient() {
        return redis.client();
    }

    KeyLayout layout() {
        return layout;
    }

    /** The first column of the first row of {@code query}, as text; null when there is no row. */
    String scalar(String query) {
        try (java.sql.Connection c = database.connect();
                java.sql.Statement s = c.createStatement();
                java.sql.ResultSet rs = s.executeQuery(query)) {
            return rs.next() ? rs.getString(1) : null;
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(query + ": " + e.getMessage(), e);
        }
    }

    WriterSettings writerSettings() {
        return WriterSettings.of(redis.url()).mutate().prefix(redis.prefix()).build();
    }

    /** Entries on all partition streams together. */
    long streamEntries() {
        long total = 0;
        for (int p = 0; p < PARTITIONS; p++) {
            total += redis.commands().xlen(layout.stream(p));
        }
        return total;
    }

    /** The entries of one partition stream, oldest first. */
    List<StreamMessage<String, String>> entries(int partition) {
        return redis.commands().xrange(layout.stream(partition), Range.create("-", "+"));
    }

    /** The record hash of {@code encodedKey}, empty when no partition holds one. */
    Map<String, String> record(String table, String encodedKey) {
        for (int p = 0; p < PARTITIONS; p++) {
            Map<String, String> hash = redis.commands().hgetall(layout.record(p, table, encodedKey));
            if (!hash.isEmpty()) {
                return hash;
            }
        }
        return Map.of();
    }

    /** Every record hash key under this prefix. */
    List<String> recordKeys() {
        List<String> keys = new ArrayList<>();
        for (String k : redis.keys()) {
            if (k.contains("}:r:")) {
                keys.add(k);
            }
        }
        return keys;
    }

    @Override
    public void close() {
        try {
            redis.close();
        } finally {
            database.close();
        }
    }
}
