package io.cistern.connections;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.resource.ClientResources;

/** Builds Lettuce clients that fail fast instead of buffering commands while Redis is unreachable. */
public final class RedisClients {
    private RedisClients() {}

    /**
     * A client for {@code settings}. While disconnected, commands are rejected at once (never queued in memory, where a
     * crash would lose them); the client reconnects in the background.
     */
    public static RedisClient create(RedisSettings settings) {
        return configure(RedisClient.create(settings.uri()), settings);
    }

    /** A client sharing {@code resources} (event loops, timers), which the caller owns and shuts down. */
    public static RedisClient create(RedisSettings settings, ClientResources resources) {
        return configure(RedisClient.create(resources, settings.uri()), settings);
    }

    private static RedisClient configure(RedisClient client, RedisSettings settings) {
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .pingBeforeActivateConnection(true)
                .socketOptions(SocketOptions.builder()
                        .connectTimeout(settings.connectTimeout())
                        .keepAlive(true)
                        .build())
                .timeoutOptions(TimeoutOptions.enabled(settings.commandTimeout()))
                .build());
        return client;
    }
}
