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
 * So a local copy is never served more than {@link #SILENCE_LIMIT} after the last proof that invalidations were
 * flowing. Thread-safe: state changes are synchronized; listener callbacks run on Lettuce's event loop and do no
 * blocking work.
 */
final class Invalidations implements PushListener, RedisConnectionStateListener {
    private static final Logger log = LoggerFactory.getLogger(Invalidations.class);
    static final TrackingArgs TRACKING = TrackingArgs.Builder.enabled().noloop();
    static final Duration HEARTBEAT = Duration.ofMillis(500);
    static final Duration SILENCE_LIMIT = Duration.ofSeconds(2);

    private final LocalCache local;
    private final ReaderMetrics metrics;
    private final String name;
    private volatile StatefulRedisConnection<String, String> connection;
    private boolean closed;
    /** Redis tracks this connection's reads (set once tracking is confirmed, cleared on disconnect). */
    private boolean tracking;
    /** A heartbeat was answered recently enough. */
    private boolean alive = true;

    private volatile long lastAnsweredPingSentAt = System.nanoTime();

    Invalidations(LocalCache local, ReaderMetrics metrics, String name) {
        this.local = local;
        this.metrics = metrics;
        this.name = name;
    }

    /** Starts tracking on a fresh connection (blocking); the local cache is used from then on. */
    void start(StatefulRedisConnection<String, String> conn) {
        this.connection = conn;
        conn.addListener((PushListener) this);
        conn.addListener((RedisConnectionStateListener) this);
        String info = conn.sync().clientInfo();
        if (info != null && !info.contains(" resp=3")) {
            // On RESP2 Redis accepts tracking but has no way to push the invalidations on this connection.
            throw new IllegalStateException("the connection speaks RESP2, and invalidations need RESP3");
        }
        conn.sync().clientTracking(TRACKING);
        synchronized (this) {
            lastAnsweredPingSentAt = System.nanoTime();
            local.clear();
            tracking = true;
            update();
        }
    }

    synchronized void close() {
        closed = true;
        tracking = false;
        update();
        local.clear();
    }

    /** Called every {@link #HEARTBEAT} by the reader's scheduler. */
    void heartbeat() {
        StatefulRedisConnection<String, String> conn = connection;
        if (conn == null) {
            return;
        }
        long sent = System.nanoTime();
        try {
            conn.async().ping().whenComplete((pong, failure) -> {
                if (failure == null) {
                    answered(sent);
                }
            });
        } catch (RuntimeException e) {
            // Rejected while disconnected: the silence check below notices.
        }
        synchronized (this) {
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

    private synchronized void answered(long sentAt) {
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

    private void update() {
        local.active(tracking && alive && !closed);
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
        synchronized (this) {
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
        StatefulRedisConnection<String, String> conn = connection;
        if (conn == null) {
            return; // the first connect: start() enables tracking itself
        }
        // Runs on the event loop: the command is asynchronous, and the cache comes back only once Redis confirmed.
        conn.async().clientTracking(TRACKING).whenComplete((ok, failure) -> {
            if (failure != null) {
                log.warn(
                        "{}: could not re-enable client tracking after reconnecting to {}: {}; local cache stays off"
                                + " until the next reconnect",
                        name,
                        address,
                        failure.toString());
                return;
            }
            synchronized (this) {
                if (closed) {
                    return;
                }
                clear("reconnect");
                tracking = true;
                update();
            }
            log.info("{}: reconnected to {}; client tracking on again, local cache cleared and back on", name, address);
        });
    }

    private void clear(String reason) {
        local.clear();
        metrics.cleared(reason);
    }
}
