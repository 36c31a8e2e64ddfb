package io.cistern.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.cistern.connections.testing.TestDatabase;
import io.cistern.connections.testing.TestRedis;
import io.cistern.schema.codec.ExactJson;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * {@code ops/cistern bench http --json} at a tiny size: the writer API runs as a child JVM that the bench drives over
 * HTTP, every request is answered 202, each phase reports writes per second, latency and CPU per write (the server's
 * from its own process), the in-process baseline runs beside it, and the server is gone once the command returns.
 * Checks the harness, not speed.
 */
class BenchHttpIT {
    private TestRedis redis;
    private TestDatabase database;

    @BeforeEach
    void setUp() {
        redis = TestRedis.create("BenchHttpIT");
        database = TestDatabase.create("BenchHttpIT");
    }

    @AfterEach
    void tearDown() {
        redis.close();
        database.close();
    }

    @Test
    void benchHttp_drivesAChildWriterApi_andReportsRatesLatencyAndCpuPerWriteBesideTheInProcessWriter()
            throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();

        int code = CisternCli.commandLine()
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .execute(
                        "bench",
                        "http",
                        "--json",
                        "--redis-url",
                        redis.url(),
                        "--database-url",
                        database.jdbcUrl(),
                        "--http-writes",
                        "1000",
                        "--http-connections",
                        "8",
                        "--http-batch-connections",
                        "2",
                        "--http-batch-size",
                        "50",
                        "--rounds",
                        "2");

        assertThat(code).as(err.toString()).isZero();
        JsonNode http = ExactJson.mapper().readTree(out.toString()).get("http");
        assertThat(http).as(out.toString()).isNotNull();
        assertThat(http.get("errors").asInt()).as(out.toString()).isZero();
        assertThat(http.get("roundsDetail")).hasSize(2);
        for (String rate : new String[] {
            "singleWritesPerSecond", "writeAsyncWritesPerSecond", "batchWritesPerSecond", "writeAllWritesPerSecond"
        }) {
            assertThat(http.get(rate).asDouble()).as(rate).isPositive();
        }
        // The headline carries the medians to 3 decimals, the named figures rounded to whole writes.
        assertThat(http.get("result").asDouble())
                .isCloseTo(http.get("singleWritesPerSecond").asDouble(), org.assertj.core.data.Offset.offset(0.5));
        assertThat(http.get("baseline").asDouble())
                .isCloseTo(http.get("writeAsyncWritesPerSecond").asDouble(), org.assertj.core.data.Offset.offset(0.5));
        assertThat(http.get("ratio").asDouble())
                .isCloseTo(
                        http.get("result").asDouble() / http.get("baseline").asDouble(),
                        org.assertj.core.data.Percentage.withPercentage(1));
        assertThat(http.get("batchRatio").asDouble())
                .isCloseTo(
                        http.get("batchWritesPerSecond").asDouble()
                                / http.get("writeAllWritesPerSecond").asDouble(),
                        org.assertj.core.data.Percentage.withPercentage(1));
        for (String phase : new String[] {"single", "batch"}) {
            JsonNode latency = http.get("latencyMs").get(phase);
            assertThat(latency.get("p50").asDouble()).as(phase + " p50").isPositive();
            assertThat(latency.get("p99").asDouble())
                    .as(phase + " p99")
                    .isGreaterThanOrEqualTo(latency.get("p50").asDouble());
            JsonNode cpu = http.get("cpuMicrosPerWrite").get(phase);
            // The server is a process of its own: its CPU is read from /proc/<pid>/stat, not this JVM's.
            assertThat(cpu.get("serverJvm").asDouble())
                    .as(phase + " server CPU")
                    .isPositive();
            assertThat(cpu.get("redis").asDouble()).as(phase + " Redis CPU").isPositive();
        }
        assertThat(http.get("cpuMicrosPerWrite")
                        .get("writeAsync")
                        .get("producerJvm")
                        .asDouble())
                .isPositive();
        assertThat(http.get("cpuMicrosPerWrite")
                        .get("writeAll")
                        .get("producerJvm")
                        .asDouble())
                .isPositive();
        assertThat(http.get("serverCommand").toString()).contains("writer-api");
        long server = http.get("serverPid").asLong();
        assertThat(server).isNotEqualTo(ProcessHandle.current().pid());
        assertThat(ProcessHandle.of(server).filter(ProcessHandle::isAlive))
                .as("the server is stopped when the bench returns")
                .isEmpty();
    }
}
