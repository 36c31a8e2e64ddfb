package io.cistern.ops.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.cistern.schema.codec.ExactJson;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;

/** The JSON a script reads: every scenario object carries result, baseline and ratio, whatever else it holds. */
class BenchJsonShapeTest {
    @Test
    void memory_reportsUsageAsTheHeadline_infoBesideIt_andTheWorkerHeap() {
        MemoryBenchmark.Options o = new MemoryBenchmark.Options(1_000, 32, 4, 1_000, 2);
        MemoryBenchmark.Result r = new MemoryBenchmark.Result(
                o,
                List.of(new MemoryBenchmark.Footprint(530, 328, 193), new MemoryBenchmark.Footprint(520, 328, 193)),
                List.of(new MemoryBenchmark.Footprint(400, 296, 106), new MemoryBenchmark.Footprint(398, 296, 106)),
                new MemoryBenchmark.Heap(10 << 20, 30 << 20, 60 << 20, 1 << 30, 5, 20_000),
                "7.0.15");
        ObjectNode root = ExactJson.mapper().createObjectNode();

        BenchmarkRunner.memoryJson(root, r);

        ObjectNode m = (ObjectNode) root.get("memory");
        assertThat(m.get("result").asDouble()).isEqualTo(521);
        assertThat(m.get("baseline").asDouble()).isEqualTo(402);
        assertThat(m.get("ratio").asDouble()).isEqualTo(1.296);
        assertThat(m.get("higherIsBetter").asBoolean()).isFalse();
        assertThat(m.get("cisternInfoBytesPerRecord").asDouble()).isEqualTo(525);
        assertThat(m.get("baselineInfoBytesPerRecord").asDouble()).isEqualTo(399);
        assertThat(m.get("roundsDetail")).hasSize(2);
        assertThat(m.get("workerHeap").get("liveGrowthBytes").asLong()).isEqualTo(20 << 20);
    }

    @Test
    void machine_recordsLoadCoresAndTheScenariosRun() {
        BenchSettings s = new BenchSettings(
                List.of("memory"), 1, 1, 1, 1, 1, 1, 2, 1, 1, 1, 1, Duration.ofSeconds(1), true, 1, 1, 0.99);
        ObjectNode root = ExactJson.mapper().createObjectNode();

        BenchmarkRunner.machineJson(
                root, s, new MachineLoad.Snapshot(2, 1.5, "25"), new MachineLoad.Snapshot(2, 2.25, "25"), 42.4);

        ObjectNode m = (ObjectNode) root.get("machine");
        assertThat(m.get("cores").asInt()).isEqualTo(2);
        assertThat(m.get("loadAverageBefore").asDouble()).isEqualTo(1.5);
        assertThat(m.get("loadAverageAfter").asDouble()).isEqualTo(2.25);
        assertThat(m.get("elapsedSeconds").asLong()).isEqualTo(42);
        assertThat(m.get("scenarios").get(0).asString()).isEqualTo("memory");
    }
}
