package io.cistern.connections.testing;

import io.cistern.connections.RedisClients;
import io.cistern.connections.RedisSettings;
import io.lettuce.core.KeyScanArgs;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A test class's own corner of the shared test Redis: a unique key prefix, and a connection. Closing it deletes every
 * key under the prefix.
 */
public final class TestRedis implements AutoCloseable {
    private final String prefix;
    private final String url;
    private final RedisClient client;
    private final StatefulRedisConnection<String, String> connection;

    private TestRedis(String prefix, String url) {
        this.prefix = prefix;
        this.url = url;
        this.client = RedisClients.create(RedisSettings.of(url));
        this.connection = client.connect();
    }

    /** A fresh namespace named after {@code hint} (for example the test class). */
    public static TestRedis create(String hint) {
        String safe = hint.replaceAll("[^A-Za-z0-9]", "").toLowerCase(java.util.Locale.ROOT);
        String prefix = "it-" + safe.substring(0, Math.min(24, safe.length())) + "-"
                + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36);
        return new TestRedis(prefix, TestServers.redisUrl());
    }

    /** The key prefix this test owns. */
    public String prefix() {
        return prefix;
    }

    public String url() {
        return url;
    }

    public RedisClient client() {
        return client;
    }

    public RedisCommands<String, String> commands() {
        return connection.sync();
    }

    /** Every key under this namespace's prefix. */
    public List<String> keys() {
        RedisCommands<String, String> redis = commands();
        List<String> keys = new java.util.ArrayList<>();
        ScanCursor cursor = ScanCursor.INITIAL;
        do {
            KeyScanCursor<String> page = redis.scan(
                    cursor, KeyScanArgs.Builder.matches(prefix + ":*").limit(1000));
            keys.addAll(page.getKeys());
            cursor = page;
        } while (!cursor.isFinished());
        return keys;
    }

    /** Deletes every key under the prefix. */
    public void clear() {
        List<String> keys = keys();
        for (int i = 0; i < keys.size(); i += 500) {
            commands().unlink(keys.subList(i, Math.min(keys.size(), i + 500)).toArray(String[]::new));
        }
    }

    @Override
    public void close() {
        try {
            clear();
        } finally {
            connection.close();
            client.shutdown();
        }
    }
}
