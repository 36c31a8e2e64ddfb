/**
 * The PostgreSQL pools of the live Cistern processes, announced in Redis ({@link
 * io.cistern.schema.keys.KeyLayout#pools()}) so that {@code ops/cistern doctor} can add them up against the server's
 * {@code max_connections}: what an announcement holds ({@link io.cistern.schema.pools.DatabasePool}, the one owner of
 * its wire form), the Redis operations on the set ({@link io.cistern.schema.pools.PoolRegistry}), and a driver that
 * keeps one announcement alive on a thread of its own for the processes that have no periodic thread to carry it
 * ({@link io.cistern.schema.pools.PoolAnnouncer}).
 */
package io.cistern.schema.pools;
