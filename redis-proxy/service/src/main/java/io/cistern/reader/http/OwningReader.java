package io.cistern.reader.http;

import com.zaxxer.hikari.HikariDataSource;
import io.cistern.connections.DataSources;
import io.cistern.connections.DatabaseSettings;
import io.cistern.connections.RedisClients;
import io.cistern.connections.RedisSettings;
import io.cistern.reader.CachedReader;
import io.cistern.reader.ReadResult;
import io.cistern.reader.ReaderSettings;
import io.cistern.reader.ReaderStatus;
import io.cistern.schema.pools.DatabasePool;
import io.cistern.schema.pools.PoolAnnouncer;
import io.cistern.schema.registry.TableRegistry;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisClient;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;

/**
 * A reader that also owns its Redis client, its database pool and its pool announcer, and closes them after itself.
 * Thread-safe.
 */
public final class OwningReader implements CachedReader {
    private final CachedReader reader;
    private final AbstractRedisClient client;
    private final HikariDataSource pool;
    /** Keeps the pool announced for doctor's max_connections check; withdrawn first on close. */
    private final PoolAnnouncer announcer;

    private OwningReader(
            CachedReader reader, AbstractRedisClient client, HikariDataSource pool, PoolAnnouncer announcer) {
        this.reader = reader;
        this.client = client;
        this.pool = pool;
        this.announcer = announcer;
    }

    /**
     * A read proxy's reader on Redis of any topology and a pool of its own, its pool announced for doctor's {@code
     * max_connections} check; all closed with it. The database is not awaited: the reader answers from Redis while
     * PostgreSQL is down. On a Redis Cluster the reader opens and owns its connections (one tracked connection per
     * master), and the client here only announces the pool.
     */
    public static OwningReader open(
            ReaderSettings settings, RedisSettings redis, DatabaseSettings database, MeterRegistry meters) {
        HikariDataSource pool = DataSources.create(database, "cistern-reader");
        AbstractRedisClient client = null;
        CachedReader reader = null;
        try {
            client = RedisClients.createAny(redis);
            reader = client instanceof RedisClient single
                    ? CachedReader.create(settings, single, pool, meters)
                    : CachedReader.create(settings, redis, pool, meters);
            PoolAnnouncer announcer = PoolAnnouncer.start(
                    client,
                    settings.layout(),
                    DatabasePool.ofThisProcess(
                            DatabasePool.READ_PROXY,
                            database.poolSize(),
                            DatabasePool.database(database.hosts(), database.database())),
                    PoolAnnouncer.DEFAULT_LIFETIME);
            return new OwningReader(reader, client, pool, announcer);
        } catch (RuntimeException e) {
            if (reader != null) {
                reader.close();
            }
            pool.close();
            if (client != null) {
                client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            }
            throw e;
        }
    }

    @Override
    public ReadResult get(String table, String key) {
        return reader.get(table, key);
    }

    @Override
    public ReadResult get(String table, String key, long minVersion) {
        return reader.get(table, key, minVersion);
    }

    @Override
    public List<ReadResult> getAll(String table, List<String> keys) {
        return reader.getAll(table, keys);
    }

    @Override
    public String key(String table, Object... keyValues) {
        return reader.key(table, keyValues);
    }

    @Override
    public TableRegistry registry() {
        return reader.registry();
    }

    @Override
    public ReaderStatus status() {
        return reader.status();
    }

    @Override
    public void close() {
        try {
            announcer.close();
            reader.close();
        } finally {
            pool.close();
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }
}
