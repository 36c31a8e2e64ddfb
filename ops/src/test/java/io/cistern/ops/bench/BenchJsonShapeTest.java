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
    void syncMasters_reportEachMastersShareAndRedisCpuPerEntry_mediansOfTheRounds() {
        SyncBenchmark.Options o =
                new SyncBenchmark.Options(SyncBenchmark.Kind.INSERT, 900, 2, 32, 6, 1, 1_000, 2, Duration.ofSeconds(1));
        // Round 1: a 300/300/300 split; round 2: 200/300/400. CPU seconds chosen so the µs per entry are round.
        List<SyncBenchmark.CisternRound> rounds = List.of(
                round(List.of(
                        new SyncBenchmark.MasterWork("a:1", 2, 300, 0.003, 0.006),
                        new SyncBenchmark.MasterWork("b:2", 2, 300, 0.003, 0.006),
                        new SyncBenchmark.MasterWork("c:3", 2, 300, 0.003, 0.006))),
                round(List.of(
                        new SyncBenchmark.MasterWork("a:1", 2, 200, 0.004, 0.008),
                        new SyncBenchmark.MasterWork("b:2", 2, 300, 0.003, 0.006),
                        new SyncBenchmark.MasterWork("c:3", 2, 400, 0.002, 0.004))));
        SyncBenchmark.Result r = new SyncBenchmark.Result(
                o, new SyncBenchmark.WarmUp(1, 0.01), rounds, List.of(), null, "", "15", "7.0.15");
        ObjectNode root = ExactJson.mapper().createObjectNode();

        BenchmarkRunner.mastersJson(root, r);

        assertThat(root.get("redisMasters").asInt()).isEqualTo(3);
        var a = root.get("masters").get(0);
        assertThat(a.get("master").asString()).isEqualTo("a:1");
        assertThat(a.get("partitions").asInt()).isEqualTo(2);
        // Shares 1/3 and 2/9: median 0.278. Per entry: 10 then 20 µs written (median 15), 20 then 40 applied (30).
        assertThat(a.get("entryShare").asDouble()).isEqualTo(0.278);
        assertThat(a.get("redisMicrosPerEntryWritten").asDouble()).isEqualTo(15);
        assertThat(a.get("redisMicrosPerEntryApplied").asDouble()).isEqualTo(30);
        // CPU: 0.009 of 0.027 seconds in round 1, 0.012 of 0.027 in round 2: median (1/3 + 4/9) / 2.
        assertThat(a.get("redisCpuShare").asDouble()).isEqualTo(0.389);
        var c = root.get("masters").get(2);
        assertThat(c.get("entryShare").asDouble()).isEqualTo(0.389);
        assertThat(root.get("masterRounds")).hasSize(2);
        assertThat(root.get("masterRounds").get(1).get(2).get("entries").asLong())
                .isEqualTo(400);
    }

    @Test
    void costPerRow_sharedPostgres_reportsWorkerRedisProducerAndCommandsPerRow_postgresAbsentWithReason() {
        SyncBenchmark.Result r = costResult(Double.NaN);
        ObjectNode root = ExactJson.mapper().createObjectNode();

        BenchmarkRunner.costPerRowJson(root, r);

        var perRow = root.get("cpuMicrosPerRow");
        // Drain: 1,000 rows/s (800 in round 2) with the JVM at 0.01 cores and Redis 0.008: 10 and 8 µs, then 12.5, 10.
        assertThat(perRow.get("drain").get("workerJvm").asDouble()).isEqualTo(11.25);
        assertThat(perRow.get("drain").get("redis").asDouble()).isEqualTo(9);
        assertThat(perRow.get("drain").get("postgres").isNull()).isTrue();
        // Per entry: 2,000 entries/s both rounds.
        assertThat(perRow.get("drainPerEntry").get("workerJvm").asDouble()).isEqualTo(5);
        assertThat(perRow.get("baseline").get("baselineJvm").asDouble()).isEqualTo(2);
        assertThat(perRow.get("baseline").get("postgres").isNull()).isTrue();
        assertThat(perRow.get("postgresCpuAbsent").asString()).contains("bench --pin");
        assertThat(root.get("cpuMicrosPerWrite").get("producerJvm").asDouble()).isEqualTo(4);
        assertThat(root.get("cpuMicrosPerWrite").get("redis").asDouble()).isEqualTo(20);
        // 1,000 then 500 XREADGROUP calls over 10,000 and 8,000 rows: 0.1 and 0.0625 a row; 40,000 µs: 4 and 5.
        var xread = root.get("redisCommandsPerRow").get("xreadgroup");
        assertThat(xread.get("calls").asDouble()).isEqualTo(0.0813);
        assertThat(xread.get("usec").asDouble()).isEqualTo(4.5);
        // XACK only in round 1: 0 in round 2, median of 0.1 and 0.
        assertThat(root.get("redisCommandsPerRow").get("xack").get("calls").asDouble())
                .isEqualTo(0.05);
        assertThat(ExactJson.mapper().writeValueAsString(root)).doesNotContain("NaN");
    }

    @Test
    void costPerRow_privatePostgres_reportsItsCpuPerRowAndTheRatioToTheBaseline() {
        SyncBenchmark.Result r = costResult(0.012);
        ObjectNode root = ExactJson.mapper().createObjectNode();

        BenchmarkRunner.costPerRowJson(root, r);

        var perRow = root.get("cpuMicrosPerRow");
        // 0.012 cores at 1,000 and 800 rows/s: 12 and 15 µs; the baseline at 5,000 rows/s: 2.4 µs.
        assertThat(perRow.get("drain").get("postgres").asDouble()).isEqualTo(13.5);
        assertThat(perRow.get("baseline").get("postgres").asDouble()).isEqualTo(2.4);
        assertThat(perRow.get("postgresVersusBaseline").asDouble()).isEqualTo(5.625);
        assertThat(perRow.has("postgresCpuAbsent")).isFalse();
    }

    /** Two rounds of 10,000 then 8,000 rows in 10 s, 20,000 entries each; {@code privatePostgres} NaN when shared. */
    private static SyncBenchmark.Result costResult(double privatePostgres) {
        SyncBenchmark.Options o = new SyncBenchmark.Options(
                SyncBenchmark.Kind.UPDATE, 20_000, 2, 32, 4, 1, 1_000, 2, Duration.ofSeconds(1));
        var write = new CpuMeter.Use(1, 0.02, 0.1, Map.of(), 0.3, privatePostgres, 1, Map.of());
        var drain1 = new CpuMeter.Use(
                10,
                0.01,
                0.008,
                Map.of(),
                0.5,
                privatePostgres,
                1,
                Map.of(
                        "xreadgroup", new CpuMeter.CommandStat(1_000, 40_000),
                        "xack", new CpuMeter.CommandStat(1_000, 1_000)));
        var drain2 = new CpuMeter.Use(
                10,
                0.01,
                0.008,
                Map.of(),
                0.5,
                privatePostgres,
                1,
                Map.of("xreadgroup", new CpuMeter.CommandStat(500, 40_000)));
        var base = new CpuMeter.Use(1, 0.01, 0, Map.of(), 0.4, privatePostgres, 1, Map.of());
        List<SyncBenchmark.CisternRound> rounds = List.of(
                new SyncBenchmark.CisternRound(2_000, 1_000, 10_000, drain1, 5_000, write, List.of()),
                new SyncBenchmark.CisternRound(2_000, 800, 8_000, drain2, 5_000, write, List.of()));
        List<SyncBenchmark.BaselineRound> baselines = List.of(
                new SyncBenchmark.BaselineRound(5_000, 20_000, base),
                new SyncBenchmark.BaselineRound(5_000, 20_000, base));
        return new SyncBenchmark.Result(
                o, new SyncBenchmark.WarmUp(1, 0.01), rounds, baselines, null, "", "15", "7.0.15");
    }

    private static SyncBenchmark.CisternRound round(List<SyncBenchmark.MasterWork> masters) {
        CpuMeter.Use cpu = new CpuMeter.Use(1, 0.5, 0.1, Map.of(), 0.2, 1);
        return new SyncBenchmark.CisternRound(900, 900, 900, cpu, 1_800, cpu, masters);
    }

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
                List.of("memory"),
                1,
                1,
                1,
                1,
                1,
                1,
                2,
                1,
                1,
                1,
                1,
                Duration.ofSeconds(1),
                true,
                1,
                1,
                0.99,
                BenchSettings.DEFAULT_MAX_WARM_UP_PAIRS,
                1,
                1,
                1,
                1,
                BenchSettings.DEFAULT_LATENCY_SHARE);
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
