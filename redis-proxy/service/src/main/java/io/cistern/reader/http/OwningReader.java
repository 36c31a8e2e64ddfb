package io.cistern.reader.http;

import com.zaxxer.hikari.HikariDataSource;
import io.cistern.reader.CachedReader;
import io.cistern.reader.ReadResult;
import io.cistern.reader.ReaderStatus;
import io.cistern.schema.pools.PoolAnnouncer;
import io.cistern.schema.registry.TableRegistry;
import io.lettuce.core.RedisClient;
import java.time.Duration;
import java.util.List;

/**
 * A reader that also owns its Redis client (null when the reader owns its connection itself, as on a Redis Cluster),
 * its database pool and its pool announcer (null when not announced), and closes them after itself. Thread-safe.
 */
final class OwningReader implements CachedReader {
    private final CachedReader reader;
    private final RedisClient client;
    private final HikariDataSource pool;
    /** Keeps the pool announced for doctor's max_connections check; withdrawn first on close. */
    private final PoolAnnouncer announcer;

    OwningReader(CachedReader reader, RedisClient client, HikariDataSource pool, PoolAnnouncer announcer) {
        this.reader = reader;
        this.client = client;
        this.pool = pool;
        this.announcer = announcer;
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
            if (announcer != null) {
                announcer.close();
            }
            reader.close();
        } finally {
            pool.close();
            if (client != null) {
                client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            }
        }
    }
}
