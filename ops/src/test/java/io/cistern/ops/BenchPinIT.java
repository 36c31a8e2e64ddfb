package io.cistern.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.cistern.schema.codec.ExactJson;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * {@code ops/cistern bench --pin sync-insert --json} at a tiny size: the private servers and the re-executed JVM run on
 * the CPUs the layout names (as the kernel reports them), the JVM records the processors and collectors it chose, and
 * PostgreSQL's CPU per row comes from the private server, which is gone once the command returns. Checks the harness,
 * not speed.
 */
class BenchPinIT {
    @Test
    void benchPin_runsEachServerAndTheJvmOnItsCores_andMeasuresThePrivatePostgres() throws Exception {
        assumeThat(Runtime.getRuntime().availableProcessors()).isGreaterThanOrEqualTo(2);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();

        int code = CisternCli.commandLine()
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .execute(
                        "bench",
                        "--pin",
                        "sync-insert",
                        "--json",
                        "--records",
                        "2000",
                        "--rounds",
                        "1",
                        "--partitions",
                        "2",
                        "--duration",
                        "1",
                        "--max-warm-up-pairs",
                        "1");

        assertThat(code).as(err.toString()).isZero();
        JsonNode json = ExactJson.mapper().readTree(out.toString());
        JsonNode pin = json.get("pin");
        assertThat(pin).as(out.toString()).isNotNull();
        int cores = Runtime.getRuntime().availableProcessors();
        assertThat(pin.get("cores").asInt()).isEqualTo(cores);
        assertThat(pin.get("postgresCpus").asString())
                .isEqualTo(cores == 2 ? "0" : pin.get("postgresCpus").asString());
        assertThat(pin.get("redisCpus").asString()).isEqualTo(pin.get("jvmCpus").asString());
        assertThat(pin.get("postgresCpusAllowed").asString())
                .isEqualTo(pin.get("postgresCpus").asString());
        assertThat(pin.get("redisCpusAllowed").asString())
                .isEqualTo(pin.get("redisCpus").asString());
        assertThat(pin.get("jvmCpusAllowed").asString())
                .isEqualTo(pin.get("jvmCpus").asString());
        if (cores == 2) {
            assertThat(pin.get("postgresCpus").asString()).isEqualTo("0");
            assertThat(pin.get("redisCpus").asString()).isEqualTo("1");
            // A JVM that sees one processor picks the serial collector; the JSON says what it picked.
            assertThat(json.get("machine").get("jvm").get("availableProcessors").asInt())
                    .isEqualTo(1);
        }
        assertThat(json.get("machine").get("jvm").get("garbageCollectors")).isNotEmpty();

        JsonNode perRow = json.get("sync-insert").get("cpuMicrosPerRow");
        assertThat(perRow.has("postgresCpuAbsent")).isFalse();
        assertThat(perRow.get("postgresCpuFrom").asString()).contains("private server");
        assertThat(perRow.get("drain").get("postgres").asDouble()).isPositive();
        assertThat(perRow.get("baseline").get("postgres").asDouble()).isPositive();
        assertThat(json.get("sync-insert").get("cpuCores").get(0).get("cistern").has("privatePostgres"))
                .isTrue();
        // The server measured was the bench's own: stopped when the command returned.
        long postmaster = pin.get("postmasterPid").asLong();
        assertThat(ProcessHandle.of(postmaster).filter(ProcessHandle::isAlive)).isEmpty();
    }
}
