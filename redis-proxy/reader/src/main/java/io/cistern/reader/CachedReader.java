package io.cistern.reader;

import io.cistern.schema.failure.CisternException;
import io.cistern.schema.failure.InvalidRecordException;
import io.cistern.schema.failure.PermanentException;
import io.cistern.schema.failure.RetryableException;
import io.cistern.schema.registry.TableRegistry;
import io.lettuce.core.RedisClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.util.List;
import javax.sql.DataSource;

/**
 * Reads Cistern records: from this process's local cache, else the record hash in Redis, else PostgreSQL.
 *
 * <p><b>Never older than written.</b> Every write goes to the Redis record hash first, so a record whose latest write
 * is not yet in PostgreSQL is answered from Redis; a record deleted but not yet synced reads as {@link
 * ReadResult.Absent}. A hash that holds only some columns (a patch that arrived after the full hash expired) is
 * completed from the PostgreSQL row, never returned as the whole record. A record read from PostgreSQL is copied into
 * Redis (with a TTL) only if no write of that key happened while it was read, decided atomically in Redis, so a fill
 * never overwrites newer state, even when the newer write was synced and its hash expired while the fill was in flight.
 *
 * <p><b>The local cache</b> is kept current by Redis server-assisted client tracking: Redis tells this reader about
 * every change of a record hash it has read, and the reader drops its copy. Delay: one Redis push message after the
 * write, typically under a millisecond on a LAN. When the connection that receives them drops (or Redis fails over),
 * the reader clears its whole local cache and does not use it until tracking is re-established. Between a write
 * returning and the invalidation arriving, another instance may still answer the previous version from its local
 * cache; a caller that must see its own write passes the write's version as {@code minVersion}.
 *
 * <p><b>No stampede.</b> Concurrent misses of one key in one process share one load (one Redis read, at most one
 * PostgreSQL query); "absent" from PostgreSQL is cached for {@link ReaderSettings#negativeCacheTtl()}; at most {@link
 * ReaderSettings#maxConcurrentFills()} PostgreSQL reads run at once.
 *
 * <p><b>Failures.</b>
 *
 * <ul>
 *   <li>{@link InvalidRecordException} (permanent) — unknown table ({@code UNKNOWN_TABLE}) or a key that is not the
 *       canonical encoding of the table's key ({@code MALFORMED_KEY}, {@code MISSING_KEY});
 *   <li>{@link RetryableException} code {@code DATABASE_UNAVAILABLE} — the read needs PostgreSQL and it did not answer
 *       within {@link ReaderSettings#databaseTimeout()} (down, unreachable, no free connection, or every fill slot
 *       busy). Reads answered by the local cache or Redis keep working while PostgreSQL is down;
 *   <li>{@link RetryableException} code {@code REDIS_UNAVAILABLE} (or another code from the Redis failure translator) —
 *       Redis did not answer. The local cache is not used while Redis is unreachable, because invalidations may be
 *       missed.
 *   <li>{@link PermanentException} code {@code READER_CLOSED} — after {@link #close()}.
 * </ul>
 *
 * <p>Thread-safe: share one reader across the threads of a process.
 */
public interface CachedReader extends AutoCloseable {

    /**
     * A reader over an existing Redis client and database pool, which the caller keeps owning (closing the reader
     * closes only the connections it opened from {@code redis}). Meters go to {@code meters} (names {@code
     * cistern.proxy.*}).
     *
     * <p>Opens one Redis connection (RESP3, with client tracking, for reads and fills), loads the table registry from Redis and
     * checks that the Function library is recent enough; PostgreSQL is not touched until a read needs it, so a reader
     * can start while the database is down.
     *
     * @param redis a client for a single Redis server or Sentinel (RESP3, Redis 7+); its options decide timeouts and
     *     reconnection ({@code io.cistern.connections.RedisClients} builds a suitable one)
     * @param database a pool of PostgreSQL connections to the database Cistern syncs into (a read replica works if its
     *     lag is acceptable: see docs/read-proxy.md)
     * @throws CisternException when Redis is unreachable or Cistern is not initialised there
     */
    static CachedReader create(ReaderSettings settings, RedisClient redis, DataSource database, MeterRegistry meters) {
        return LettuceCachedReader.create(settings, redis, database, meters);
    }

    /**
     * A reader on a Redis connection of its own, opened from {@code redis}: a single server, a Sentinel master or a
     * Redis Cluster ({@code redis-cluster://}). The reader owns that connection and closes it; the data source stays
     * the caller's. On a cluster each key is read on its master's connection (a batch: one pipeline per master), client
     * tracking is on for every master, and a slot that changes master (a failover, a migration) clears the local cache
     * within a second (docs/read-proxy.md, "On a Redis Cluster").
     *
     * @throws CisternException when Redis is unreachable or Cistern is not initialised there
     */
    static CachedReader create(
            ReaderSettings settings,
            io.cistern.connections.RedisSettings redis,
            DataSource database,
            MeterRegistry meters) {
        return LettuceCachedReader.create(
                settings,
                redis,
                database,
                meters,
                com.github.benmanes.caffeine.cache.Ticker.systemTicker(),
                LettuceCachedReader.Hooks.NONE);
    }

    /**
     * A reader over an existing Lettuce client of any topology (for example the one a Spring Boot application already
     * configured) and database pool, both of which the caller keeps owning: a {@code RedisClient} (single server or
     * Sentinel) or a {@code RedisClusterClient} (Redis Cluster). The reader opens its connection from the client (on a
     * cluster: a cluster connection, and each master's node connection for reads, fills and client tracking, as {@link
     * #create(ReaderSettings, io.cistern.connections.RedisSettings, DataSource, MeterRegistry)} does) and {@link
     * #close()} closes only that connection, never the client. The client's options decide connecting, reconnecting
     * and TLS. {@code redis} only names Redis in messages (redacted); its URL is not used to connect.
     *
     * @throws CisternException when Redis is unreachable or Cistern is not initialised there; the client stays open
     */
    static CachedReader create(
            ReaderSettings settings,
            io.lettuce.core.AbstractRedisClient client,
            io.cistern.connections.RedisSettings redis,
            DataSource database,
            MeterRegistry meters) {
        return LettuceCachedReader.create(
                settings,
                client,
                redis,
                database,
                meters,
                com.github.benmanes.caffeine.cache.Ticker.systemTicker(),
                LettuceCachedReader.Hooks.NONE);
    }

    /** {@link #create(ReaderSettings, RedisClient, DataSource, MeterRegistry)} without meters. */
    static CachedReader create(ReaderSettings settings, RedisClient redis, DataSource database) {
        return create(settings, redis, database, new CompositeMeterRegistry());
    }

    /**
     * Reads one record.
     *
     * @param table a registered table
     * @param key the record's key in its encoded text form ({@link io.cistern.schema.keys.KeyEncoding}; see {@link
     *     #key})
     */
    ReadResult get(String table, String key);

    /**
     * Reads one record, at least as new as {@code minVersion}: the local cache answers only when its copy is at or past
     * that version, so a caller sees its own write (pass the version of its write receipt) even before the invalidation
     * reaches this process. The answer is at or past {@code minVersion} unless the record was deleted or expired from
     * every tier in between (then Redis or PostgreSQL answer with what they hold, which is never older than written).
     */
    ReadResult get(String table, String key, long minVersion);

    /**
     * Reads many records of one table: the answers in the order of {@code keys} (a key given twice is answered twice).
     * Local hits cost nothing, the Redis reads share one pipeline, and the PostgreSQL reads one query per batch of
     * misses.
     *
     * @throws IllegalArgumentException when {@code keys} holds more than {@link ReaderSettings#maxBatchKeys()} keys
     */
    List<ReadResult> getAll(String table, List<String> keys);

    /**
     * The encoded key of a record from its key column values in primary-key order (for example {@code key("entities",
     * documentUuid, entityUuid)}), each checked against its column's type.
     *
     * @throws InvalidRecordException when the table is unknown or a value does not fit its column
     */
    String key(String table, Object... keyValues);

    /** The table registry this reader uses (reloaded from Redis when a read names a table it does not know). */
    TableRegistry registry();

    /** What the reader is doing now, for health checks. */
    ReaderStatus status();

    /** Closes the connections this reader opened; the Redis client and the data source stay open. Idempotent. */
    @Override
    void close();
}
