package io.cistern.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.cistern.connections.testing.TestDatabase;
import io.cistern.connections.testing.TestRedis;
import io.cistern.ops.bench.BenchSettings;
import io.cistern.schema.codec.ExactJson;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * {@code ops/cistern bench --json} with no scenario named runs every scenario and prints one JSON object in which each
 * scenario carries its result, its same-run baseline and their ratio. Tiny sizes: this checks the harness, not speed.
 */
class BenchCommandIT {
    private TestRedis redis;
    private TestDatabase database;

    @BeforeEach
    void setUp() {
        redis = TestRedis.create("BenchCommandIT");
        database = TestDatabase.create("BenchCommandIT");
    }

    @AfterEach
    void tearDown() {
        redis.close();
        database.close();
    }

    @Test
    void benchJson_withNoScenarioNamed_reportsEveryScenarioWithResultBaselineAndRatio() throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();

        int code = CisternCli.commandLine()
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .execute(
                        "bench",
                        "--json",
                        "--redis-url",
                        redis.url(),
                        "--database-url",
                        database.jdbcUrl(),
                        "--writes",
                        "2000",
                        "--rounds",
                        "1",
                        "--records",
                        "1000",
                        "--keys",
                        "50",
                        "--partitions",
                        "2",
                        "--duration",
                        "1",
                        "--read-keys",
                        "300",
                        "--reads",
                        "1000",
                        "--http-writes",
                        "500",
                        "--http-connections",
                        "4",
                        "--http-batch-connections",
                        "2",
                        "--http-batch-size",
                        "50");

        assertThat(code).as(err.toString()).isZero();
        JsonNode json = ExactJson.mapper().readTree(out.toString());
        for (String scenario : BenchSettings.SCENARIOS) {
            JsonNode s = json.get(scenario);
            assertThat(s).as(scenario + " in " + out).isNotNull();
            assertThat(s.get("result").asDouble()).as(scenario + " result").isPositive();
            assertThat(s.get("baseline").asDouble()).as(scenario + " baseline").isPositive();
            assertThat(s.get("ratio").asDouble())
                    .as(scenario + " ratio")
                    .isCloseTo(
                            s.get("result").asDouble() / s.get("baseline").asDouble(),
                            org.assertj.core.data.Percentage.withPercentage(1));
            assertThat(s.get("baselineIs").asString())
                    .as(scenario + " baselineIs")
                    .isNotBlank();
        }
        assertThat(json.get("memory")
                        .get("workerHeap")
                        .get("maxLiveDuringDrainBytes")
                        .asLong())
                .isPositive();
        assertThat(json.get("read").get("databaseBaseline").asDouble()).isPositive();
        assertThat(json.get("sync-insert").get("warmUpPairs").asInt())
                .as("unmeasured full-size rounds until the JIT settles")
                .isBetween(1, 5);
        assertThat(json.get("write").get("latency").get("p99Ms").asDouble()).isPositive();
        assertThat(json.get("machine").get("cores").asInt()).isPositive();
        assertThat(err.toString())
                .as("the progress bar goes to stderr")
                .contains("memory")
                .contains("read")
                .contains("http");
    }
}
