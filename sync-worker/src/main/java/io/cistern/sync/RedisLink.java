package io.cistern.sync;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * One connection of the sync worker to Redis, of either topology: a single server (or a Sentinel-managed master,
 * through {@link RedisClient}) or a Redis Cluster (through {@link RedisClusterClient}). Keyed commands go through {@link
 * #commands()}, typed on {@link RedisClusterCommands}, which both APIs extend: on a cluster Lettuce sends each to the
 * master serving its first key's slot and follows {@code MOVED}/{@code ASK}, so a partition's keys (all under its hash
 * tag) are read and written on that partition's master wherever its slot lives now.
 *
 * <p>A blocking {@code XREADGROUP} holds the node connection it runs on until it returns; on a cluster connection that
 * is the connection to one master, shared by every command of that connection bound for the same master. So each
 * partition loop opens a link of its own ({@link #open}), and the lease thread another one, exactly as on a single
 * server: a blocking read never delays another partition's commands or a lease renewal.
 */
record RedisLink(
        StatefulConnection<String, String> connection,
        RedisClusterCommands<String, String> commands,
        StatefulRedisClusterConnection<String, String> cluster,
        AbstractRedisClient client)
        implements AutoCloseable {

    RedisLink {
        Objects.requireNonNull(connection, "connection");
        Objects.requireNonNull(commands, "commands");
    }

    /** A master of the deployment with its own node commands (keyless commands reach that node alone). */
    record Node(String address, RedisClusterCommands<String, String> commands) {}

    /**
     * The client the worker was given, checked: a {@link RedisClient} or a {@link RedisClusterClient}.
     *
     * @throws IllegalArgumentException naming the parameter otherwise
     */
    static AbstractRedisClient check(AbstractRedisClient client, String name) {
        Objects.requireNonNull(client, name + " must not be null");
        if (!(client instanceof RedisClient) && !(client instanceof RedisClusterClient)) {
            throw new IllegalArgumentException(name + " must be a RedisClient (one server, Sentinel) or a"
                    + " RedisClusterClient (Redis Cluster; RedisClients.createCluster), was "
                    + client.getClass().getName());
        }
        return client;
    }

    /** Opens a link with the plain UTF-8 codec. */
    static RedisLink open(AbstractRedisClient client) {
        return open(client, StringCodec.UTF8);
    }

    /** Opens a link whose replies {@code codec} decodes (a {@link StreamReplyCodec} for the partition loops). */
    static RedisLink open(AbstractRedisClient client, RedisCodec<String, String> codec) {
        if (client instanceof RedisClusterClient c) {
            StatefulRedisClusterConnection<String, String> connection = c.connect(codec);
            return new RedisLink(connection, connection.sync(), connection, client);
        }
        StatefulRedisConnection<String, String> connection = ((RedisClient) client).connect(codec);
        return new RedisLink(connection, connection.sync(), null, client);
    }

    /** Asks the cluster for its topology now, so {@link #masterFor} sees a failover or reshard; nothing off a cluster. */
    void refreshIfCluster() {
        if (cluster != null) {
            ((RedisClusterClient) client).refreshPartitions();
        }
    }

    /**
     * The same connection's asynchronous commands: a command sent here and one sent through {@link #commands()} after it
     * reach the server in that order (one connection; on a cluster, one node connection per master).
     */
    RedisClusterAsyncCommands<String, String> async() {
        return cluster != null ? cluster.async() : ((StatefulRedisConnection<String, String>) connection).async();
    }

    boolean isCluster() {
        return cluster != null;
    }

    /**
     * The master serving {@code key}'s slot, as the client last saw the topology;
     * off a cluster, the one server.
     *
     * @throws IllegalStateException when no known master serves the slot (a failover under way)
     */
    Node masterFor(String key) {
        if (cluster == null) {
            return new Node("the Redis server", commands);
        }
        int slot = io.lettuce.core.cluster.SlotHash.getSlot(key);
        RedisClusterNode node = cluster.getPartitions().getMasterBySlot(slot);
        if (node == null) {
            throw new IllegalStateException("no master of the Redis Cluster serves slot " + slot + " (of key " + key
                    + ") in the client's view of the topology; a failover may be under way");
        }
        return node(node);
    }

    /** Every master not marked failed, by address; off a cluster, the one server. */
    List<Node> masters() {
        if (cluster == null) {
            return List.of(new Node("the Redis server", commands));
        }
        return cluster.getPartitions().stream()
                .filter(n -> n.is(RedisClusterNode.NodeFlag.UPSTREAM) && !n.is(RedisClusterNode.NodeFlag.FAIL))
                .map(this::node)
                .sorted(Comparator.comparing(Node::address))
                .toList();
    }

    private Node node(RedisClusterNode node) {
        return new Node(
                node.getUri().getHost() + ":" + node.getUri().getPort(),
                cluster.getConnection(node.getNodeId()).sync());
    }

    @Override
    public void close() {
        connection.close();
    }
}
