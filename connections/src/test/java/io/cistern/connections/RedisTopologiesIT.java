package io.cistern.connections;

import static org.assertj.core.api.Assertions.assertThat;

import io.cistern.connections.testing.PrivateRedis;
import io.cistern.connections.testing.PrivateRedisCluster;
import io.cistern.connections.testing.PrivateRedisWithReplica;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The Sentinel and Cluster forms of REDIS_URL against real servers: a Sentinel that monitors a private Redis and its
 * replica ({@link PrivateRedisWithReplica}), and a
 * Redis Cluster ({@link PrivateRedisCluster}). Private servers on random ports only.
 */
class RedisTopologiesIT {

    @Test
    void sentinelUrl_connectsToTheMasterTheSentinelNames() {
        try (PrivateRedisWithReplica servers = PrivateRedisWithReplica.start("cistern-master")) {
            PrivateRedis master = servers.master();
            RedisSettings settings = RedisSettings.fromEnvironment(Map.of("REDIS_URL", servers.sentinelUrl()));
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
}
