package io.cistern.ops.testing;

import io.cistern.connections.RedisDeployment;
import io.cistern.connections.RedisSettings;
import io.cistern.connections.testing.PrivateRedisCluster;
import io.cistern.connections.testing.TestRedis;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;

/**
 * A test's own corner of a Redis of the topology this JVM's tests run against: the shared test Redis ({@link
 * TestRedis}), or, when the system property {@value #PROPERTY} is {@code cluster} (the {@code on-redis-cluster}
 * failsafe execution in ops/pom.xml), the JVM's private Redis Cluster ({@link PrivateRedisCluster#shared()}). A unique
 * key prefix, the URL to hand the command under test, and a {@link RedisDeployment} to set up and inspect the keys
 * with. Closing it deletes every key under the prefix.
 */
public final class TopologyRedis implements AutoCloseable {
    /** The system property naming the topology, as {@code TestRedis} reads it on main: {@code cluster}, else one server. */
    public static final String PROPERTY = "cistern.test.redis.topology";

    private final String prefix;
    private final String url;
    private final TestRedis single;
    private final RedisDeployment deployment;

    private TopologyRedis(String prefix, String url, TestRedis single) {
        this.prefix = prefix;
        this.url = url;
        this.single = single;
        this.deployment = RedisDeployment.open(RedisSettings.of(url));
    }

    /** A fresh namespace named after {@code hint} on this JVM's topology. */
    public static TopologyRedis create(String hint) {
        if (onCluster()) {
            PrivateRedisCluster cluster = PrivateRedisCluster.shared();
            return new TopologyRedis(PrivateRedisCluster.newPrefix(hint), cluster.url(), null);
        }
        TestRedis single = TestRedis.create(hint);
        return new TopologyRedis(single.prefix(), single.url(), single);
    }

    /** Whether this JVM's tests run against the private Redis Cluster ({@value #PROPERTY}{@code =cluster}). */
    public static boolean onCluster() {
        return "cluster".equalsIgnoreCase(System.getProperty(PROPERTY, "").strip());
    }

    public String prefix() {
        return prefix;
    }

    /** The URL for {@code REDIS_URL}: {@code redis://...} or {@code redis-cluster://...}. */
    public String url() {
        return url;
    }

    /** The deployment, open for this namespace's lifetime (owned by it). */
    public RedisDeployment deployment() {
        return deployment;
    }

    /** Keyed commands, routed by slot on the cluster. */
    public RedisClusterCommands<String, String> commands() {
        return deployment.sync();
    }

    /** The node connection of the master serving {@code key}'s slot: for APIs typed on a single server's commands. */
    public RedisCommands<String, String> nodeOf(String key) {
        return deployment.masterFor(key).sync();
    }

    @Override
    public void close() {
        try {
            if (single != null) {
                single.close();
            } else {
                PrivateRedisCluster.shared().deleteKeys(prefix);
            }
        } finally {
            deployment.close();
        }
    }
}
