package io.cistern.connections;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.SslOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.resource.ClientResources;
import java.time.Duration;

/**
 * Builds Lettuce clients that fail fast instead of buffering commands while Redis is unreachable.
 *
 * <p>Reconnection: after a connection drops, Lettuce reconnects in the background with exponential backoff (its
 * default delay doubles from 1 ms up to 30 s between attempts, indefinitely). Meanwhile every command fails at once with
 * {@code RedisException: Currently not connected} rather than waiting in a queue in memory, where a crash would lose
 * it; callers retry or report the failure. Once reconnected, the connection re-authenticates and selects its database
 * before it accepts commands.
 */
public final class RedisClients {
    private RedisClients() {}

    /**
     * A client for {@code settings} (a single server or Sentinel). While disconnected, commands are rejected at once
     * (never queued in memory, where a crash would lose them); the client reconnects in the background.
     *
     * @throws IllegalArgumentException if the settings describe a Redis Cluster (use {@link #createCluster})
     */
    public static RedisClient create(RedisSettings settings) {
        requireNotCluster(settings);
        return configure(RedisClient.create(settings.uri()), settings);
    }

    /** A client sharing {@code resources} (event loops, timers), which the caller owns and shuts down. */
    public static RedisClient create(RedisSettings settings, ClientResources resources) {
        requireNotCluster(settings);
        return configure(RedisClient.create(resources, settings.uri()), settings);
    }

    /**
     * A client for {@code settings} of any topology: a {@link RedisClusterClient} for a {@code redis-cluster://} URL,
     * else a {@link RedisClient} (a single server or a Sentinel master), for components that take either.
     */
    public static AbstractRedisClient createAny(RedisSettings settings) {
        return settings.topology() == RedisSettings.Topology.CLUSTER ? createCluster(settings) : create(settings);
    }

    /**
     * A Redis Cluster client for {@code settings} ({@code redis-cluster://} URL), with the same fail-fast behaviour,
     * that follows topology changes (failovers, resharding) as the servers announce them.
     */
    public static RedisClusterClient createCluster(RedisSettings settings) {
        requireCluster(settings);
        return configure(RedisClusterClient.create(settings.clusterNodes()), settings);
    }

    /** A cluster client sharing {@code resources} (event loops, timers), which the caller owns and shuts down. */
    public static RedisClusterClient createCluster(RedisSettings settings, ClientResources resources) {
        requireCluster(settings);
        return configure(RedisClusterClient.create(resources, settings.clusterNodes()), settings);
    }

    private static void requireCluster(RedisSettings settings) {
        if (settings.topology() != RedisSettings.Topology.CLUSTER) {
            throw new IllegalArgumentException("Redis at " + settings.redactedUrl()
                    + " is not a cluster: use RedisClients.create, or a redis-cluster:// URL");
        }
    }

    private static RedisClusterClient configure(RedisClusterClient client, RedisSettings settings) {
        client.setOptions(ClusterClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .socketOptions(socketOptions(settings))
                .timeoutOptions(TimeoutOptions.enabled(settings.commandTimeout()))
                .sslOptions(sslOptions(settings))
                // A killed master's slots move to its replica within seconds of the node timeout; the client learns
                // of it by refreshing after MOVED/ASK or failed reconnects (at most once a second) and every 10 s, so
                // commands for those slots fail ("not connected") for seconds, not for Lettuce's default 30 s.
                .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                        .enableAllAdaptiveRefreshTriggers()
                        .adaptiveRefreshTriggersTimeout(Duration.ofSeconds(1))
                        .enablePeriodicRefresh(Duration.ofSeconds(10))
                        .build())
                .build());
        return client;
    }

    private static void requireNotCluster(RedisSettings settings) {
        if (settings.topology() == RedisSettings.Topology.CLUSTER) {
            throw new IllegalArgumentException("Redis at " + settings.redactedUrl()
                    + " is a cluster (redis-cluster:// URL): use RedisClients.createCluster");
        }
    }

    private static RedisClient configure(RedisClient client, RedisSettings settings) {
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .pingBeforeActivateConnection(true)
                .socketOptions(socketOptions(settings))
                .timeoutOptions(TimeoutOptions.enabled(settings.commandTimeout()))
                .sslOptions(sslOptions(settings))
                .build());
        return client;
    }

    private static SocketOptions socketOptions(RedisSettings settings) {
        return SocketOptions.builder()
                .connectTimeout(settings.connectTimeout())
                .keepAlive(true)
                .build();
    }

    private static SslOptions sslOptions(RedisSettings settings) {
        SslOptions.Builder ssl = SslOptions.builder().jdkSslProvider();
        settings.tlsCaCert().ifPresent(ca -> ssl.trustManager(ca.toFile()));
        return ssl.build();
    }
}
