package io.cistern.connections;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cistern.connections.testing.PrivateRedis;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The Sentinel and Cluster forms of REDIS_URL against real servers: a Sentinel that monitors a private Redis, and a
 * three-node Redis Cluster built by the test. Private servers on random ports only.
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
    void clusterUrl_writesAcrossTheSlotsOfEveryNode() throws Exception {
        List<PrivateRedis> nodes = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                nodes.add(PrivateRedis.start(
                        "--cluster-enabled",
                        "yes",
                        "--cluster-config-file",
                        "nodes.conf",
                        "--cluster-node-timeout",
                        "2000"));
            }
            List<String> create = new ArrayList<>(List.of("redis-cli", "--cluster", "create"));
            nodes.forEach(n -> create.add("127.0.0.1:" + n.port()));
            create.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
            Process p = new ProcessBuilder(create).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes());
            assertThat(p.waitFor()).as(output).isZero();
            RedisClient probe = RedisClient.create(nodes.get(0).url());
            try (StatefulRedisConnection<String, String> c = probe.connect()) {
                await().atMost(Duration.ofSeconds(20))
                        .until(() -> c.sync().clusterInfo().contains("cluster_state:ok"));
            } finally {
                probe.shutdown();
            }
            String url = "redis-cluster://127.0.0.1:" + nodes.get(0).port() + ",127.0.0.1:"
                    + nodes.get(1).port();
            RedisSettings settings = RedisSettings.fromEnvironment(Map.of("REDIS_URL", url));
            assertThat(settings.topology()).isEqualTo(RedisSettings.Topology.CLUSTER);

            RedisClusterClient client = RedisClients.createCluster(settings);
            try (StatefulRedisClusterConnection<String, String> c = client.connect()) {
                for (int partition = 0; partition < 16; partition++) {
                    c.sync().set("cistern:{" + partition + "}:probe", Integer.toString(partition));
                }
                for (int partition = 0; partition < 16; partition++) {
                    assertThat(c.sync().get("cistern:{" + partition + "}:probe"))
                            .isEqualTo(Integer.toString(partition));
                }
                assertThat(c.getPartitions().size())
                        .as("the client sees every node")
                        .isEqualTo(3);
            } finally {
                client.shutdown();
            }
        } finally {
            nodes.forEach(PrivateRedis::close);
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
