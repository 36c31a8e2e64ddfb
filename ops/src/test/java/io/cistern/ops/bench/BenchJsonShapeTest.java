package io.cistern.ops.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.cistern.reader.Tier;
import io.cistern.schema.codec.ExactJson;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
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

    @Test
    void read_reportsTheHgetallCeilingAsBaseline_theJdbcCeilingBesideIt_andTheTiers() {
        ReadBenchmark.Options o = new ReadBenchmark.Options(1_000, 10_000, 0.99, 32, 4, 1);
        Map<Tier, Integer> tiers = new EnumMap<>(Tier.class);
        tiers.put(Tier.LOCAL, 7_000);
        tiers.put(Tier.REDIS, 2_900);
        tiers.put(Tier.DATABASE, 100);
        ReadBenchmark.Round round = new ReadBenchmark.Round(
                new ReadBenchmark.Loop(60_000, 2, 40),
                tiers,
                400,
                12.5,
                new ReadBenchmark.Loop(30_000, 30, 80),
                new ReadBenchmark.Loop(10_000, 95, 300));
        ObjectNode root = ExactJson.mapper().createObjectNode();

        BenchmarkRunner.readJson(root, new ReadBenchmark.Result(o, List.of(round), "15.20", "7.0.15"));

        ObjectNode n = (ObjectNode) root.get("read");
        assertThat(n.get("result").asDouble()).isEqualTo(60_000);
        assertThat(n.get("baseline").asDouble()).isEqualTo(30_000);
        assertThat(n.get("ratio").asDouble()).isEqualTo(2.0);
        assertThat(n.get("databaseBaseline").asDouble()).isEqualTo(10_000);
        assertThat(n.get("databaseRatio").asDouble()).isEqualTo(6.0);
        assertThat(n.get("databaseShare").asDouble()).isEqualTo(0.01);
        assertThat(n.get("databaseQueriesPerRead").asDouble())
                .as("the database tier's 100 reads and 300 completions of hashes lacking defaults")
                .isEqualTo(0.04);
        assertThat(n.get("localHitP99Micros").asDouble()).isEqualTo(12.5);
        assertThat(n.get("localHitGoalMet").asBoolean()).isTrue();
        assertThat(n.get("p99Micros").asDouble()).isEqualTo(40);
    }

    @Test
    void read_withoutAnyLocalHit_reportsNullNotNaN() {
        ReadBenchmark.Options o = new ReadBenchmark.Options(1_000, 10_000, 0.99, 32, 4, 1);
        ReadBenchmark.Round round = new ReadBenchmark.Round(
                new ReadBenchmark.Loop(20_000, 40, 90),
                new EnumMap<>(Map.of(Tier.REDIS, 10_000)),
                0,
                Double.NaN,
                new ReadBenchmark.Loop(30_000, 30, 80),
                new ReadBenchmark.Loop(10_000, 95, 300));
        ObjectNode root = ExactJson.mapper().createObjectNode();

        BenchmarkRunner.readJson(root, new ReadBenchmark.Result(o, List.of(round), "15.20", "7.0.15"));

        assertThat(root.get("read").get("localHitP99Micros").isNull()).isTrue();
        assertThat(root.get("read").get("localHitGoalMet").asBoolean()).isFalse();
        assertThat(ExactJson.mapper().writeValueAsString(root)).doesNotContain("NaN");
    }
}
