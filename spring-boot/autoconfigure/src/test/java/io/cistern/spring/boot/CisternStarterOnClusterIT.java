package io.cistern.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.cistern.connections.RedisDeployment;
import io.cistern.connections.RedisSettings;
import io.cistern.connections.testing.PrivateRedisCluster;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.wire.MetaFields;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Bean;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The starter in an application whose Redis is a Redis Cluster ({@code spring.data.redis.cluster.nodes}, the JVM's
 * private cluster of 3 masters): the description of the application's Redis is a cluster's, and the Redis and backlog
 * health indicators read the partitions wherever their slots live. The writer, reader and embedded worker beans are
 * off here: {@link CisternBeansOnClusterIT} runs them on the cluster.
 */
@SpringBootTest(classes = CisternStarterOnClusterIT.App.class)
@DirtiesContext
class CisternStarterOnClusterIT {
    private static final String PREFIX = PrivateRedisCluster.newPrefix("CisternStarterOnClusterIT");
    private static final KeyLayout LAYOUT = new KeyLayout(PREFIX);
    private static final int PARTITIONS = 8;

    @DynamicPropertySource
    static void servers(DynamicPropertyRegistry properties) {
        properties.add(
                "spring.data.redis.cluster.nodes",
                () -> PrivateRedisCluster.shared().masters().stream()
                        .map(n -> "127.0.0.1:" + n.port())
                        .collect(Collectors.joining(",")));
        properties.add("cistern.key-prefix", () -> PREFIX);
        properties.add("cistern.writer.enabled", () -> "false");
        properties.add("cistern.reader.enabled", () -> "false");
        properties.add("cistern.sync.embedded.enabled", () -> "false");
        properties.add("management.health.db.enabled", () -> "false");
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration(excludeName = "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration")
    static class App {
        @Bean(destroyMethod = "close")
        AutoCloseable testKeysCleanup() {
            return () -> PrivateRedisCluster.shared().deleteKeys(PREFIX);
        }
    }

    @Autowired
    RedisConnectionFactory redis;

    @Autowired
    @Qualifier("cisternRedisHealthIndicator")
    HealthIndicator redisHealth;

    @Autowired
    @Qualifier("cisternBacklogHealthIndicator")
    HealthIndicator backlogHealth;

    @Test
    void healthIndicators_readThePartitionsOnEveryMaster_andTheDescriptionIsACluster() {
        Health before = redisHealth.health();
        Health backlogBefore = backlogHealth.health();
        // given Cistern's keys as init leaves them, partitions spread over the masters, one with a backlog
        try (RedisDeployment cluster = RedisDeployment.open(
                RedisSettings.of(PrivateRedisCluster.shared().url()))) {
            cluster.sync().hset(LAYOUT.registry(), "gadgets", "{}");
            for (int p = 0; p < PARTITIONS; p++) {
                cluster.sync().hset(LAYOUT.meta(p), Map.of(MetaFields.PARTITIONS, Integer.toString(PARTITIONS)));
            }
            cluster.sync().xadd(LAYOUT.stream(5), Map.of("i", "1"));
            assertThat(cluster.masters()).hasSize(3);
        }

        Health after = redisHealth.health();
        Health backlog = backlogHealth.health();

        assertThat(SpringRedis.describe(redis).topology()).isEqualTo(RedisSettings.Topology.CLUSTER);
        assertThat(SpringRedis.describe(redis).clusterNodes()).hasSize(3);
        assertThat(before.getStatus()).as("not initialised yet").isEqualTo(Status.DOWN);
        assertThat(backlogBefore.getStatus()).isEqualTo(Status.DOWN);
        assertThat(backlogBefore.getDetails().get("reason").toString()).contains("not initialised");
        assertThat(after.getStatus()).as(after.toString()).isEqualTo(Status.UP);
        assertThat(backlog.getStatus()).as(backlog.toString()).isNotEqualTo(Status.DOWN);
        assertThat(backlog.getDetails())
                .containsEntry("partitions", PARTITIONS)
                .containsEntry("bufferedEntries", 1L)
                .containsEntry("oldestUnappliedPartition", 5);
    }
}
