package io.cistern.ops.bench;

import io.cistern.connections.RedisSettings;
import io.cistern.schema.codec.ExactJson;
import java.io.PrintWriter;
import java.util.List;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** Runs the chosen scenarios and reports them as a Markdown table or one JSON object. */
public final class BenchmarkRunner {
    private final RedisSettings redis;
    private final PrintWriter out;
    private final PrintWriter err;

    public BenchmarkRunner(RedisSettings redis, PrintWriter out, PrintWriter err) {
        this.redis = redis;
        this.out = out;
        this.err = err;
    }

    public int run(
            List<String> scenarios, int writes, int pipeline, int columns, int valueBytes, int rounds, boolean json) {
        for (String s : scenarios) {
            if (!s.equals("write")) {
                throw new IllegalArgumentException("unknown scenario '" + s + "'; available: write");
            }
        }
        WriteBenchmark.Options options = new WriteBenchmark.Options(writes, pipeline, columns, valueBytes, rounds);
        ProgressBar bar = new ProgressBar(err, "write", 3 * rounds);
        WriteBenchmark.Result r = new WriteBenchmark(redis).run(options, bar::update);
        bar.done();
        if (json) {
            out.println(ExactJson.mapper().writeValueAsString(toJson(r)));
        } else {
            String shape = columns + " cols x " + valueBytes + " B";
            String baseline = "redis-benchmark -c 1 -P " + pipeline + ", same FCALL";
            out.printf("| scenario | Cistern | baseline | ratio | baseline is |%n");
            out.printf("|---|---:|---:|---:|---|%n");
            out.printf(
                    "| write: writeAsync, %d in flight (%s) | %,.0f writes/s | %,.0f writes/s | %.2f | %s |%n",
                    pipeline, shape, r.cisternMedian(), r.baselineMedian(), r.ratio(), baseline);
            out.printf(
                    "| write: writeAll, batches of %d (%s) | %,.0f writes/s | %,.0f writes/s | %.2f | %s |%n",
                    pipeline, shape, r.cisternBatchesMedian(), r.baselineMedian(), r.batchesRatio(), baseline);
            out.printf(
                    "%nmedians of %d alternating rounds of %,d writes each; Redis %s; per round: writeAsync %s,"
                            + " writeAll %s, baseline %s%n",
                    rounds,
                    writes,
                    r.redisVersion(),
                    Stats.list(r.cistern()),
                    Stats.list(r.cisternBatches()),
                    Stats.list(r.baseline()));
        }
        out.flush();
        return 0;
    }

    private static ObjectNode toJson(WriteBenchmark.Result r) {
        WriteBenchmark.Options o = r.options();
        ObjectNode root = ExactJson.mapper().createObjectNode();
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
        w.put("ratio", Math.round(r.ratio() * 1000) / 1000.0);
        w.put("batchRatio", Math.round(r.batchesRatio() * 1000) / 1000.0);
        rounds(w.putArray("cisternRounds"), r.cistern());
        rounds(w.putArray("cisternBatchRounds"), r.cisternBatches());
        rounds(w.putArray("baselineRounds"), r.baseline());
        w.put(
                "baseline",
                "redis-benchmark -c 1 -P " + o.pipeline() + " FCALL cistern_put_v1 (same record, same payload)");
        return root;
    }

    private static void rounds(ArrayNode array, List<Double> values) {
        values.forEach(v -> array.add(Math.round(v)));
    }
}
