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
        ProgressBar bar = new ProgressBar(err, "write", 2 * rounds);
        WriteBenchmark.Result r = new WriteBenchmark(redis).run(options, bar::update);
        bar.done();
        if (json) {
            ObjectNode root = ExactJson.mapper().createObjectNode();
            ObjectNode w = root.putObject("write");
            w.put("writes", writes)
                    .put("pipeline", pipeline)
                    .put("columns", columns)
                    .put("valueBytes", valueBytes)
                    .put("rounds", rounds)
                    .put("redisVersion", r.redisVersion());
            w.put("cisternWritesPerSecond", Math.round(r.cisternMedian()));
            w.put("baselineWritesPerSecond", Math.round(r.baselineMedian()));
            w.put("ratio", Math.round(r.ratio() * 1000) / 1000.0);
            ArrayNode c = w.putArray("cisternRounds");
            r.cistern().forEach(v -> c.add(Math.round(v)));
            ArrayNode b = w.putArray("baselineRounds");
            r.baseline().forEach(v -> b.add(Math.round(v)));
            w.put(
                    "baseline",
                    "redis-benchmark -c 1 -P " + pipeline + " FCALL cistern_put_v1 (same record, same" + " payload)");
            out.println(ExactJson.mapper().writeValueAsString(root));
        } else {
            out.printf("| scenario | Cistern | baseline | ratio | baseline is |%n");
            out.printf("|---|---:|---:|---:|---|%n");
            out.printf(
                    "| write (%d cols x %d B, pipeline %d) | %,.0f writes/s | %,.0f writes/s | %.2f |"
                            + " redis-benchmark, same FCALL, 1 connection |%n",
                    columns, valueBytes, pipeline, r.cisternMedian(), r.baselineMedian(), r.ratio());
            out.printf(
                    "%nmedians of %d alternating rounds of %,d writes; Redis %s; rounds: Cistern %s, baseline %s%n",
                    rounds, writes, r.redisVersion(), Stats.list(r.cistern()), Stats.list(r.baseline()));
        }
        out.flush();
        return 0;
    }
}
