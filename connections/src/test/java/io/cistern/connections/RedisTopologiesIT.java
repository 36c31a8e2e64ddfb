package io.cistern.connections;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cistern.connections.testing.PrivateRedis;
import io.cistern.connections.testing.PrivateRedisCluster;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The Sentinel and Cluster forms of REDIS_URL against real servers: a Sentinel that monitors a private Redis, and a
 * Redis Cluster ({@link PrivateRedisCluster}). Private servers on random ports only.
 */
class RedisTopologiesIT {

    @Test
    void sentinelUrl_connectsToTheMasterTheSentinelNames() throws Exception {
        try (PrivateRedis master = PrivateRedis.start();
                Sentinel sentinel = Sentinel.monitoring("cistern-master", master.port())) {
            RedisSettings settings = RedisSettings.fromEnvironment(
                    Map.of("REDIS_URL", "redis-sentinel://127.0.0.1:" + sentinel.port + "#cistern-master"));
            assertThat(settings.topology()).isEqualTo(RedisSettings.Topology.SENTINEL);

            RedisClient client = RedisClients.create(settings);
            try (StatefulRedisConnection<String, String> c = client.connect()) {
                c.sync().set("sentinel-probe", "through the sentinel");
            } finally {
                client.shutdown();
            }

            RedisClient direct = RedisClient.create(master.url());
            try (StatefulRedisConnection<String, String> c = direct.connect()) {
                assertThat(c.sync().get("sentinel-probe")).isEqualTo("through the sentinel");
            } finally {
                direct.shutdown();
            }
        }
    }

    @Test
    void clusterUrl_writesAcrossTheSlotsOfEveryNode() {
        PrivateRedisCluster cluster = PrivateRedisCluster.shared();
        String prefix = PrivateRedisCluster.newPrefix("topologies");
        RedisSettings settings = RedisSettings.fromEnvironment(Map.of("REDIS_URL", cluster.url()));
        assertThat(settings.topology()).isEqualTo(RedisSettings.Topology.CLUSTER);

        RedisClusterClient client = RedisClients.createCluster(settings);
        try (StatefulRedisClusterConnection<String, String> c = client.connect()) {
            for (int partition = 0; partition < 16; partition++) {
                c.sync().set(prefix + ":{" + partition + "}:probe", Integer.toString(partition));
            }
            for (int partition = 0; partition < 16; partition++) {
                assertThat(c.sync().get(prefix + ":{" + partition + "}:probe")).isEqualTo(Integer.toString(partition));
            }
            assertThat(c.getPartitions().stream()
                            .filter(n -> n.is(RedisClusterNode.NodeFlag.UPSTREAM))
                            .count())
                    .as("the client sees every master")
                    .isEqualTo(3);
        } finally {
            client.shutdown();
            cluster.deleteKeys(prefix);
        }
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

        static Sentinel monitoring(String name, int masterPort) throws IOException {
            Path dir = Files.createTempDirectory("cistern-sentinel");
            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            Path conf = dir.resolve("sentinel.conf");
            Files.writeString(
                    conf,
                    "port " + port + "\nbind 127.0.0.1\ndir " + dir + "\nsentinel monitor " + name + " 127.0.0.1 "
                            + masterPort + " 1\nsentinel down-after-milliseconds " + name + " 5000\n");
            Process process = new ProcessBuilder("redis-server", conf.toString(), "--sentinel")
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("sentinel.log").toFile())
                    .start();
            RedisClient client = RedisClient.create("redis://127.0.0.1:" + port);
            try {
                await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> {
                    try (StatefulRedisConnection<String, String> c = client.connect()) {
                        return c.sync().ping().equals("PONG");
                    }
                });
            } finally {
                client.shutdown();
            }
            return new Sentinel(port, process, dir);
        }

        @Override
        public void close() throws IOException {
            process.destroyForcibly();
            try (var paths = Files.walk(dir)) {
                paths.sorted(java.util.Comparator.reverseOrder())
                        .forEach(f -> f.toFile().delete());
            }
        }
    }
}
