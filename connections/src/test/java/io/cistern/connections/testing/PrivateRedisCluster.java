package io.cistern.connections.testing;

import io.lettuce.core.MigrateArgs;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.cluster.SlotHash;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A private Redis Cluster for integration tests: 3 masters and 3 replicas (one each), on random 127.0.0.1 ports, with
 * a short {@code cluster-node-timeout} ({@value #NODE_TIMEOUT_MS} ms) so failovers take seconds. Never the shared
 * server.
 *
 * <p>One per test JVM: {@link #shared()} starts it on first use and a shutdown hook stops it when the JVM exits. Tests
 * isolate themselves by key prefix ({@link #newPrefix}; {@code CISTERN_PREFIX} / the KeyLayout prefix) and delete
 * their keys with {@link #deleteKeys}. A test that changes the topology (kills, fails over, migrates a slot) leaves the
 * cluster healthy for the next one: it restarts what it killed ({@link #heal()}); it must not assume which node owns
 * which slot, only ask ({@link #masterOfSlot}, {@link #masterOfKey}).
 *
 * <p>Every method that changes the topology returns only once every running node agrees on it (the same masters,
 * replicas and slot owners seen from each node, {@code cluster_state:ok} everywhere, every replica's link to its master
 * up), or throws after {@value #SETTLE_SECONDS} s. Thread-safe: methods are synchronized; run topology changes from one
 * test thread.
 */
public final class PrivateRedisCluster implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PrivateRedisCluster.class);
    static final int NODE_TIMEOUT_MS = 1500;
    static final int SETTLE_SECONDS = 30;
    private static final int MASTERS = 3;
    private static final String SHUTDOWN_THREAD = "private-redis-cluster-stop";
    private static PrivateRedisCluster shared;

    private final List<PrivateRedis> servers;
    private final RedisClient admin = RedisClient.create();

    /** A node as the cluster sees it: its id, port, role, the master it replicates (replicas) and its slots. */
    public record Node(String id, int port, boolean master, String masterId, List<SlotRange> slots) {
        public Node {
            Objects.requireNonNull(id, "id");
            slots = List.copyOf(slots);
        }

        /** {@code redis://127.0.0.1:port}, to talk to this one node directly. */
        public String url() {
            return "redis://127.0.0.1:" + port;
        }

        public boolean serves(int slot) {
            return slots.stream().anyMatch(r -> r.contains(slot));
        }

        /** How many of the 16384 slots this node serves. */
        public int slotCount() {
            return slots.stream().mapToInt(r -> r.last() - r.first() + 1).sum();
        }
    }

    /** The slots {@code first..last}, both included. */
    public record SlotRange(int first, int last) {
        public boolean contains(int slot) {
            return slot >= first && slot <= last;
        }
    }

    private PrivateRedisCluster(List<PrivateRedis> servers) {
        this.servers = servers;
    }

    /** The cluster of this JVM, started (about 2-5 s) on first use and stopped when the JVM exits. */
    public static synchronized PrivateRedisCluster shared() {
        if (shared == null) {
            shared = start();
            PrivateRedisCluster cluster = shared;
            Runtime.getRuntime().addShutdownHook(new Thread(cluster::close, SHUTDOWN_THREAD));
        }
        return shared;
    }

    /**
     * A cluster of the caller's own (3 masters, 3 replicas, about 2-5 s to start), for a test that kills and restarts
     * masters without disturbing the tests that share {@link #shared()} in the same JVM. The caller {@link #close()}s
     * it.
     */
    public static PrivateRedisCluster startPrivate() {
        return start();
    }

    private static PrivateRedisCluster start() {
        Instant began = Instant.now();
        List<PrivateRedis> servers = new ArrayList<>();
        try {
            for (int i = 0; i < MASTERS * 2; i++) {
                servers.add(PrivateRedis.start(
                        "--cluster-enabled", "yes",
                        "--cluster-config-file", "nodes.conf",
                        // The bus port is port+10000 unless set, which can be taken or above 65535.
                        "--cluster-port", Integer.toString(freePort()),
                        "--cluster-node-timeout", Integer.toString(NODE_TIMEOUT_MS),
                        // A replica is always allowed to take over, however long it was disconnected: tests restart
                        // nodes and then fail them over at once.
                        "--cluster-replica-validity-factor", "0",
                        "--repl-diskless-sync-delay", "0"));
            }
            List<String> create = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
            servers.forEach(s -> create.add("127.0.0.1:" + s.port()));
            create.addAll(List.of("--cluster-replicas", "1", "--cluster-yes"));
            Process p = new ProcessBuilder(create).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                throw new IllegalStateException("redis-cli --cluster create failed:\n" + output);
            }
            PrivateRedisCluster cluster = new PrivateRedisCluster(servers);
            cluster.awaitAgreement("the new cluster forms");
            LOG.info(
                    "private Redis Cluster ready in {} ms: {}",
                    Duration.between(began, Instant.now()).toMillis(),
                    cluster.describe());
            return cluster;
        } catch (IOException | RuntimeException e) {
            servers.forEach(PrivateRedis::close);
            throw new IllegalStateException("cannot start a private Redis Cluster: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            servers.forEach(PrivateRedis::close);
            throw new IllegalStateException("interrupted while starting a private Redis Cluster", e);
        }
    }

    /** A {@code redis-cluster://} URL naming every node as a seed, for {@code REDIS_URL}. */
    public synchronized String url() {
        return "redis-cluster://"
                + servers.stream().map(s -> "127.0.0.1:" + s.port()).collect(Collectors.joining(","));
    }

    /** A fresh key prefix for one test (class), named after {@code hint}; see {@link #deleteKeys}. */
    public static String newPrefix(String hint) {
        String safe = hint.replaceAll("[^A-Za-z0-9]", "").toLowerCase(Locale.ROOT);
        return "itc-" + safe.substring(0, Math.min(24, safe.length())) + "-"
                + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36);
    }

    /** Deletes every key under {@code prefix} ({@code prefix:*}) on every master. */
    public synchronized void deleteKeys(String prefix) {
        for (Node master : masters()) {
            onNode(master, c -> {
                io.lettuce.core.ScanCursor cursor = io.lettuce.core.ScanCursor.INITIAL;
                do {
                    io.lettuce.core.KeyScanCursor<String> page = c.scan(
                            cursor,
                            io.lettuce.core.ScanArgs.Builder.matches(prefix + ":*")
                                    .limit(1000));
                    // A node refuses a multi-key command across slots: one key at a time.
                    page.getKeys().forEach(c::unlink);
                    cursor = page;
                } while (!cursor.isFinished());
                return null;
            });
        }
    }

    /** Every node the cluster knows and does not consider failed, seen from a running node. */
    public synchronized List<Node> nodes() {
        PrivateRedis any = servers.stream()
                .filter(PrivateRedis::isRunning)
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("no node of the private cluster is running"));
        return parseNodes(onPort(any.port(), RedisCommands::clusterNodes), false);
    }

    /** The masters that serve slots, by their first slot. */
    public synchronized List<Node> masters() {
        return nodes().stream()
                .filter(n -> n.master() && !n.slots().isEmpty())
                .sorted(java.util.Comparator.comparingInt(n -> n.slots().get(0).first()))
                .toList();
    }

    public synchronized Node masterOfSlot(int slot) {
        return nodes().stream()
                .filter(n -> n.master() && n.serves(slot))
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("no master serves slot " + slot + ": " + describe()));
    }

    /** The master serving {@code key}'s slot (the slot of its {@code {hash tag}} when it has one). */
    public Node masterOfKey(String key) {
        return masterOfSlot(SlotHash.getSlot(key));
    }

    /** A running replica of {@code master}. */
    public synchronized Node replicaOf(Node master) {
        return nodes().stream()
                .filter(n -> !n.master()
                        && master.id().equals(n.masterId())
                        && server(n.port()).isRunning())
                .findFirst()
                .orElseThrow(() -> new IllegalStateException(
                        "master " + master.port() + " has no running replica: " + describe()));
    }

    /**
     * Stops {@code master} at once (SIGKILL, as a crash), waits until its replica is promoted and the cluster agrees,
     * and returns the new master. Restart the killed node with {@link #restart} or {@link #heal()}.
     */
    public synchronized Node killMaster(Node master) {
        return killMaster(master, Duration.ZERO, () -> {}, () -> {});
    }

    /**
     * {@link #killMaster(Node)} with the replica behind: the replica is frozen (SIGSTOP) and its replication link cut
     * for {@code replicaLag} before the master is SIGKILLed, and thawed right after, so the writes the master
     * acknowledged meanwhile never reach the replica that is promoted (as on a replica that lagged behind). {@code atFreeze} runs once the replica is frozen
     * (to hold something else back with it), {@code atKill} right after the SIGKILL, before the replica is thawed.
     */
    public synchronized Node killMaster(Node master, Duration replicaLag, Runnable atFreeze, Runnable atKill) {
        requireMaster(master);
        Node replica = replicaOf(master);
        boolean behind = replicaLag.isPositive();
        if (behind) {
            server(replica.port()).freeze();
            // Frozen alone, the replica would still get everything: what the master sends waits in its socket buffer.
            onNode(master, c -> c.clientKill(io.lettuce.core.KillArgs.Builder.typeSlave()));
        }
        try {
            atFreeze.run();
            LockSupport.parkNanos(replicaLag.toNanos());
            server(master.port()).stop();
            atKill.run();
        } finally {
            if (behind) {
                server(replica.port()).thaw();
            }
        }
        LOG.info(
                "killed master {} ({}); waiting for replica {} to take over",
                master.port(),
                master.id(),
                replica.port());
        awaitAgreement(
                "replica " + replica.port() + " takes over from killed master " + master.port(),
                () -> node(replica.id()).map(Node::master).orElse(false));
        return node(replica.id()).orElseThrow();
    }

    /**
     * A manual failover: {@code CLUSTER FAILOVER} on a replica of {@code master}, which takes over once it has every
     * write the master acknowledged (no data lost); returns the new master. The old one becomes its replica.
     */
    public synchronized Node failover(Node master) {
        requireMaster(master);
        Node replica = replicaOf(master);
        onNode(replica, c -> c.clusterFailover(false));
        awaitAgreement(
                "manual failover of " + master.port() + " to " + replica.port(),
                () -> node(replica.id()).map(Node::master).orElse(false));
        return node(replica.id()).orElseThrow();
    }

    /** Starts a killed (or stopped) node again; it rejoins, as a replica if it was failed over meanwhile. */
    public synchronized void restart(Node node) {
        PrivateRedis server = server(node.port());
        if (server.isRunning()) {
            throw new IllegalStateException("node " + node.port() + " is running; kill it first");
        }
        server.startAgain();
        awaitAgreement("node " + node.port() + " rejoins");
    }

    /** Starts every stopped node again and waits until the cluster agrees: for the end of a test that killed one. */
    public synchronized void heal() {
        servers.stream().filter(s -> !s.isRunning()).forEach(PrivateRedis::startAgain);
        awaitAgreement("the cluster heals");
    }

    /**
     * Moves {@code slot} (with its keys) to master {@code target} and waits until every node agrees. For a test that
     * writes while the slot moves, use {@link #beginSlotMigration} and its steps instead.
     */
    public synchronized void migrateSlot(int slot, Node target) {
        SlotMigration migration = beginSlotMigration(slot, target);
        migration.moveKeys();
        migration.finish();
    }

    /**
     * Starts moving {@code slot} to {@code target}: the target is IMPORTING it, its master MIGRATING. Until {@link
     * SlotMigration#finish()}, a key already moved is answered with {@code ASK} by the source, and a multi-key command
     * across moved and unmoved keys with {@code TRYAGAIN}.
     */
    public synchronized SlotMigration beginSlotMigration(int slot, Node target) {
        requireMaster(target);
        Node source = masterOfSlot(slot);
        if (source.id().equals(target.id())) {
            throw new IllegalArgumentException("slot " + slot + " is already served by " + target.port());
        }
        onNode(target, c -> c.clusterSetSlotImporting(slot, source.id()));
        onNode(source, c -> c.clusterSetSlotMigrating(slot, target.id()));
        LOG.info("slot {} migrating from {} to {}", slot, source.port(), target.port());
        return new SlotMigration(slot, source, target);
    }

    /** A slot on its way from one master to another; see {@link #beginSlotMigration}. */
    public final class SlotMigration {
        private final int slot;
        private final Node source;
        private final Node target;

        private SlotMigration(int slot, Node source, Node target) {
            this.slot = slot;
            this.source = source;
            this.target = target;
        }

        /** Moves every key the source still holds in the slot to the target ({@code MIGRATE}); returns how many. */
        public int moveKeys() {
            synchronized (PrivateRedisCluster.this) {
                int moved = 0;
                while (true) {
                    List<String> keys = onNode(source, c -> c.clusterGetKeysInSlot(slot, 100));
                    if (keys.isEmpty()) {
                        return moved;
                    }
                    onNode(source, c -> c.migrate("127.0.0.1", target.port(), 0, 5000, MigrateArgs.Builder.keys(keys)));
                    moved += keys.size();
                }
            }
        }

        /** Moves the keys left, assigns the slot to the target on every master, and waits until every node agrees. */
        public void finish() {
            synchronized (PrivateRedisCluster.this) {
                moveKeys();
                onNode(target, c -> c.clusterSetSlotNode(slot, target.id()));
                onNode(source, c -> c.clusterSetSlotNode(slot, target.id()));
                for (Node other : masters()) {
                    if (!other.id().equals(target.id()) && !other.id().equals(source.id())) {
                        onNode(other, c -> c.clusterSetSlotNode(slot, target.id()));
                    }
                }
                awaitAgreement(
                        "slot " + slot + " moves from " + source.port() + " to " + target.port(),
                        () -> masterOfSlot(slot).id().equals(target.id()));
            }
        }
    }

    /** Runs {@code command} on {@code node} alone, through a connection of its own. */
    public <T> T onNode(Node node, Function<RedisCommands<String, String>, T> command) {
        return onPort(node.port(), command);
    }

    /** The nodes, their roles and slots, for failure messages. */
    public synchronized String describe() {
        try {
            return nodes().stream()
                    .map(n -> n.port() + (n.master() ? " master " + n.slots() : " replica of " + n.masterId()))
                    .collect(Collectors.joining("; "));
        } catch (RuntimeException e) {
            return "(topology unavailable: " + e.getMessage() + ")";
        }
    }

    private <T> T onPort(int port, Function<RedisCommands<String, String>, T> command) {
        RedisURI uri = RedisURI.create("127.0.0.1", port);
        uri.setTimeout(Duration.ofSeconds(10));
        try (StatefulRedisConnection<String, String> c = admin.connect(uri)) {
            return command.apply(c.sync());
        }
    }

    private Optional<Node> node(String id) {
        return nodes().stream().filter(n -> n.id().equals(id)).findFirst();
    }

    private PrivateRedis server(int port) {
        return servers.stream()
                .filter(s -> s.port() == port)
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no node of the private cluster on port " + port));
    }

    private void requireMaster(Node node) {
        if (!node(node.id()).map(Node::master).orElse(false)) {
            throw new IllegalArgumentException("node " + node.port() + " is not a master now: " + describe());
        }
    }

    private void awaitAgreement(String what) {
        awaitAgreement(what, () -> true);
    }

    /** Waits until {@code condition} holds and every running node sees the same healthy cluster. */
    private void awaitAgreement(String what, BooleanSupplier condition) {
        Settling.await(LOG, "private Redis Cluster", what, SETTLE_SECONDS, this::disagreement, condition);
    }

    /** Why the running nodes do not agree yet, or "" when they do. */
    private String disagreement() {
        List<PrivateRedis> running =
                servers.stream().filter(PrivateRedis::isRunning).toList();
        List<String> runningIds = new ArrayList<>();
        String reference = null;
        for (PrivateRedis s : running) {
            String info = onPort(s.port(), RedisCommands::clusterInfo);
            if (!info.contains("cluster_state:ok")) {
                return "node " + s.port() + " reports " + firstLine(info, "cluster_state");
            }
            List<Node> view = parseNodes(onPort(s.port(), RedisCommands::clusterNodes), false);
            String signature = view.stream()
                    .map(n -> n.id() + (n.master() ? " master " + n.slots() : " replica-of " + n.masterId()))
                    .sorted()
                    .collect(Collectors.joining("\n"));
            if (reference == null) {
                reference = signature;
            } else if (!reference.equals(signature)) {
                return "node " + s.port() + " sees another topology";
            }
            runningIds.add(onPort(s.port(), RedisCommands::clusterMyId));
            String replication = onPort(s.port(), c -> c.info("replication"));
            if (replication.contains("role:slave") && !replication.contains("master_link_status:up")) {
                return "replica " + s.port() + " is not in sync with its master yet";
            }
        }
        String seen = reference == null ? "" : reference;
        List<String> seenIds = seen.lines().map(l -> l.split(" ")[0]).sorted().toList();
        List<String> expected = runningIds.stream().sorted().toList();
        if (!seenIds.equals(expected)) {
            return "the nodes seen healthy " + seenIds + " are not the running ones " + expected;
        }
        long mastersWithSlots =
                seen.lines().filter(l -> l.contains(" master [S")).count();
        if (mastersWithSlots < MASTERS) {
            return "only " + mastersWithSlots + " masters serve slots";
        }
        if (seen.lines().anyMatch(l -> l.endsWith(" master []"))) {
            // A restarted old master is told it was replaced and turns replica: wait for that.
            return "a master serves no slots yet";
        }
        return "";
    }

    private static String firstLine(String info, String field) {
        return info.lines().filter(l -> l.startsWith(field)).findFirst().orElse(field + " missing");
    }

    /** Parses CLUSTER NODES; leaves out nodes flagged failed (or suspected) and those still in handshake. */
    static List<Node> parseNodes(String clusterNodes, boolean includeFailed) {
        List<Node> nodes = new ArrayList<>();
        for (String line : clusterNodes.split("\n")) {
            String[] f = line.strip().split(" ");
            if (f.length < 8) {
                continue;
            }
            List<String> flags = List.of(f[2].split(","));
            if (!includeFailed
                    && (flags.contains("fail")
                            || flags.contains("fail?")
                            || flags.contains("handshake")
                            || flags.contains("noaddr"))) {
                continue;
            }
            String address = f[1];
            int port = Integer.parseInt(
                    address.substring(address.lastIndexOf(':', address.indexOf('@')) + 1, address.indexOf('@')));
            List<SlotRange> slots = new ArrayList<>();
            for (int i = 8; i < f.length; i++) {
                if (f[i].startsWith("[")) {
                    continue; // a slot being imported or migrated: still served by its owner
                }
                String[] range = f[i].split("-");
                int first = Integer.parseInt(range[0]);
                slots.add(new SlotRange(first, range.length > 1 ? Integer.parseInt(range[1]) : first));
            }
            slots.sort(java.util.Comparator.comparingInt(SlotRange::first));
            boolean master = flags.contains("master");
            nodes.add(new Node(f[0], port, master, master ? null : f[3], slots));
        }
        return nodes;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Stops every node and deletes their files; for a {@link #startPrivate()} cluster (the shared one stops itself). */
    @Override
    public synchronized void close() {
        if (this == shared && !Thread.currentThread().getName().equals(SHUTDOWN_THREAD)) {
            throw new IllegalStateException("the shared cluster stops when the JVM exits; close only a private one");
        }
        admin.shutdown();
        servers.forEach(PrivateRedis::close);
    }
}
