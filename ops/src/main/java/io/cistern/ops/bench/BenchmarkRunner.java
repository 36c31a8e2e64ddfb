package io.cistern.ops.bench;

import io.cistern.connections.DatabaseSettings;
import io.cistern.connections.RedisSettings;
import io.cistern.schema.codec.ExactJson;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** Runs the chosen scenarios and reports them as a Markdown table or one JSON object. */
public final class BenchmarkRunner {
    private final RedisSettings redis;
    private final DatabaseSettings database;
    private final PrintWriter out;
    private final PrintWriter err;

    public BenchmarkRunner(RedisSettings redis, DatabaseSettings database, PrintWriter out, PrintWriter err) {
        this.redis = redis;
        this.database = database;
        this.out = out;
        this.err = err;
    }

    public int run(BenchSettings s) {
        WriteBenchmark.Result write = null;
        List<SyncBenchmark.Result> syncs = new ArrayList<>();
        for (String scenario : s.scenarios()) {
            if (scenario.equals("write")) {
                WriteBenchmark.Options options = new WriteBenchmark.Options(
                        s.writes(), s.pipeline(), s.columns(), s.valueBytes(), s.writeRounds());
                ProgressBar bar = new ProgressBar(err, "write", 3 * s.writeRounds());
                write = new WriteBenchmark(redis).run(options, bar::update);
                bar.done();
            } else {
                quietSyncLogs();
                SyncBenchmark.Kind kind =
                        scenario.equals("sync-insert") ? SyncBenchmark.Kind.INSERT : SyncBenchmark.Kind.UPDATE;
                SyncBenchmark.Options options = new SyncBenchmark.Options(
                        kind,
                        s.records(),
                        s.keys(),
                        s.valueBytes(),
                        s.partitions(),
                        s.workers(),
                        s.batchSize(),
                        s.syncRounds(),
                        s.duration());
                ProgressBar bar = new ProgressBar(err, scenario, SyncBenchmark.steps(options));
                syncs.add(new SyncBenchmark(redis, database).run(options, bar::update));
                bar.done();
            }
        }
        if (s.json()) {
            ObjectNode root = ExactJson.mapper().createObjectNode();
            if (write != null) {
                writeJson(root, write);
            }
            for (SyncBenchmark.Result r : syncs) {
                syncJson(root, r);
            }
            out.println(ExactJson.mapper().writeValueAsString(root));
        } else {
            out.printf("| scenario | Cistern | baseline | ratio | baseline is |%n");
            out.printf("|---|---:|---:|---:|---|%n");
            if (write != null) {
                writeRows(write);
            }
            for (SyncBenchmark.Result r : syncs) {
                syncRows(r);
            }
            if (write != null) {
                writeNotes(write);
            }
            for (SyncBenchmark.Result r : syncs) {
                syncNotes(r);
            }
        }
        out.flush();
        return 0;
    }

    private void writeRows(WriteBenchmark.Result r) {
        WriteBenchmark.Options o = r.options();
        String shape = o.columns() + " cols x " + o.valueBytes() + " B";
        String baseline = "redis-benchmark -c 1 -P " + o.pipeline() + ", same FCALL";
        out.printf(
                "| write: writeAsync, %d in flight (%s) | %,.0f writes/s | %,.0f writes/s | %.2f | %s |%n",
                o.pipeline(), shape, r.cisternMedian(), r.baselineMedian(), r.ratio(), baseline);
        out.printf(
                "| write: writeAll, batches of %d (%s) | %,.0f writes/s | %,.0f writes/s | %.2f | %s |%n",
                o.pipeline(), shape, r.cisternBatchesMedian(), r.baselineMedian(), r.batchesRatio(), baseline);
    }

    private void writeNotes(WriteBenchmark.Result r) {
        WriteBenchmark.Options o = r.options();
        out.printf(
                "%nwrite: medians of %d alternating rounds of %,d writes each; Redis %s; per round: writeAsync %s,"
                        + " writeAll %s, baseline %s%n",
                o.rounds(),
                o.writes(),
                r.redisVersion(),
                Stats.list(r.cistern()),
                Stats.list(r.cisternBatches()),
                Stats.list(r.baseline()));
    }

    private void syncRows(SyncBenchmark.Result r) {
        SyncBenchmark.Options o = r.options();
        String name = o.kind().scenario;
        String shape = shape(o);
        String baseline = "unnest upsert, same SQL, 1,000-row batches, 2 connections";
        if (o.kind() == SyncBenchmark.Kind.INSERT) {
            out.printf(
                    "| %s: drain %,d new records (%s) | %,.0f rows/s | %,.0f rows/s | %.2f | %s |%n",
                    name, o.records(), shape, r.rowsMedian(), r.baselineMedian(), r.ratio(), baseline);
        } else {
            out.printf(
                    "| %s: drain %,d puts over %,d keys (%s), **entries/s** | %,.0f entries/s | %,.0f rows/s |"
                            + " %.2f | %s, every entry a row |%n",
                    name, o.records(), o.keys(), shape, r.entriesMedian(), r.baselineMedian(), r.ratio(), baseline);
            out.printf(
                    "| %s: same drain, rows written after coalescing | %,.0f rows/s | %,.0f rows/s | %.2f | same |%n",
                    name, r.rowsMedian(), r.baselineMedian(), r.rowsRatio());
        }
        SyncBenchmark.Latency l = r.latency();
        out.printf(
                "| %s: write-to-commit at %,.0f writes/s (half the sustained rate), %d s | p50 %.1f ms, p99 %.1f ms"
                        + " (max %.1f ms) | goal p99 < 250 ms | %s | |%n",
                name,
                l.offeredPerSecond(),
                o.duration().toSeconds(),
                l.p50Ms(),
                l.p99Ms(),
                l.maxMs(),
                l.p99Ms() < 250 ? "met" : "missed");
    }

    private void syncNotes(SyncBenchmark.Result r) {
        SyncBenchmark.Options o = r.options();
        out.printf(
                "%n%s: medians of %d alternating rounds (%,d entries each), %d partitions, %d worker(s), batches of %d;"
                        + " PostgreSQL %s, Redis %s%n",
                o.kind().scenario,
                o.rounds(),
                o.records(),
                o.partitions(),
                o.workers(),
                o.batchSize(),
                r.postgresVersion(),
                r.redisVersion());
        out.printf(
                "  per round: Cistern entries/s %s, rows/s %s; baseline rows/s %s%n",
                Stats.list(r.cistern().stream()
                        .map(SyncBenchmark.CisternRound::entriesPerSecond)
                        .toList()),
                Stats.list(r.cistern().stream()
                        .map(SyncBenchmark.CisternRound::rowsPerSecond)
                        .toList()),
                Stats.list(r.baseline().stream()
                        .map(SyncBenchmark.BaselineRound::rowsPerSecond)
                        .toList()));
        for (int i = 0; i < r.cistern().size(); i++) {
            out.printf(
                    "  round %d CPU: Cistern %s; baseline %s%n",
                    i + 1,
                    r.cistern().get(i).cpu().describe(),
                    r.baseline().get(i).cpu().describe());
        }
        out.printf(
                "  latency: %,d writes offered at %,.0f/s (achieved %,.0f/s); %d timed out (left out of the"
                        + " percentiles); from Redis's acknowledgement to commit p50 %.1f ms, p99 %.1f ms; CPU %s%n",
                r.latency().writes(),
                r.latency().offeredPerSecond(),
                r.latency().achievedPerSecond(),
                r.latency().failedWrites(),
                r.latency().ackedP50Ms(),
                r.latency().ackedP99Ms(),
                r.latency().cpu().describe());
    }

    /** The workers log every partition they take and release; in a benchmark only warnings matter. */
    private static void quietSyncLogs() {
        for (String name : List.of("io.cistern.sync", "io.cistern.schema", "com.zaxxer.hikari")) {
            if (org.slf4j.LoggerFactory.getLogger(name) instanceof ch.qos.logback.classic.Logger logger) {
                logger.setLevel(ch.qos.logback.classic.Level.WARN);
            }
        }
    }

    private static String shape(SyncBenchmark.Options o) {
        return "source_documents, 5 cols, 2 x " + o.valueBytes() + " B text";
    }

    private static void writeJson(ObjectNode root, WriteBenchmark.Result r) {
        WriteBenchmark.Options o = r.options();
        ObjectNode w = root.putObject("write");
        w.put("writes", o.writes())
                .put("pipeline", o.pipeline())
                .put("columns", o.columns())
                .put("valueBytes", o.valueBytes())
                .put("rounds", o.rounds())
                .put("redisVersion", r.redisVersion());
        w.put("cisternWritesPerSecond", Math.round(r.cisternMedian()));
        w.put("cisternBatchWritesPerSecond", Math.round(r.cisternBatchesMedian()));
        w.put("baselineWritesPerSecond", Math.round(r.baselineMedian()));
        w.put("ratio", round3(r.ratio()));
        w.put("batchRatio", round3(r.batchesRatio()));
        rounds(w.putArray("cisternRounds"), r.cistern());
        rounds(w.putArray("cisternBatchRounds"), r.cisternBatches());
        rounds(w.putArray("baselineRounds"), r.baseline());
        w.put(
                "baseline",
                "redis-benchmark -c 1 -P " + o.pipeline() + " FCALL cistern_put_v1 (same record, same payload)");
    }

    private static void syncJson(ObjectNode root, SyncBenchmark.Result r) {
        SyncBenchmark.Options o = r.options();
        ObjectNode n = root.putObject(o.kind().scenario);
        n.put("records", o.records());
        if (o.kind() == SyncBenchmark.Kind.UPDATE) {
            n.put("keys", o.keys());
        }
        n.put("valueBytes", o.valueBytes())
                .put("partitions", o.partitions())
                .put("workers", o.workers())
                .put("batchSize", o.batchSize())
                .put("rounds", o.rounds())
                .put("postgresVersion", r.postgresVersion())
                .put("redisVersion", r.redisVersion());
        n.put("headline", o.kind() == SyncBenchmark.Kind.INSERT ? "cisternRowsPerSecond" : "cisternEntriesPerSecond");
        n.put("cisternEntriesPerSecond", Math.round(r.entriesMedian()));
        n.put("cisternRowsPerSecond", Math.round(r.rowsMedian()));
        n.put("baselineRowsPerSecond", Math.round(r.baselineMedian()));
        n.put("ratio", round3(r.ratio()));
        n.put("rowsRatio", round3(r.rowsRatio()));
        n.put("goalRatio", 0.6);
        rounds(
                n.putArray("cisternEntryRounds"),
                r.cistern().stream()
                        .map(SyncBenchmark.CisternRound::entriesPerSecond)
                        .toList());
        rounds(
                n.putArray("cisternRowRounds"),
                r.cistern().stream()
                        .map(SyncBenchmark.CisternRound::rowsPerSecond)
                        .toList());
        rounds(
                n.putArray("baselineRounds"),
                r.baseline().stream()
                        .map(SyncBenchmark.BaselineRound::rowsPerSecond)
                        .toList());
        ArrayNode cpu = n.putArray("cpuCores");
        for (int i = 0; i < r.cistern().size(); i++) {
            ObjectNode c = cpu.addObject();
            cpuJson(c.putObject("cistern"), r.cistern().get(i).cpu());
            cpuJson(c.putObject("baseline"), r.baseline().get(i).cpu());
        }
        SyncBenchmark.Latency l = r.latency();
        ObjectNode latency = n.putObject("latency");
        latency.put("offeredPerSecond", Math.round(l.offeredPerSecond()))
                .put("achievedPerSecond", Math.round(l.achievedPerSecond()))
                .put("writes", l.writes())
                .put("failedWrites", l.failedWrites())
                .put("durationSeconds", o.duration().toSeconds())
                .put("p50Ms", round3(l.p50Ms()))
                .put("p99Ms", round3(l.p99Ms()))
                .put("maxMs", round3(l.maxMs()))
                .put("ackedP50Ms", round3(l.ackedP50Ms()))
                .put("ackedP99Ms", round3(l.ackedP99Ms()))
                .put("goalP99Ms", 250);
        cpuJson(latency.putObject("cpuCores"), l.cpu());
        n.put(
                "baseline",
                "the same rows upserted by a Java loop: unnest text[] arrays, 1,000-row batches, one"
                        + " transaction each, 2 connections; same table, indexes, version guard and tombstone NOT EXISTS");
        n.put("baselineSql", r.baselineSql());
    }

    private static void cpuJson(ObjectNode node, CpuMeter.Use use) {
        node.put("jvm", round3(use.jvm()))
                .put("redis", round3(use.redis()))
                .put("postgres", round3(use.postgres()))
                .put("machine", round3(use.machine()));
    }

    private static double round3(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    private static void rounds(ArrayNode array, List<Double> values) {
        values.forEach(v -> array.add(Math.round(v)));
    }
}
