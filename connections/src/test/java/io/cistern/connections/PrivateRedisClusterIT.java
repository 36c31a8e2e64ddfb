package io.cistern.connections;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cistern.connections.testing.PrivateRedisCluster;
import io.lettuce.core.cluster.SlotHash;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The cluster fixture's topology changes do what tests rely on, and a cluster client follows them. */
class PrivateRedisClusterIT {
    private final PrivateRedisCluster cluster = PrivateRedisCluster.shared();

    @Test
    void killMaster_promotesItsReplica_whichHasTheReplicatedWrites_andTheKilledNodeRejoins() {
        String prefix = PrivateRedisCluster.newPrefix("fixture");
        String key = prefix + ":{5}:probe";
        try (RedisDeployment redis = RedisDeployment.open(RedisSettings.of(cluster.url()))) {
            redis.sync().set(key, "kept");
            PrivateRedisCluster.Node master = cluster.masterOfKey(key);
            assertThat(cluster.<Object>onNode(master, c -> c.waitForReplication(1, 5000)))
                    .isEqualTo(1L);

            PrivateRedisCluster.Node promoted = cluster.killMaster(master);

            assertThat(promoted.port()).isNotEqualTo(master.port());
            assertThat(cluster.masterOfKey(key).port()).isEqualTo(promoted.port());
            assertThat(cluster.<Object>onNode(promoted, c -> c.get(key))).isEqualTo("kept");
            // The client learns of the promotion on its own (adaptive and periodic topology refresh).
            long began = System.nanoTime();
            await().atMost(Duration.ofSeconds(15))
                    .ignoreExceptions()
                    .until(() -> "kept".equals(redis.sync().get(key)));
            LoggerFactory.getLogger(PrivateRedisClusterIT.class)
                    .info(
                            "the client reached the promoted master {} ms after the promotion",
                            (System.nanoTime() - began) / 1_000_000);

            cluster.restart(master);
            assertThat(cluster.nodes()).hasSize(6);
            assertThat(cluster.masters())
                    .hasSize(3)
                    .extracting(PrivateRedisCluster.Node::port)
                    .doesNotContain(master.port());
        } finally {
            cluster.heal();
            cluster.deleteKeys(prefix);
        }
    }

    @Test
    void migrateSlot_movesItsKeys_andTheClientFollowsTheSlot() {
        String prefix = PrivateRedisCluster.newPrefix("fixture");
        String key = prefix + ":{7}:probe";
        int slot = SlotHash.getSlot(key);
        try (RedisDeployment redis = RedisDeployment.open(RedisSettings.of(cluster.url()))) {
            redis.sync().set(key, "moving");
            PrivateRedisCluster.Node source = cluster.masterOfSlot(slot);
            PrivateRedisCluster.Node target = cluster.masters().stream()
                    .filter(m -> m.port() != source.port())
                    .findFirst()
                    .orElseThrow();

            cluster.migrateSlot(slot, target);

            assertThat(cluster.masterOfSlot(slot).port()).isEqualTo(target.port());
            assertThat(cluster.<Object>onNode(target, c -> c.get(key))).isEqualTo("moving");
            assertThat(cluster.<Object>onNode(source, c -> c.clusterCountKeysInSlot(slot)))
                    .isEqualTo(0L);
            assertThat(redis.sync().get(key)).as("MOVED followed").isEqualTo("moving");
            redis.sync().set(key, "moved");
            assertThat(cluster.<Object>onNode(target, c -> c.get(key))).isEqualTo("moved");
        } finally {
            cluster.deleteKeys(prefix);
        }
    }
}
