package io.cistern.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.cistern.connections.RedisDeployment;
import io.cistern.connections.RedisSettings;
import io.cistern.connections.testing.PrivateRedisCluster;
import io.cistern.connections.testing.TestDatabase;
import io.cistern.connections.testing.TestRedis;
import io.cistern.ops.status.PartitionGauges;
import io.cistern.ops.status.PipelineStatus;
import io.cistern.ops.status.StatusMonitor;
import io.cistern.schema.codec.ExactJson;
import io.cistern.schema.function.FunctionLibrary;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.wire.MetaFields;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The operator commands that read or change each partition's keys ({@code lag}, {@code partitions}, {@code leases},
 * {@code pause}, {@code resume}, {@code drain}), the partition metrics and {@code doctor}'s Redis checks, on the
 * topology this JVM runs against ({@link TestRedis}): a single Redis, and, in the {@code on-redis-cluster}
 * execution, a Redis Cluster of 3 masters, where each partition is read on the master serving its slot and named with
 * it. The pipeline's state is written by hand (no init, writer or worker), so that only the commands are under test.
 */
class OperatorStatusCommandsIT {
    private static final int PARTITIONS = 16;
    private TestRedis redis;
    private TestDatabase database;
    private KeyLayout layout;

    @BeforeEach
    void setUp() {
        redis = TestRedis.create("OperatorStatusCommandsIT");
        database = TestDatabase.create("OperatorStatusCommandsIT");
        layout = new KeyLayout(redis.prefix());
        RedisClusterCommands<String, String> r = redis.keyed();
        r.hset(layout.config(), "partitions", Integer.toString(PARTITIONS));
        // each partition: two entries, the first applied, so a backlog of one
        for (int p = 0; p < PARTITIONS; p++) {
            String first = r.xadd(layout.stream(p), Map.of("i", "1"));
            r.xadd(layout.stream(p), Map.of("i", "2"));
            r.hset(layout.meta(p), MetaFields.APPLIED, first);
        }
        r.set(layout.lease(3), "worker-a");
        r.pexpire(layout.lease(3), 60_000);
    }

    @AfterEach
    void tearDown() {
        redis.close();
        database.close();
    }

    @Test
    void lagPartitionsAndLeases_readEveryPartition_andNameItsMasterOnACluster() {
        StringWriter lagJson = new StringWriter();
        StringWriter lagText = new StringWriter();
        StringWriter partitions = new StringWriter();
        StringWriter leases = new StringWriter();

        assertThat(cli(lagJson, "lag", "--json", "--rate-window", "0s")).isZero();
        assertThat(cli(lagText, "lag", "--rate-window", "0s")).isZero();
        assertThat(cli(partitions, "partitions", "--json")).isZero();
        assertThat(cli(leases, "leases", "--json")).isZero();

        JsonNode lag = ExactJson.mapper().readTree(lagJson.toString());
        assertThat(lag.get("totals").get("backlog").asLong()).isEqualTo(PARTITIONS);
        JsonNode parts = ExactJson.mapper().readTree(partitions.toString());
        JsonNode owners = ExactJson.mapper().readTree(leases.toString());
        assertThat(parts.size()).isEqualTo(PARTITIONS);
        assertThat(owners.get(3).get("owner").get("worker").asString()).isEqualTo("worker-a");
        for (int p = 0; p < PARTITIONS; p++) {
            assertThat(lag.get("partitions").get(p).get("backlog").asLong()).isEqualTo(1);
            if (TestRedis.onCluster()) {
                String master = masterOf(p);
                assertThat(lag.get("partitions").get(p).get("master").asString())
                        .isEqualTo(master);
                assertThat(parts.get(p).get("master").asString()).isEqualTo(master);
                assertThat(owners.get(p).get("master").asString()).isEqualTo(master);
                assertThat(lagText.toString())
                        .containsPattern("(?m)^" + p + " +" + java.util.regex.Pattern.quote(master));
            } else {
                assertThat(lag.get("partitions").get(p).has("master")).isFalse();
            }
        }
        assertThat(lagText.toString().lines().findFirst().orElseThrow().contains("MASTER"))
                .isEqualTo(TestRedis.onCluster());
    }

    @Test
    void pauseAndResume_changeThePartitionsMeta_whereverItsSlotLives() {
        StringWriter paused = new StringWriter();
        assertThat(cli(paused, "pause", "7", "--reason", "disk swap")).isZero();

        assertThat(paused.toString()).contains("partition 7 paused by");
        assertThat(redis.keyed().hget(layout.meta(7), MetaFields.PAUSED)).contains("disk swap");
        StringWriter lag = new StringWriter();
        assertThat(cli(lag, "lag", "--json", "--rate-window", "0s")).isZero();
        assertThat(ExactJson.mapper()
                        .readTree(lag.toString())
                        .get("partitions")
                        .get(7)
                        .get("paused")
                        .asBoolean())
                .isTrue();

        StringWriter resumed = new StringWriter();
        assertThat(cli(resumed, "resume", "7")).isZero();

        assertThat(resumed.toString()).contains("partition 7 resumed by");
        assertThat(redis.keyed().hget(layout.meta(7), MetaFields.PAUSED)).isNull();
    }

    @Test
    void drain_waitsForEveryPartition_onEveryMaster() {
        StringWriter behind = new StringWriter();
        assertThat(cli(behind, "drain")).isEqualTo(1);

        for (int p = 0; p < PARTITIONS; p++) {
            String last = redis.keyed()
                    .xrevrange(layout.stream(p), io.lettuce.core.Range.create("-", "+"), io.lettuce.core.Limit.from(1))
                    .get(0)
                    .getId();
            redis.keyed().hset(layout.meta(p), MetaFields.APPLIED, last);
        }
        StringWriter drained = new StringWriter();

        assertThat(cli(drained, "drain")).as(drained.toString()).isZero();
    }

    @Test
    void partitionMasterGauge_isOneForTheMasterServingThePartition_onACluster() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (StatusMonitor monitor = new StatusMonitor(
                PipelineStatus.connect(RedisSettings.of(redis.url()), layout), Duration.ofSeconds(60))) {
            new PartitionGauges(monitor).bindTo(registry);
            monitor.refresh();

            List<Gauge> gauges =
                    registry.find(PartitionGauges.MASTER).gauges().stream().toList();
            if (TestRedis.onCluster()) {
                assertThat(gauges).hasSize(PARTITIONS);
                for (int p = 0; p < PARTITIONS; p++) {
                    Gauge g = registry.find(PartitionGauges.MASTER)
                            .tag("partition", Integer.toString(p))
                            .gauge();
                    assertThat(g.getId().getTag("master")).isEqualTo(masterOf(p));
                    assertThat(g.value()).isEqualTo(1.0);
                }
            } else {
                assertThat(gauges)
                        .as("one master serves every partition: nothing to tell")
                        .isEmpty();
            }
        }
    }

    @Test
    void doctor_onACluster_checksEveryMaster_andNamesTheMasterInEachFinding() {
        assumeThat(TestRedis.onCluster()).as("a cluster-only scenario").isTrue();
        PrivateRedisCluster cluster = PrivateRedisCluster.shared();
        List<PrivateRedisCluster.Node> masters = cluster.masters();
        PrivateRedisCluster.Node withoutAof = masters.get(0);
        PrivateRedisCluster.Node evicting = masters.get(1);
        PrivateRedisCluster.Node withoutLibrary = masters.get(2);
        try (RedisDeployment deployment = RedisDeployment.open(RedisSettings.of(redis.url()))) {
            for (RedisDeployment.Master m : deployment.masters()) {
                if (m.address().equals(address(withoutLibrary))) {
                    m.sync().functionFlush(io.lettuce.core.FlushMode.SYNC); // this JVM's private cluster
                } else {
                    FunctionLibrary.install(m.sync());
                }
            }
        }
        masters.forEach(m -> cluster.onNode(
                m,
                c -> c.configSet(Map.of(
                        "appendonly", m.equals(withoutAof) ? "no" : "yes",
                        "maxmemory-policy", m.equals(evicting) ? "allkeys-lru" : "noeviction"))));
        try {
            StringWriter out = new StringWriter();

            int code = cli(out, "doctor");

            assertThat(code).isEqualTo(1);
            assertThat(out.toString())
                    .contains("(a Redis Cluster of 3 masters)")
                    .contains("[FAIL] redis.persistence: master " + address(withoutAof) + ": AOF is off")
                    .contains("[ OK ] redis.persistence: master " + address(evicting) + ": AOF on")
                    .contains("[FAIL] redis.maxmemory-policy: master " + address(evicting) + ": allkeys-lru may evict")
                    .contains("[ OK ] redis.maxmemory-policy: master " + address(withoutAof) + ": noeviction")
                    .contains("[FAIL] redis.function-library: master " + address(withoutLibrary) + ": "
                            + FunctionLibrary.LIBRARY_NAME + " is not loaded")
                    .contains("[ OK ] redis.function-library: master " + address(evicting) + ": "
                            + FunctionLibrary.LIBRARY_NAME + " revision " + FunctionLibrary.REVISION + "; prefix '"
                            + layout.prefix() + "' has " + PARTITIONS + " partitions")
                    .contains("redis.memory-guard: master " + address(withoutAof) + ": ");
            // and the services' start-up check refuses the evicting master by name; up's notes name both
            assertThatThrownBy(() -> Startup.redis(RedisSettings.of(redis.url()), Map.of(), false))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("Redis master " + address(evicting) + " has maxmemory-policy allkeys-lru");
            try (LocalServers servers = new LocalServers(
                    java.nio.file.Path.of("target/unused-up-data"), new PrintWriter(new StringWriter()), 1, 1)) {
                servers.redis(Map.of("REDIS_URL", redis.url()));
                assertThat(String.join("\n", servers.report()))
                        .contains("as configured (REDIS_URL)")
                        .contains("Redis at master " + address(withoutAof) + " keeps nothing on disk")
                        .contains("Redis at master " + address(evicting) + " may evict unsynced writes")
                        .doesNotContain("started redis-server");
            }
            try (io.cistern.connections.RedisPing ping =
                    new io.cistern.connections.RedisPing(RedisSettings.of(redis.url()))) {
                assertThat(ping.ping()).isEqualTo("PONG");
            }
        } finally {
            masters.forEach(m ->
                    cluster.onNode(m, c -> c.configSet(Map.of("appendonly", "no", "maxmemory-policy", "noeviction"))));
        }
    }

    private String masterOf(int partition) {
        return address(PrivateRedisCluster.shared().masterOfKey(layout.meta(partition)));
    }

    private static String address(PrivateRedisCluster.Node node) {
        return "127.0.0.1:" + node.port();
    }

    private int cli(StringWriter out, String... command) {
        String[] args = java.util.stream.Stream.concat(
                        java.util.Arrays.stream(command),
                        java.util.stream.Stream.of(
                                "--redis-url",
                                redis.url(),
                                "--database-url",
                                database.jdbcUrl(),
                                "--prefix",
                                redis.prefix()))
                .toArray(String[]::new);
        StringWriter err = new StringWriter();
        int code = CisternCli.commandLine()
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .execute(args);
        out.append(err.toString());
        return code;
    }
}
