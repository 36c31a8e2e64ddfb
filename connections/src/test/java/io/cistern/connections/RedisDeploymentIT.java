package io.cistern.connections;

import static org.assertj.core.api.Assertions.assertThat;

import io.cistern.connections.testing.PrivateRedisCluster;
import io.cistern.connections.testing.TestServers;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScriptOutputType;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link RedisDeployment} on a single server (the shared test Redis) and on a Redis Cluster (the private one). */
class RedisDeploymentIT {
    private static final int PARTITIONS = 16;

    private static RedisDeployment open(String topology) {
        String url = topology.equals("cluster") ? PrivateRedisCluster.shared().url() : TestServers.redisUrl();
        return RedisDeployment.open(RedisSettings.of(url));
    }

    private static String key(String prefix, int partition) {
        return prefix + ":{" + partition + "}:probe";
    }

    @ParameterizedTest
    @ValueSource(strings = {"single", "cluster"})
    void keyedCommands_landOnTheMasterServingTheirSlot(String topology) {
        String prefix = PrivateRedisCluster.newPrefix("deployment");
        try (RedisDeployment redis = open(topology)) {
            for (int p = 0; p < PARTITIONS; p++) {
                redis.sync().hset(key(prefix, p), "partition", Integer.toString(p));
            }

            for (int p = 0; p < PARTITIONS; p++) {
                RedisDeployment.Master master = redis.masterFor(key(prefix, p));
                assertThat(master.sync().hget(key(prefix, p), "partition"))
                        .as("partition %d on its master %s", p, master)
                        .isEqualTo(Integer.toString(p));
            }
            assertThat(redis.isCluster()).isEqualTo(topology.equals("cluster"));
            assertThat(redis.masters()).hasSize(topology.equals("cluster") ? 3 : 1);
        } finally {
            deleteKeys(topology, prefix);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"single", "cluster"})
    void scan_findsTheKeysOfEveryMaster(String topology) {
        String prefix = PrivateRedisCluster.newPrefix("deployment");
        try (RedisDeployment redis = open(topology)) {
            IntStream.range(0, PARTITIONS).forEach(p -> redis.sync().set(key(prefix, p), "x"));

            List<String> found = new ArrayList<>();
            redis.scan(ScanArgs.Builder.matches(prefix + ":*").limit(100), found::addAll);

            assertThat(found)
                    .containsExactlyInAnyOrderElementsOf(IntStream.range(0, PARTITIONS)
                            .mapToObj(p -> key(prefix, p))
                            .toList());
        } finally {
            deleteKeys(topology, prefix);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"single", "cluster"})
    void onEveryMaster_reachesEachMasterOnce(String topology) {
        try (RedisDeployment redis = open(topology)) {
            Map<String, String> runIds = redis.onEveryMaster(c -> c.info("server")
                    .lines()
                    .filter(l -> l.startsWith("run_id:"))
                    .findFirst()
                    .orElseThrow());

            Set<String> distinct = new HashSet<>(runIds.values());
            assertThat(distinct).hasSize(topology.equals("cluster") ? 3 : 1);
            assertThat(runIds.keySet())
                    .containsExactlyElementsOf(redis.masters().stream()
                            .map(RedisDeployment.Master::address)
                            .toList());
        }
    }

    @Test
    void functionLoadedOnEveryMaster_isCalledThroughTheSlotRouting() {
        PrivateRedisCluster cluster = PrivateRedisCluster.shared();
        String prefix = PrivateRedisCluster.newPrefix("deployment");
        String library = "#!lua name=cistern_deployment_it\n"
                + "redis.register_function('cistern_deployment_it_set', function(keys, args)\n"
                + "  redis.call('SET', keys[1], args[1]) return redis.call('GET', keys[1]) end)";
        try (RedisDeployment redis = open("cluster")) {
            redis.refreshTopology();
            redis.onEveryMaster(c -> c.functionLoad(library, true));

            for (int p = 0; p < PARTITIONS; p++) {
                String reply = redis.sync()
                        .fcall(
                                "cistern_deployment_it_set",
                                ScriptOutputType.VALUE,
                                new String[] {key(prefix, p)},
                                "v" + p);
                assertThat(reply).isEqualTo("v" + p);
            }
            assertThat(redis.onEveryMaster(c -> c.functionList("cistern_deployment_it"))
                            .values())
                    .allSatisfy(list -> assertThat(list).hasSize(1));
        } finally {
            cluster.deleteKeys(prefix);
            cluster.masters()
                    .forEach(m -> cluster.onNode(
                            m,
                            c -> c.dispatch(
                                    io.lettuce.core.protocol.CommandType.FUNCTION,
                                    new io.lettuce.core.output.StatusOutput<>(io.lettuce.core.codec.StringCodec.UTF8),
                                    new io.lettuce.core.protocol.CommandArgs<>(io.lettuce.core.codec.StringCodec.UTF8)
                                            .add("DELETE")
                                            .add("cistern_deployment_it"))));
        }
    }

    @Test
    void masterFor_followsAFailover() {
        PrivateRedisCluster cluster = PrivateRedisCluster.shared();
        String prefix = PrivateRedisCluster.newPrefix("deployment");
        try (RedisDeployment redis = open("cluster")) {
            redis.sync().set(key(prefix, 3), "before");
            PrivateRedisCluster.Node old = cluster.masterOfKey(key(prefix, 3));

            PrivateRedisCluster.Node promoted = cluster.failover(old);
            redis.refreshTopology();

            RedisDeployment.Master master = redis.masterFor(key(prefix, 3));
            assertThat(master.address()).isEqualTo("127.0.0.1:" + promoted.port());
            assertThat(master.sync().get(key(prefix, 3))).isEqualTo("before");
            redis.sync().set(key(prefix, 3), "after");
            assertThat(master.sync().get(key(prefix, 3))).isEqualTo("after");
        } finally {
            cluster.deleteKeys(prefix);
        }
    }

    private static void deleteKeys(String topology, String prefix) {
        if (topology.equals("cluster")) {
            PrivateRedisCluster.shared().deleteKeys(prefix);
        } else {
            try (RedisDeployment redis = open(topology)) {
                redis.scan(
                        ScanArgs.Builder.matches(prefix + ":*"),
                        keys -> redis.sync().unlink(keys.toArray(String[]::new)));
            }
        }
    }
}
