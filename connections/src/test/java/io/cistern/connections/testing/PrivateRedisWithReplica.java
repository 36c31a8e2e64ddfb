package io.cistern.connections.testing;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A private Redis master with one replica ({@code --replicaof}) and one Sentinel monitoring them (quorum 1, {@code
 * down-after-milliseconds} {@value #DOWN_AFTER_MS}), on random 127.0.0.1 ports: what a test of a Sentinel-managed
 * failover needs. Components connect with {@link #sentinelUrl()}. Never the shared server.
 *
 * <p>{@link #killMaster()} SIGKILLs the current master and returns once the Sentinel has promoted the replica and names
 * it; {@link #restartAsReplica} starts the killed node again as a replica of the new master. Methods that change the
 * topology return only once the Sentinel and both servers agree on it, or throw after {@value #SETTLE_SECONDS} s.
 */
public final class PrivateRedisWithReplica implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PrivateRedisWithReplica.class);
    /** The Sentinel's {@code down-after-milliseconds}: how long a master is unreachable before it counts as down. */
    public static final int DOWN_AFTER_MS = 1000;

    private static final int SETTLE_SECONDS = 30;

    private final String name;
    private final List<PrivateRedis> servers;
    private final Sentinel sentinel;
    private final RedisClient admin = RedisClient.create();

    private PrivateRedisWithReplica(String name, List<PrivateRedis> servers, Sentinel sentinel) {
        this.name = name;
        this.servers = servers;
        this.sentinel = sentinel;
    }

    /** Starts a master, its replica and a Sentinel monitoring them under {@code name}; returns once all three agree. */
    public static PrivateRedisWithReplica start(String name) {
        PrivateRedis master = PrivateRedis.start();
        PrivateRedis replica = null;
        Sentinel sentinel = null;
        try {
            replica = PrivateRedis.start("--replicaof", "127.0.0.1", Integer.toString(master.port()));
            sentinel = Sentinel.monitoring(name, master.port());
            PrivateRedisWithReplica pair = new PrivateRedisWithReplica(name, List.of(master, replica), sentinel);
            pair.awaitAgreement(
                    "master " + master.port() + " with replica " + replica.port(),
                    () -> pair.onPort(pair.sentinel.port, c -> c.info("sentinel"))
                            .contains(",slaves=1,"));
            return pair;
        } catch (RuntimeException e) {
            master.close();
            if (replica != null) {
                replica.close();
            }
            if (sentinel != null) {
                sentinel.close();
            }
            throw e;
        }
    }

    /** {@code redis-sentinel://127.0.0.1:<sentinel port>#<name>}, for {@code REDIS_URL}. */
    public String sentinelUrl() {
        return "redis-sentinel://127.0.0.1:" + sentinel.port + "#" + name;
    }

    public int sentinelPort() {
        return sentinel.port;
    }

    /** The server the Sentinel names as master now. */
    public synchronized PrivateRedis master() {
        int port = sentinelMasterPort();
        return server(port);
    }

    /** The server that is not {@link #master()}. */
    public synchronized PrivateRedis replica() {
        PrivateRedis master = master();
        return servers.stream().filter(s -> s != master).findFirst().orElseThrow();
    }

    /**
     * SIGKILLs the master and waits until the Sentinel promoted the replica (about {@value #DOWN_AFTER_MS} ms plus the
     * failover); returns the killed server, for {@link #restartAsReplica}.
     */
    public synchronized PrivateRedis killMaster() {
        return killMaster(Duration.ZERO, () -> {}, () -> {});
    }

    /**
     * {@link #killMaster()} with the replica behind: frozen (SIGSTOP) and its replication link cut for {@code
     * replicaLag} before the kill, and thawed right after, so what the master acknowledged meanwhile never reaches the replica that is promoted. {@code
     * atFreeze} runs once the replica is frozen, {@code atKill} right after the SIGKILL, before the replica is thawed.
     */
    public synchronized PrivateRedis killMaster(Duration replicaLag, Runnable atFreeze, Runnable atKill) {
        PrivateRedis old = master();
        PrivateRedis next = replica();
        boolean behind = replicaLag.isPositive();
        if (behind) {
            next.freeze();
            // Frozen alone, the replica would still get everything: what the master sends waits in its socket buffer.
            onPort(old.port(), c -> c.clientKill(io.lettuce.core.KillArgs.Builder.typeSlave()));
        }
        try {
            atFreeze.run();
            LockSupport.parkNanos(replicaLag.toNanos());
            old.stop();
            atKill.run();
        } finally {
            if (behind) {
                next.thaw();
            }
        }
        LOG.info("killed master {}; waiting for the Sentinel to promote {}", old.port(), next.port());
        awaitAgreement("Sentinel promotes " + next.port(), () -> sentinelMasterPort() == next.port());
        return old;
    }

    /** Starts a killed server again and makes it a replica of the current master; returns once it is in sync. */
    public synchronized void restartAsReplica(PrivateRedis killed) {
        PrivateRedis master = master();
        if (killed == master) {
            throw new IllegalArgumentException("server " + killed.port() + " is the master");
        }
        killed.startAgain();
        onPort(killed.port(), c -> c.replicaof("127.0.0.1", master.port()));
        awaitAgreement(killed.port() + " rejoins as a replica of " + master.port(), () -> true);
    }

    /** Runs {@code command} on the server on {@code port} alone. */
    public <T> T onPort(int port, Function<RedisCommands<String, String>, T> command) {
        RedisURI uri = RedisURI.create("127.0.0.1", port);
        uri.setTimeout(Duration.ofSeconds(10));
        try (StatefulRedisConnection<String, String> c = admin.connect(uri)) {
            return command.apply(c.sync());
        }
    }

    private int sentinelMasterPort() {
        List<String> address = onPort(
                sentinel.port,
                c -> c.dispatch(
                        io.lettuce.core.protocol.CommandType.SENTINEL,
                        new io.lettuce.core.output.ValueListOutput<>(io.lettuce.core.codec.StringCodec.UTF8),
                        new io.lettuce.core.protocol.CommandArgs<>(io.lettuce.core.codec.StringCodec.UTF8)
                                .add("get-master-addr-by-name")
                                .add(name)));
        return Integer.parseInt(address.get(1));
    }

    private PrivateRedis server(int port) {
        return servers.stream()
                .filter(s -> s.port() == port)
                .findFirst()
                .orElseThrow(
                        () -> new IllegalStateException("the Sentinel names port " + port + ", not a server here"));
    }

    /** Waits until {@code condition} holds, the named master is a master and the other server's link to it is up. */
    private void awaitAgreement(String what, BooleanSupplier condition) {
        Settling.await(LOG, "private Redis with replica", what, SETTLE_SECONDS, this::disagreement, condition);
    }

    private String disagreement() {
        PrivateRedis master = master();
        if (!master.isRunning()) {
            return "the Sentinel still names the stopped server " + master.port();
        }
        if (!onPort(master.port(), c -> c.info("replication")).contains("role:master")) {
            return "server " + master.port() + " is not a master yet";
        }
        for (PrivateRedis s : servers) {
            if (s != master && s.isRunning()) {
                String replication = onPort(s.port(), c -> c.info("replication"));
                if (!replication.contains("master_port:" + master.port())
                        || !replication.contains("master_link_status:up")) {
                    return "server " + s.port() + " is not in sync with master " + master.port() + " yet";
                }
            }
        }
        return "";
    }

    @Override
    public void close() {
        admin.shutdown();
        sentinel.close();
        servers.forEach(PrivateRedis::close);
    }

    /** A redis-server in Sentinel mode monitoring one master, on a random port. */
    private static final class Sentinel implements AutoCloseable {
        final int port;
        final Process process;
        final Path dir;

        private Sentinel(int port, Process process, Path dir) {
            this.port = port;
            this.process = process;
            this.dir = dir;
        }

        static Sentinel monitoring(String name, int masterPort) {
            try {
                Path dir = Files.createTempDirectory("cistern-sentinel");
                int port;
                try (ServerSocket s = new ServerSocket(0)) {
                    port = s.getLocalPort();
                }
                Path conf = dir.resolve("sentinel.conf");
                Files.writeString(
                        conf,
                        String.join(
                                "\n",
                                "port " + port,
                                "bind 127.0.0.1",
                                "dir " + dir,
                                "sentinel monitor " + name + " 127.0.0.1 " + masterPort + " 1",
                                "sentinel down-after-milliseconds " + name + " " + DOWN_AFTER_MS,
                                "sentinel failover-timeout " + name + " 3000",
                                "sentinel parallel-syncs " + name + " 1",
                                ""));
                Process process = new ProcessBuilder("redis-server", conf.toString(), "--sentinel")
                        .redirectErrorStream(true)
                        .redirectOutput(dir.resolve("sentinel.log").toFile())
                        .start();
                Sentinel sentinel = new Sentinel(port, process, dir);
                Instant deadline = Instant.now().plusSeconds(20);
                while (true) {
                    try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
                        return sentinel;
                    } catch (IOException notYet) {
                        if (!process.isAlive() || Instant.now().isAfter(deadline)) {
                            sentinel.close();
                            throw new IllegalStateException(
                                    "redis-server --sentinel did not start; see " + dir.resolve("sentinel.log"));
                        }
                        LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
                    }
                }
            } catch (IOException e) {
                throw new IllegalStateException("cannot start a Sentinel: " + e.getMessage(), e);
            }
        }

        @Override
        public void close() {
            process.destroyForcibly();
            try {
                process.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            try (var paths = Files.walk(dir)) {
                paths.sorted(java.util.Comparator.reverseOrder())
                        .forEach(f -> f.toFile().delete());
            } catch (IOException e) {
                // Best effort: a leftover temporary directory is not worth failing a test for.
            }
        }
    }
}
