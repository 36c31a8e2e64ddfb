package io.cistern.reader;

import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.TrackingArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.push.PushListener;
import io.lettuce.core.api.push.PushMessage;
import io.lettuce.core.codec.StringCodec;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the local cache honest with Redis server-assisted client tracking (Redis 6+, RESP3 push messages on the same
 * connection the reads use).
 *
 * <p>Redis remembers every key this connection reads and, when one changes (a write, a fill, a TTL set by the sync
 * worker, expiry, eviction), pushes {@code invalidate [key]} on the connection; the reader drops its copy. A push
 * follows the reply of the read that registered the key, on the same socket, so no change after a read can go
 * unnoticed while the connection lives. {@code NOLOOP}: changes this connection makes itself (fill reservations and
 * fills) are not echoed back.
 *
 * <p><b>What can lose invalidations, and what the reader does.</b>
 *
 * <ul>
 *   <li>The connection drops (network, {@code CLIENT KILL}, a restart, a Sentinel failover to another server): the
 *       tracking state lived in the server's connection, so every registration is gone. On disconnect the local cache
 *       is switched off and cleared; on reconnect tracking is switched on again, the cache is cleared once more (loads
 *       that read before tracking was on must not install), and only then switched back on.
 *   <li>The connection goes silent without dropping (a half-open TCP connection after a network partition, a stalled
 *       server): invalidations would simply stop arriving. A heartbeat {@code PING}s the connection every {@link
 *       #HEARTBEAT}; when no {@code PING} sent within the last {@link #SILENCE_LIMIT} has been answered, the cache is
 *       cleared and switched off until one is. Pushes travel in order with replies, so once a {@code PING} is
 *       answered every invalidation sent before it has been applied, and the cache can be used again.
 *   <li>{@code FLUSHALL}/{@code FLUSHDB} arrive as an invalidation of every key: the cache is cleared.
 *   <li>When the server's tracking table is full it invalidates keys to make room: ordinary invalidations.
 * </ul>
 *
 * <p><b>On a Redis Cluster</b> the reader reads each key on the connection of the master serving its slot, so every
 * master's connection is tracked ({@link #track}, before the first read on it), watched by the heartbeat and followed
 * through disconnects as above; the cache is on only while every tracked connection is. A slot that changes master (a
 * failover, a migration) leaves its keys' registrations on the old master, where the new master's writes never arrive:
 * when the slot map changes ({@link #topology}, checked after every topology refresh, every {@link
 * LettuceCachedReader#TOPOLOGY_REFRESH}) the cache is cleared. Until then the old master still invalidates: a key
 * migrated away is deleted there (an invalidation), and a demoted master replicates the new master's writes (their
 * invalidations). A connection to a node that is no longer a master stops counting, and the cache is cleared then too.
 *
 * So a local copy is never served more than {@link #SILENCE_LIMIT} after the last proof that invalidations were
 * flowing, nor (on a cluster) more than one topology refresh after its slot changed master. Thread-safe: state changes
 * are synchronized; listener callbacks run on Lettuce's event loop and do no blocking work.
 */
final class Invalidations {
    private static final Logger log = LoggerFactory.getLogger(Invalidations.class);
    static final TrackingArgs TRACKING = TrackingArgs.Builder.enabled().noloop();
    static final Duration HEARTBEAT = Duration.ofMillis(500);
    static final Duration SILENCE_LIMIT = Duration.ofSeconds(2);

    private final LocalCache local;
    private final ReaderMetrics metrics;
    private final String name;
    /** Every tracked connection, by identity (a cluster has one per master). */
    private final Map<StatefulRedisConnection<String, String>, Node> nodes = new ConcurrentHashMap<>();

    private boolean closed;
    /** The slot map the cache's contents were read under (null until the first look). */
    private Object topology;

    Invalidations(LocalCache local, ReaderMetrics metrics, String name) {
        this.local = local;
        this.metrics = metrics;
        this.name = name;
    }

    /**
     * Makes sure Redis tracks what {@code conn} reads: on a connection seen for the first time, switches tracking on
     * (blocking) before returning. Cheap once it is on.
     *
     * @throws IllegalStateException when the connection speaks RESP2
     */
    void track(StatefulRedisConnection<String, String> conn) {
        if (nodes.containsKey(conn)) {
            return;
        }
        synchronized (this) {
            if (nodes.containsKey(conn) || closed) {
                return;
            }
            String info = conn.sync().clientInfo();
            if (info != null && !info.contains(" resp=3")) {
                // On RESP2 Redis accepts tracking but has no way to push the invalidations on this connection.
                throw new IllegalStateException("the connection speaks RESP2, and invalidations need RESP3");
            }
            Node node = new Node(conn);
            conn.addListener((PushListener) node);
            conn.addListener((RedisConnectionStateListener) node);
            try {
                conn.sync().clientSetname(LettuceCachedReader.CLIENT_NAME);
                conn.sync().clientTracking(TRACKING);
            } catch (RuntimeException e) {
                conn.removeListener((PushListener) node);
                conn.removeListener((RedisConnectionStateListener) node);
                throw e;
            }
            node.lastAnsweredPingSentAt = System.nanoTime();
            node.tracking = true;
            if (nodes.isEmpty()) {
                // The first connection: nothing read before counts.
                local.clear();
            }
            nodes.put(conn, node);
            update();
        }
    }

    synchronized void close() {
        closed = true;
        update();
        local.clear();
        for (Node node : nodes.values()) {
            node.connection.removeListener((PushListener) node);
            node.connection.removeListener((RedisConnectionStateListener) node);
        }
    }

    /**
     * Called every {@link #HEARTBEAT} by the reader's scheduler with the masters' connections now: pings each tracked
     * one, and forgets those that are no longer a master's.
     */
    void heartbeat(List<StatefulRedisConnection<String, String>> masters) {
        for (Node node : nodes.values()) {
            if (!masters.contains(node.connection)) {
                forget(node);
                continue;
            }
            node.ping();
        }
    }

    /** Clears the cache when the slot map moved since last seen: keys of a moved slot are tracked on the old master. */
    void topology(Object current) {
        synchronized (this) {
            if (topology != null && !topology.equals(current) && !closed) {
                clear("topology");
                log.info("{}: the Redis Cluster's slot map changed; local cache cleared", name);
            }
            topology = current;
        }
    }

    /**
     * Stops listening to a connection that is no longer a master's. What was read on it is dropped too: from now on
     * its invalidations go unheard, and the node may still serve a slot in the client's view (flagged failed, say).
     */
    private synchronized void forget(Node node) {
        if (nodes.remove(node.connection, node)) {
            node.connection.removeListener((PushListener) node);
            node.connection.removeListener((RedisConnectionStateListener) node);
            clear("topology");
            update();
            log.info("{}: {} is no longer a master; local cache cleared", name, node.connection);
        }
    }

    private void update() {
        boolean on = !closed && !nodes.isEmpty();
        for (Node node : nodes.values()) {
            on &= node.tracking && node.alive;
        }
        local.active(on);
    }

    private void clear(String reason) {
        local.clear();
        metrics.cleared(reason);
    }

    /** One tracked connection: its pushes, its state, its heartbeat. */
    private final class Node implements PushListener, RedisConnectionStateListener {
        final StatefulRedisConnection<String, String> connection;
        /** Redis tracks this connection's reads (guarded by the outer lock). */
        boolean tracking;
        /** A heartbeat was answered recently enough (guarded by the outer lock). */
        boolean alive = true;

        volatile long lastAnsweredPingSentAt = System.nanoTime();

        Node(StatefulRedisConnection<String, String> connection) {
            this.connection = connection;
        }

        void ping() {
            long sent = System.nanoTime();
            try {
                connection.async().ping().whenComplete((pong, failure) -> {
                    if (failure == null) {
                        answered(sent);
                    }
                });
            } catch (RuntimeException e) {
                // Rejected while disconnected: the silence check below notices.
            }
            synchronized (Invalidations.this) {
                if (alive && !closed && System.nanoTime() - lastAnsweredPingSentAt > SILENCE_LIMIT.toNanos()) {
                    alive = false;
                    update();
                    clear("silence");
                    log.warn(
                            "{}: no answer from Redis for {} ms; local cache cleared and off until Redis answers again",
                            name,
                            SILENCE_LIMIT.toMillis());
                }
            }
        }

        private void answered(long sentAt) {
            synchronized (Invalidations.this) {
                if (sentAt > lastAnsweredPingSentAt) {
                    lastAnsweredPingSentAt = sentAt;
                }
                if (!alive) {
                    // Every push sent before this reply has been applied: what the cache holds now is current.
                    alive = true;
                    update();
                    log.info("{}: Redis answers again; local cache back on", name);
                }
            }
        }

        @Override
        public void onPushMessage(PushMessage message) {
            if (!"invalidate".equals(message.getType())) {
                return;
            }
            List<Object> content = message.getContent(StringCodec.UTF8::decodeKey);
            Object keys = content.size() > 1 ? content.get(1) : null;
            if (keys instanceof List<?> list) {
                for (Object key : list) {
                    if (key instanceof String k) {
                        local.invalidate(k);
                    } else if (key instanceof ByteBuffer b) {
                        local.invalidate(StringCodec.UTF8.decodeKey(b));
                    }
                }
                metrics.invalidated(list.size());
            } else {
                // A null key list: the server flushed its keyspace (FLUSHALL/FLUSHDB) and every tracked key is invalid.
                clear("flush");
            }
        }

        @Override
        public void onRedisDisconnected(RedisChannelHandler<?, ?> handler) {
            synchronized (Invalidations.this) {
                if (closed) {
                    return;
                }
                tracking = false;
                update();
                clear("disconnect");
            }
            log.warn("{}: Redis connection lost; local cache cleared and off until tracking is re-established", name);
        }

        @Override
        public void onRedisConnected(RedisChannelHandler<?, ?> handler, SocketAddress address) {
            // Runs on the event loop: the command is asynchronous, and the cache comes back only once Redis confirmed.
            connection.async().clientTracking(TRACKING).whenComplete((ok, failure) -> {
                if (failure != null) {
                    log.warn(
                            "{}: could not re-enable client tracking after reconnecting to {}: {}; local cache stays"
                                    + " off until the next reconnect",
                            name,
                            address,
                            failure.toString());
                    return;
                }
                synchronized (Invalidations.this) {
                    if (closed) {
                        return;
                    }
                    clear("reconnect");
                    tracking = true;
                    update();
                }
                log.info(
                        "{}: reconnected to {}; client tracking on again, local cache cleared and back on",
                        name,
                        address);
            });
        }
    }
}
