package io.cistern.connections.testing;

import io.cistern.connections.RedisClients;
import io.cistern.connections.RedisDeployment;
import io.cistern.connections.RedisSettings;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A test class's own corner of the shared test Redis: a unique key prefix, and a connection. Closing it deletes every
 * key under the prefix.
 *
 * <p>Topology: the shared test Redis (a single server) unless the system property {@value #TOPOLOGY_PROPERTY} is
 * {@code cluster}: then the JVM's {@link PrivateRedisCluster}. A test written for both uses {@link #keyed()} for keyed
 * commands and {@link #masters()} for what lives on every server (the Function library); {@link #commands()} and
 * {@link #client()} are the single server's alone. docs/development.md says which ITs run on both, and how.
 */
public final class TestRedis implements AutoCloseable {
    /** The system property that runs the tests on the private Redis Cluster: {@code cluster}. */
    public static final String TOPOLOGY_PROPERTY = "cistern.test.redis.topology";

    private final String prefix;
    private final String url;
    private final AbstractRedisClient client;
    private final RedisDeployment deployment;

    private TestRedis(String prefix, String url) {
        this.prefix = prefix;
        this.url = url;
        RedisSettings settings = RedisSettings.of(url);
        this.client = settings.topology() == RedisSettings.Topology.CLUSTER
                ? RedisClients.createCluster(settings)
                : RedisClients.create(settings);
        this.deployment = RedisDeployment.connect(client, settings);
    }

    /** A fresh namespace named after {@code hint} (for example the test class). */
    public static TestRedis create(String hint) {
        String safe = hint.replaceAll("[^A-Za-z0-9]", "").toLowerCase(java.util.Locale.ROOT);
        String prefix = "it-" + safe.substring(0, Math.min(24, safe.length())) + "-"
                + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36);
        return new TestRedis(prefix, onCluster() ? PrivateRedisCluster.shared().url() : TestServers.redisUrl());
    }

    /** Whether this JVM's tests run on the private Redis Cluster ({@value #TOPOLOGY_PROPERTY}{@code =cluster}). */
    public static boolean onCluster() {
        return "cluster"
                .equalsIgnoreCase(System.getProperty(TOPOLOGY_PROPERTY, "").strip());
    }

    /** The key prefix this test owns. */
    public String prefix() {
        return prefix;
    }

    /** The URL: {@code redis://} for the single server, {@code redis-cluster://} for the cluster. */
    public String url() {
        return url;
    }

    public boolean isCluster() {
        return deployment.isCluster();
    }

    /** Keyed commands, on either topology (routed by slot on the cluster). */
    public RedisClusterCommands<String, String> keyed() {
        return deployment.sync();
    }

    /** Each master's own commands: one on the single server, three on the cluster. */
    public List<RedisClusterCommands<String, String>> masters() {
        return deployment.masterCommands();
    }

    /** The connection to Redis of either topology, for what {@link #keyed()} and {@link #masters()} do not cover. */
    public RedisDeployment deployment() {
        return deployment;
    }

    /**
     * The client of the single server (closed with this).
     *
     * @throws IllegalStateException on the cluster
     */
    public RedisClient client() {
        requireSingleServer("client()");
        return (RedisClient) client;
    }

    /**
     * The single server's commands.
     *
     * @throws IllegalStateException on the cluster: use {@link #keyed()} or {@link #masters()}
     */
    public RedisCommands<String, String> commands() {
        requireSingleServer("commands()");
        return deployment.masters().get(0).sync();
    }

    private void requireSingleServer(String what) {
        if (deployment.isCluster()) {
            throw new IllegalStateException("TestRedis." + what + " is for the single server; this test runs on the"
                    + " Redis Cluster (" + TOPOLOGY_PROPERTY + "=cluster): use keyed() or masters()");
        }
    }

    /** Every key under this namespace's prefix, on every master. */
    public List<String> keys() {
        List<String> keys = new java.util.ArrayList<>();
        deployment.scan(ScanArgs.Builder.matches(prefix + ":*").limit(1000), keys::addAll);
        return keys;
    }

    /** Deletes every key under the prefix. */
    public void clear() {
        List<String> keys = keys();
        for (int i = 0; i < keys.size(); i += 500) {
            // On the cluster, Lettuce splits a multi-key UNLINK by slot.
            keyed().unlink(keys.subList(i, Math.min(keys.size(), i + 500)).toArray(String[]::new));
        }
    }

    @Override
    public void close() {
        try {
            clear();
        } finally {
            deployment.close();
            client.shutdown();
        }
    }
}
