package io.cistern.proxy;

import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.TrackingArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.push.PushListener;
import io.lettuce.core.api.push.PushMessage;
import io.lettuce.core.codec.StringCodec;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
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
 * <p><b>What can lose invalidations, and what the reader does.</b> The connection dropping (network, {@code CLIENT
 * KILL}, a restart, a Sentinel failover to another server): tracking state lives in the server's connection, so every
 * registration is gone. On disconnect the local cache is switched off and cleared; on reconnect tracking is switched on
 * again, the cache is cleared once more (loads that read before tracking was on must not install), and only then
 * switched back on. A {@code FLUSHALL}/{@code FLUSHDB} arrives as an invalidation of every key: the cache is cleared.
 * When the server's tracking table is full it invalidates keys to make room: those arrive as ordinary invalidations.
 *
 * <p>Thread-safe. Listener callbacks run on Lettuce's event loop and do no blocking work.
 */
final class Invalidations implements PushListener, RedisConnectionStateListener {
    private static final Logger log = LoggerFactory.getLogger(Invalidations.class);
    static final TrackingArgs TRACKING = TrackingArgs.Builder.enabled().noloop();

    private final LocalCache local;
    private final ReaderMetrics metrics;
    private final String name;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile StatefulRedisConnection<String, String> connection;

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
        conn.sync().clientTracking(TRACKING);
        local.clear();
        local.active(true);
    }

    void close() {
        closed.set(true);
        local.active(false);
        local.clear();
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
        if (closed.get()) {
            return;
        }
        local.active(false);
        clear("disconnect");
        log.warn("{}: Redis connection lost; local cache cleared and off until tracking is re-established", name);
    }

    @Override
    public void onRedisConnected(RedisChannelHandler<?, ?> handler, SocketAddress address) {
        StatefulRedisConnection<String, String> conn = connection;
        if (closed.get() || conn == null) {
            return; // the first connect: start() enables tracking itself
        }
        // Runs on the event loop: the command is asynchronous, and the cache comes back only once Redis confirmed.
        conn.async().clientTracking(TRACKING).whenComplete((ok, failure) -> {
            if (closed.get()) {
                return;
            }
            if (failure != null) {
                log.warn(
                        "{}: could not re-enable client tracking after reconnecting to {}: {}; local cache stays off"
                                + " until the next reconnect",
                        name,
                        address,
                        failure.toString());
                return;
            }
            clear("reconnect");
            local.active(true);
            log.info("{}: reconnected to {}; client tracking on again, local cache cleared and back on", name, address);
        });
    }

    private void clear(String reason) {
        local.clear();
        metrics.cleared(reason);
    }
}
