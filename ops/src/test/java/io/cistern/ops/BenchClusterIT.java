package io.cistern.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.cistern.connections.testing.PrivateRedisCluster;
import io.cistern.connections.testing.TestDatabase;
import io.cistern.schema.codec.ExactJson;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * {@code ops/cistern bench sync-insert} on a Redis Cluster (the JVM's private one: 3 masters, 3 replicas, the even slot
 * ranges of {@code redis-cli --cluster create}): the writer, the worker and the harness reach each partition's master,
 * and the JSON reports each master's part. With 64 partitions (21/22/21 on the three masters) every master receives and
 * drains a third of the entries, within 15%. Small sizes and one warm-up pair: this checks the harness and the spread,
 * not speed (2,000 entries: about 667 a master, a binomial standard deviation of about 3%, so 15% is over 4 of them). The bench
 * runs under a key prefix of its own ({@code cistern-bench-<random>}) and deletes its keys at the end.
 */
class BenchClusterIT {
    private static final int PARTITIONS = 64;
    private static final int RECORDS = 2_000;

    private final PrivateRedisCluster cluster = PrivateRedisCluster.shared();
    private TestDatabase database;

    @BeforeEach
    void setUp() {
        database = TestDatabase.create("BenchClusterIT");
    }

    @AfterEach
    void tearDown() {
        database.close();
    }

    @Test
    void syncInsert_onThreeMasters_eachMasterDoesAThirdOfTheWorkAndTheJsonCarriesItsPart() throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();

        int code = CisternCli.commandLine()
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .execute(
                        "bench",
                        "sync-insert",
                        "--json",
                        "--redis-url",
                        cluster.url(),
                        "--database-url",
                        database.jdbcUrl(),
                        "--records",
                        Integer.toString(RECORDS),
                        "--rounds",
                        "1",
                        "--partitions",
                        Integer.toString(PARTITIONS),
                        "--duration",
                        "1",
                        "--max-warm-up-pairs",
                        "1");

        assertThat(code).as(err.toString()).isZero();
        JsonNode sync = ExactJson.mapper().readTree(out.toString()).get("sync-insert");
        assertThat(sync.get("cisternRowsPerSecond").asLong()).as(out.toString()).isPositive();
        assertThat(sync.get("cisternWritesPerSecond").asLong()).isPositive();
        assertThat(sync.get("redisMasters").asInt()).isEqualTo(3);

        JsonNode masters = sync.get("masters");
        assertThat(masters.size()).as(out.toString()).isEqualTo(3);
        Set<String> addresses = new HashSet<>();
        int partitions = 0;
        for (JsonNode m : masters) {
            String address = m.get("master").asString();
            addresses.add(address);
            partitions += m.get("partitions").asInt();
            assertThat(m.get("entryShare").asDouble())
                    .as("the share of entries written to and applied from " + address + "'s partitions")
                    .isBetween(1 / 3.0 * 0.85, 1 / 3.0 * 1.15);
            assertThat(m.get("redisCpuShare").asDouble())
                    .as(address + "'s share of the masters' Redis CPU")
                    .isBetween(0.0, 1.0);
            assertThat(m.get("redisMicrosPerEntryWritten").asDouble())
                    .as(address + "'s Redis CPU per entry written")
                    .isPositive();
            assertThat(m.get("redisMicrosPerEntryApplied").asDouble())
                    .as(address + "'s Redis CPU per entry applied")
                    .isPositive();
        }
        assertThat(partitions).isEqualTo(PARTITIONS);
        Set<String> clusterMasters = new HashSet<>();
        cluster.masters().forEach(n -> clusterMasters.add("127.0.0.1:" + n.port()));
        assertThat(addresses).isEqualTo(clusterMasters);

        JsonNode round = sync.get("masterRounds").get(0);
        long entries = 0;
        for (JsonNode m : round) {
            entries += m.get("entries").asLong();
            assertThat(m.get("drainRedisCpuSeconds").asDouble()).isPositive();
        }
        assertThat(entries).as("every entry counted on its master").isEqualTo(RECORDS);
        assertThat(sync.get("latency").get("failedWrites").asInt()).isZero();
    }
}
