package io.cistern.reader;

import io.cistern.connections.RedisDeployment;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The reader's Redis, whatever its topology: the connection of the master that serves a key (where the reader sends
 * its reads and fills, so that the connection Redis tracks the key on is the one that reads it), every master's
 * connection (tracking and heartbeats), routed commands for the rest, and a fingerprint of the slot map.
 *
 * <p>One server or a Sentinel master: one connection does everything, and the topology never changes. A Redis Cluster
 * ({@link RedisDeployment}): each master's node connection, looked up anew for every read (a failover or a reshard
 * replaces them), as Lettuce last saw the topology.
 */
abstract sealed class RedisNodes implements AutoCloseable {

    /** The connection of the master serving {@code key}; throws IllegalStateException when none is known. */
    abstract StatefulRedisConnection<String, String> nodeFor(String key);

    /** Every master's connection. */
    abstract List<StatefulRedisConnection<String, String>> masters();

    /** Keyed commands, routed by slot (MOVED and ASK followed on a cluster). */
    abstract RedisClusterCommands<String, String> sync();

    abstract RedisClusterAsyncCommands<String, String> async();

    abstract Duration timeout();

    abstract boolean isCluster();

    /**
     * Which master serves which slots: a value (compared with {@code equals}) that changes whenever a slot changes
     * master (a failover, a migration); constant off a cluster.
     */
    abstract Object topology();

    /** Asks the cluster for its topology now; nothing to do off a cluster. */
    abstract void refreshTopology();

    @Override
    public abstract void close();

    static RedisNodes of(StatefulRedisConnection<String, String> connection) {
        return new Single(connection);
    }

    static RedisNodes of(RedisDeployment deployment) {
        if (!deployment.isCluster()) {
            return new Single(deployment.masters().get(0).connection(), deployment);
        }
        return new Cluster(deployment);
    }

    /** One connection: a single server or a Sentinel master. */
    static final class Single extends RedisNodes {
        private final StatefulRedisConnection<String, String> connection;
        private final AutoCloseable owner;

        Single(StatefulRedisConnection<String, String> connection) {
            this(connection, connection::close);
        }

        Single(StatefulRedisConnection<String, String> connection, AutoCloseable owner) {
            this.connection = connection;
            this.owner = owner;
        }

        @Override
        StatefulRedisConnection<String, String> nodeFor(String key) {
            return connection;
        }

        @Override
        List<StatefulRedisConnection<String, String>> masters() {
            return List.of(connection);
        }

        @Override
        RedisClusterCommands<String, String> sync() {
            return connection.sync();
        }

        @Override
        RedisClusterAsyncCommands<String, String> async() {
            return connection.async();
        }

        @Override
        Duration timeout() {
            return connection.getTimeout();
        }

        @Override
        boolean isCluster() {
            return false;
        }

        @Override
        Object topology() {
            return "";
        }

        @Override
        void refreshTopology() {}

        @Override
        public void close() {
            try {
                owner.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing the reader's Redis connection: " + e.getMessage(), e);
            }
        }
    }

    /** A Redis Cluster: reads and fills on the node connection of the key's master. */
    static final class Cluster extends RedisNodes {
        private final RedisDeployment deployment;

        Cluster(RedisDeployment deployment) {
            this.deployment = deployment;
        }

        @Override
        StatefulRedisConnection<String, String> nodeFor(String key) {
            return deployment.masterFor(key).connection();
        }

        @Override
        List<StatefulRedisConnection<String, String>> masters() {
            return deployment.masters().stream()
                    .map(RedisDeployment.Master::connection)
                    .toList();
        }

        @Override
        RedisClusterCommands<String, String> sync() {
            return deployment.sync();
        }

        @Override
        RedisClusterAsyncCommands<String, String> async() {
            return deployment.async();
        }

        @Override
        Duration timeout() {
            return deployment.connection().getTimeout();
        }

        @Override
        boolean isCluster() {
            return true;
        }

        @Override
        Object topology() {
            Map<String, List<Integer>> slots = new TreeMap<>();
            for (RedisClusterNode n :
                    deployment.clusterConnection().orElseThrow().getPartitions()) {
                if (n.is(RedisClusterNode.NodeFlag.UPSTREAM) && !n.is(RedisClusterNode.NodeFlag.FAIL)) {
                    slots.put(
                            n.getNodeId() + "@" + n.getUri().getHost() + ":"
                                    + n.getUri().getPort(),
                            n.getSlots());
                }
            }
            return slots;
        }

        @Override
        void refreshTopology() {
            deployment.refreshTopology();
        }

        @Override
        public void close() {
            deployment.close();
        }
    }
}
