package io.cistern.connections;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.resource.ClientResources;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * One connection to a Redis deployment of any topology (a single server, a Sentinel-managed master, or a Redis
 * Cluster), opened from {@link RedisSettings}, the one way Cistern components talk to Redis.
 *
 * <p><b>Keyed commands</b> go through {@link #sync()} / {@link #async()}, typed on Lettuce's {@link RedisClusterCommands}
 * / {@link RedisClusterAsyncCommands}: the interfaces that both Lettuce's standalone ({@code RedisCommands}) and
 * cluster ({@code RedisAdvancedClusterCommands}) APIs extend, so the same code runs on every topology. On a cluster,
 * Lettuce sends a keyed command (also {@code FCALL} with keys) to the master serving its first key's slot and follows
 * {@code MOVED} and {@code ASK}; a command whose keys span several slots is refused with {@code CROSSSLOT} (except the
 * multi-key commands Lettuce splits by slot itself: {@code DEL}, {@code UNLINK}, {@code MGET}, {@code MSET}, {@code
 * EXISTS}, {@code TOUCH}). Keys sharing a {@code {hash tag}} share a slot.
 *
 * <p><b>Per-node operations</b>: commands without keys act on the one node they reach. On a cluster, {@link #sync()}
 * sends them to an arbitrary node, so anything that must reach every master or one particular master goes through the
 * node connections instead:
 *
 * <ul>
 *   <li>{@link #masters()} / {@link #onEveryMaster}: {@code FUNCTION LOAD}, {@code FUNCTION LIST}, {@code INFO},
 *       {@code CONFIG GET}, {@code CLIENT TRACKING}, {@code DBSIZE}, {@code MEMORY}/{@code SCRIPT} commands;
 *   <li>{@link #masterFor(String)}: the connection of the master serving a key's slot, for a command that must be on
 *       the same node connection as the write it follows ({@code WAIT} after an {@code FCALL});
 *   <li>{@link #scan}: {@code SCAN} over every master's keys (Lettuce's cluster scan; one server otherwise).
 * </ul>
 *
 * On a single server or Sentinel there is one master, and its node connection is this connection itself.
 *
 * <p>Node connections belong to this object: callers never close them, and ask again rather than keep one (a failover
 * or a reshard replaces them). A keyed command sent on a node connection that no longer serves its slot fails with
 * {@code MOVED}; it is not redirected. The master list is Lettuce's view of the topology, which it refreshes on
 * {@code MOVED}/{@code ASK}, on reconnects and every minute; {@link #refreshTopology()} refreshes it at once (before
 * {@code FUNCTION LOAD} on every master, say).
 *
 * <p>Fail-fast like {@link RedisClients}: while disconnected, commands fail at once; the client reconnects in the
 * background. Thread-safe, as Lettuce connections are; {@link #close()} closes the connection and shuts the client down
 * (unless it runs on caller-owned {@link ClientResources}, which the caller shuts down).
 */
public final class RedisDeployment implements AutoCloseable {
    private final RedisSettings settings;
    private final AbstractRedisClient client;
    /** Whether {@link #close()} shuts the client down: only when this deployment created it. */
    private final boolean ownsClient;

    private final StatefulConnection<String, String> connection;
    private final RedisClusterCommands<String, String> sync;
    private final RedisClusterAsyncCommands<String, String> async;
    private final StatefulRedisClusterConnection<String, String> cluster;
    private final StatefulRedisConnection<String, String> standalone;

    /**
     * One master of the deployment: its address ({@code host:port} on a cluster; the redacted URL otherwise), its
     * cluster node id (empty off a cluster), and its node connection (owned by the {@link RedisDeployment}).
     */
    public record Master(String address, String nodeId, StatefulRedisConnection<String, String> connection) {
        public Master {
            Objects.requireNonNull(address, "address");
            Objects.requireNonNull(nodeId, "nodeId");
            Objects.requireNonNull(connection, "connection");
        }

        /** The synchronous commands of this node alone. */
        public RedisCommands<String, String> sync() {
            return connection.sync();
        }

        @Override
        public String toString() {
            return address;
        }
    }

    private RedisDeployment(
            RedisSettings settings,
            AbstractRedisClient client,
            boolean ownsClient,
            StatefulConnection<String, String> c) {
        this.settings = settings;
        this.client = client;
        this.ownsClient = ownsClient;
        this.connection = c;
        if (c instanceof StatefulRedisClusterConnection<String, String> clustered) {
            this.cluster = clustered;
            this.standalone = null;
            this.sync = clustered.sync();
            this.async = clustered.async();
        } else {
            this.cluster = null;
            this.standalone = (StatefulRedisConnection<String, String>) c;
            this.sync = standalone.sync();
            this.async = standalone.async();
        }
    }

    /**
     * Connects to the deployment {@code settings} describe, with a client of its own.
     *
     * @throws io.lettuce.core.RedisConnectionException if no server (no cluster seed node) answers
     */
    public static RedisDeployment open(RedisSettings settings) {
        return open(settings, null);
    }

    /**
     * Connects with a client sharing {@code resources} (event loops, timers), which the caller owns and shuts down
     * after closing this; {@code null} for resources of the client's own.
     */
    public static RedisDeployment open(RedisSettings settings, ClientResources resources) {
        Objects.requireNonNull(settings, "settings");
        if (settings.topology() == RedisSettings.Topology.CLUSTER) {
            RedisClusterClient client = resources == null
                    ? RedisClients.createCluster(settings)
                    : RedisClients.createCluster(settings, resources);
            try {
                return new RedisDeployment(settings, client, true, client.connect());
            } catch (RuntimeException e) {
                client.shutdown();
                throw e;
            }
        }
        RedisClient client =
                resources == null ? RedisClients.create(settings) : RedisClients.create(settings, resources);
        try {
            return new RedisDeployment(settings, client, true, client.connect());
        } catch (RuntimeException e) {
            client.shutdown();
            throw e;
        }
    }

    /**
     * Connects through {@code client}, which the caller owns, shares and shuts down ({@link #close()} closes only this
     * connection): a {@link RedisClusterClient} makes this a cluster deployment, a {@link RedisClient} a single server
     * or Sentinel one, whatever {@code settings} say; {@code settings} only name Redis in messages (redacted).
     */
    public static RedisDeployment connect(AbstractRedisClient client, RedisSettings settings) {
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(settings, "settings");
        if (client instanceof RedisClusterClient clusterClient) {
            return new RedisDeployment(settings, client, false, clusterClient.connect());
        }
        if (client instanceof RedisClient single) {
            return new RedisDeployment(settings, client, false, single.connect());
        }
        throw new IllegalArgumentException("a Redis client must be a RedisClient or a RedisClusterClient, not "
                + client.getClass().getName());
    }

    /** Whether this is a Redis Cluster (several masters), rather than one server or a Sentinel-managed master. */
    public boolean isCluster() {
        return cluster != null;
    }

    public RedisSettings settings() {
        return settings;
    }

    /** Keyed commands, routed by slot on a cluster; see the class comment for what keyless commands reach. */
    public RedisClusterCommands<String, String> sync() {
        return sync;
    }

    /** Keyed commands, asynchronously; pipelines with {@link StatefulConnection#setAutoFlushCommands} on {@link #connection()}. */
    public RedisClusterAsyncCommands<String, String> async() {
        return async;
    }

    /**
     * The connection itself (a {@link StatefulRedisConnection} or a {@link StatefulRedisClusterConnection}), for what
     * both share: {@code setAutoFlushCommands}/{@code flushCommands} (on a cluster, a flush writes each node's queued
     * commands to that node), {@code setTimeout}, {@code isOpen}.
     */
    public StatefulConnection<String, String> connection() {
        return connection;
    }

    /** The cluster connection, for cluster-only APIs (node selection, partitions); empty off a cluster. */
    public java.util.Optional<StatefulRedisClusterConnection<String, String>> clusterConnection() {
        return java.util.Optional.ofNullable(cluster);
    }

    /** The slot of {@code key} (of its {@code {hash tag}} when it has one), 0..16383; meaningful on a cluster only. */
    public static int slotOf(String key) {
        return SlotHash.getSlot(key);
    }

    /**
     * Every master, as Lettuce last saw the topology: on a cluster each master node not marked failed (also one that
     * serves no slot yet, a reshard target), by address; otherwise the one master.
     */
    public List<Master> masters() {
        if (cluster == null) {
            return List.of(new Master(addressOfStandalone(), "", standalone));
        }
        return cluster.getPartitions().stream()
                .filter(n -> n.is(RedisClusterNode.NodeFlag.UPSTREAM) && !n.is(RedisClusterNode.NodeFlag.FAIL))
                .map(this::master)
                .sorted(java.util.Comparator.comparing(Master::address))
                .toList();
    }

    /**
     * Each master's commands ({@link #masters()}), for what takes every master's commands, such as the
     * {@code Initializer}: {@code new Initializer(dataSource, deployment.sync(), deployment::masterCommands)}.
     */
    public List<RedisClusterCommands<String, String>> masterCommands() {
        return masters().stream()
                .<RedisClusterCommands<String, String>>map(Master::sync)
                .toList();
    }

    /**
     * Runs {@code command} on every master in turn (see {@link #masters()}) and returns each master's result by its
     * address. The first failure propagates (as Lettuce threw it, so it is classified as usual) and the remaining
     * masters are not run; a caller that needs every master's outcome iterates {@link #masters()} itself.
     */
    public <T> Map<String, T> onEveryMaster(Function<RedisCommands<String, String>, T> command) {
        Map<String, T> results = new LinkedHashMap<>();
        for (Master m : masters()) {
            results.put(m.address(), command.apply(m.sync()));
        }
        return results;
    }

    /**
     * The master serving {@code key}'s slot (for a partition: any key of that partition, they share its hash tag), as
     * Lettuce last saw the topology; on a single server or Sentinel, the one master.
     *
     * @throws IllegalStateException if no known master serves the slot (the cluster is failing over it)
     */
    public Master masterFor(String key) {
        if (cluster == null) {
            return masters().get(0);
        }
        int slot = slotOf(key);
        RedisClusterNode node = cluster.getPartitions().getMasterBySlot(slot);
        if (node == null) {
            throw new IllegalStateException("no master of the Redis Cluster at " + settings.redactedUrl()
                    + " serves slot " + slot + " (of key " + key + ") in the client's view of the topology;"
                    + " a failover may be under way: retry");
        }
        return master(node);
    }

    /**
     * {@code SCAN} over every master's keys ({@code args} give MATCH/COUNT/TYPE), handing each page of keys to {@code
     * page}. On a cluster, Lettuce's cluster scan walks the masters one after another; a key moved by a reshard while
     * the scan runs may be seen twice or not at all, as SCAN itself promises nothing firmer under change.
     */
    public void scan(ScanArgs args, Consumer<List<String>> page) {
        ScanCursor cursor = ScanCursor.INITIAL;
        do {
            KeyScanCursor<String> next = sync.scan(cursor, args);
            if (!next.getKeys().isEmpty()) {
                page.accept(next.getKeys());
            }
            cursor = next;
        } while (!cursor.isFinished());
    }

    /** Asks the cluster for its topology now (masters, replicas, slots); nothing to do off a cluster. */
    public void refreshTopology() {
        if (client instanceof RedisClusterClient clusterClient) {
            clusterClient.refreshPartitions();
        }
    }

    private Master master(RedisClusterNode node) {
        String address = node.getUri().getHost() + ":" + node.getUri().getPort();
        return new Master(address, node.getNodeId(), cluster.getConnection(node.getNodeId()));
    }

    private String addressOfStandalone() {
        return settings.redactedUrl();
    }

    /** Closes the connection (node connections with it) and shuts the client down if this deployment made it. */
    @Override
    public void close() {
        try {
            connection.close();
        } finally {
            if (ownsClient) {
                client.shutdown(java.time.Duration.ZERO, java.time.Duration.ofSeconds(2));
            }
        }
    }

    @Override
    public String toString() {
        return "RedisDeployment[" + settings.topology() + " " + settings.redactedUrl() + "]";
    }
}
