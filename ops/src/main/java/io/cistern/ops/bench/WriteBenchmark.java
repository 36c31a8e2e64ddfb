package io.cistern.ops.bench;

import io.cistern.connections.RedisDeployment;
import io.cistern.connections.RedisSettings;
import io.cistern.schema.function.BufferLimits;
import io.cistern.schema.function.FunctionLibrary;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.registry.ColumnDef;
import io.cistern.schema.registry.RedisRegistry;
import io.cistern.schema.registry.SqlType;
import io.cistern.schema.registry.TableDef;
import io.cistern.schema.registry.TableRegistry;
import io.cistern.writer.RecordKey;
import io.cistern.writer.RecordWriter;
import io.cistern.writer.Write;
import io.cistern.writer.WriteReceipt;
import io.cistern.writer.WriterSettings;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;
import java.util.function.Supplier;

/**
 * The {@code write} scenario: {@link RecordWriter} pipelined puts against {@code redis-benchmark} running the very same
 * FCALL (same record, same payload, one connection, same pipeline depth), alternating, in the same run.
 *
 * <p>Both sides put the same record over and over, so both do identical work per call: validate, assign a version,
 * rewrite the hash, append a stream entry. The stream is emptied between rounds so memory stays flat.
 *
 * <p>The writer is measured two ways, both with at most {@code pipeline} writes in flight on one connection: {@code
 * writeAsync} with a sliding window (a new write is sent as soon as one completes, the way a producer streams writes),
 * and {@code writeAll} in synchronous batches of {@code pipeline} (send a batch, wait for all its replies, as {@code
 * redis-benchmark -P} does).
 */
final class WriteBenchmark {
    static final String TABLE = "bench_records";

    /** What to run. */
    record Options(int writes, int pipeline, int columns, int valueBytes, int rounds, Duration latencyDuration) {
        Options {
            if (writes < 1 || pipeline < 1 || columns < 1 || valueBytes < 1 || rounds < 1) {
                throw new IllegalArgumentException(
                        "writes, pipeline, columns, value bytes and rounds must be positive");
            }
            if (latencyDuration.isNegative() || latencyDuration.isZero()) {
                throw new IllegalArgumentException("the latency phase's duration must be positive");
            }
        }
    }

    /**
     * Write latency at a fixed offered rate: from the moment a write was due to be sent (so a sender that falls behind
     * counts against it) to its reply, in milliseconds, nearest-rank percentiles.
     */
    record Latency(
            double offeredPerSecond, double achievedPerSecond, int writes, double p50Ms, double p99Ms, double maxMs) {}

    /** Writes per second of each side per round, and their medians. */
    record Result(
            Options options,
            List<Double> cistern,
            List<Double> cisternBatches,
            List<Double> baseline,
            Latency cisternLatency,
            Latency baselineLatency,
            String redisVersion) {
        double cisternMedian() {
            return Stats.median(cistern);
        }

        double cisternBatchesMedian() {
            return Stats.median(cisternBatches);
        }

        double batchesRatio() {
            return cisternBatchesMedian() / baselineMedian();
        }

        double baselineMedian() {
            return Stats.median(baseline);
        }

        double ratio() {
            return cisternMedian() / baselineMedian();
        }
    }

    private final RedisSettings redis;
    private final KeyLayout layout;

    WriteBenchmark(RedisSettings redis) {
        this.redis = redis;
        this.layout = BenchRedis.scratchLayout();
    }

    Result run(Options o, IntConsumer progress) {
        RedisDeployment admin = RedisDeployment.open(redis);
        try {
            RedisClusterCommands<String, String> r = admin.sync();
            prepare(admin, layout, o.columns(), o.valueBytes());
            RedisDeployment.Master master = admin.masterFor(layout.meta(0));
            String version = SyncBenchmark.redisVersion(master.sync());
            Map<String, Object> columns = payload(o);
            List<Double> cistern = new ArrayList<>();
            List<Double> batches = new ArrayList<>();
            List<Double> baseline = new ArrayList<>();
            try (RecordWriter writer =
                    RecordWriter.connect(new WriterSettings(redis, layout, WriterSettings.DEFAULT_REGISTRY_REFRESH))) {
                // Warm-up: JIT and connections, not measured.
                Options warmUp = new Options(
                        Math.min(o.writes(), 20_000),
                        o.pipeline(),
                        o.columns(),
                        o.valueBytes(),
                        1,
                        o.latencyDuration());
                runWindow(writer, columns, warmUp);
                runBatches(writer, columns, warmUp);
                r.del(layout.stream(0));
                for (int round = 0; round < o.rounds(); round++) {
                    cistern.add(runWindow(writer, columns, o));
                    r.del(layout.stream(0));
                    progress.accept(3 * round + 1);
                    batches.add(runBatches(writer, columns, o));
                    r.del(layout.stream(0));
                    progress.accept(3 * round + 2);
                    baseline.add(runRedisBenchmark(o, columns, master));
                    r.del(layout.stream(0));
                    progress.accept(3 * round + 3);
                }
                // Latency at half the same-run Redis ceiling: a load both sides sustain with room to spare.
                double rate = Stats.median(baseline) / 2;
                Write write = Write.put(TABLE, RecordKey.of(1L), columns);
                Supplier<CompletableFuture<?>> cisternSend = () -> writer.writeAsync(write);
                paced(rate, warmUpLatency(o), cisternSend);
                r.del(layout.stream(0));
                Latency cisternLatency = paced(rate, o, cisternSend);
                r.del(layout.stream(0));
                progress.accept(3 * o.rounds() + 1);
                RedisClusterAsyncCommands<String, String> async = admin.async();
                String[] keys = {layout.record(0, TABLE, "1"), layout.stream(0), layout.meta(0)};
                String[] args = fcallArgs(columns);
                Supplier<CompletableFuture<?>> baselineSend =
                        () -> async.fcall("cistern_put_v1", ScriptOutputType.MULTI, keys, args)
                                .toCompletableFuture();
                paced(rate, warmUpLatency(o), baselineSend);
                r.del(layout.stream(0));
                Latency baselineLatency = paced(rate, o, baselineSend);
                r.del(layout.stream(0));
                progress.accept(3 * o.rounds() + 2);
                return new Result(o, cistern, batches, baseline, cisternLatency, baselineLatency, version);
            }
        } finally {
            try {
                cleanUp(admin);
            } finally {
                admin.close();
            }
        }
    }

    /**
     * Installs the Function library (on every master of a cluster), publishes the one-table registry ({@value #TABLE},
     * {@code columns} text columns) under {@code layout}, and seeds partition 0, where the benchmarks' record lives.
     */
    static void prepare(RedisDeployment admin, KeyLayout layout, int columns, int valueBytes) {
        admin.masters().forEach(m -> FunctionLibrary.install(m.sync()));
        TableRegistry registry = new TableRegistry(1, List.of(table(columns)));
        new RedisRegistry(admin.sync(), layout)
                .publish(registry, new BufferLimits(0, 0, Math.max(1 << 20, valueBytes * 2)));
        admin.sync().fcall(FunctionLibrary.SEED_FUNCTION, ScriptOutputType.INTEGER, new String[] {layout.meta(0)}, "0");
    }

    /** Steps reported to {@code progress}: three per round and the two latency phases. */
    static int steps(Options o) {
        return 3 * o.rounds() + 2;
    }

    /** One second of the paced loop, unmeasured, so that neither side is timed while its code is still interpreted. */
    private static Options warmUpLatency(Options o) {
        Duration d =
                o.latencyDuration().compareTo(Duration.ofSeconds(1)) < 0 ? o.latencyDuration() : Duration.ofSeconds(1);
        return new Options(o.writes(), o.pipeline(), o.columns(), o.valueBytes(), 1, d);
    }

    /** The FCALL's arguments after the keys, exactly as redis-benchmark sends them. */
    private static String[] fcallArgs(Map<String, Object> columns) {
        List<String> args = new ArrayList<>(List.of(TABLE, "1"));
        columns.forEach((name, value) -> {
            args.add(name);
            args.add("\"" + value + "\"");
        });
        return args.toArray(String[]::new);
    }

    /**
     * Offers writes at {@code rate} per second for the latency duration, at most {@code pipeline} in flight on the one
     * connection, and measures each from its due time to its reply.
     */
    private static Latency paced(double rate, Options o, Supplier<CompletableFuture<?>> send) {
        int total = (int)
                Math.max(1, Math.min(50_000_000, rate * o.latencyDuration().toNanos() / 1e9));
        double[] millis = new double[total];
        Semaphore inFlight = new Semaphore(o.pipeline());
        AtomicReference<Throwable> failure = new AtomicReference<>();
        double interval = 1e9 / rate;
        long start = System.nanoTime();
        for (int i = 0; i < total && failure.get() == null; i++) {
            long due = start + (long) (i * interval);
            long wait = due - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            inFlight.acquireUninterruptibly();
            int index = i;
            send.get().whenComplete((reply, t) -> {
                if (t != null) {
                    failure.compareAndSet(null, t);
                }
                millis[index] = (System.nanoTime() - due) / 1e6;
                inFlight.release();
            });
        }
        inFlight.acquireUninterruptibly(o.pipeline());
        double achieved = total / ((System.nanoTime() - start) / 1e9);
        if (failure.get() != null) {
            throw new IllegalStateException("a benchmark write failed: " + failure.get(), failure.get());
        }
        return new Latency(
                rate,
                achieved,
                total,
                Stats.percentile(millis, 50),
                Stats.percentile(millis, 99),
                Arrays.stream(millis).max().orElse(0));
    }

    private static TableDef table(int columns) {
        List<ColumnDef> defs = new ArrayList<>();
        defs.add(new ColumnDef("id", SqlType.BIGINT, false, false, 0));
        for (int i = 0; i < columns; i++) {
            defs.add(new ColumnDef("c" + i, SqlType.TEXT, true, false, 0));
        }
        return new TableDef(TABLE, defs, List.of("id"), 1, Optional.empty());
    }

    private static Map<String, Object> payload(Options o) {
        return payload(o.columns(), o.valueBytes());
    }

    /** The record every write carries: columns {@code c0..c<n-1>}, each {@code valueBytes} of {@code x}. */
    static Map<String, Object> payload(int columns, int valueBytes) {
        Map<String, Object> payload = new LinkedHashMap<>();
        for (int i = 0; i < columns; i++) {
            payload.put("c" + i, "x".repeat(valueBytes));
        }
        return payload;
    }

    /** writeAsync with at most {@code pipeline} writes in flight. */
    private static double runWindow(RecordWriter writer, Map<String, Object> columns, Options o) {
        return runWindow(writer, Write.put(TABLE, RecordKey.of(1L), columns), o.writes(), o.pipeline());
    }

    /** {@code writes} times {@code writeAsync(write)} with at most {@code window} in flight; writes per second. */
    static double runWindow(RecordWriter writer, Write write, int writes, int window) {
        Semaphore inFlight = new Semaphore(window);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        long start = System.nanoTime();
        for (int i = 0; i < writes && failure.get() == null; i++) {
            inFlight.acquireUninterruptibly();
            writer.writeAsync(write).whenComplete((receipt, t) -> {
                if (t != null) {
                    failure.compareAndSet(null, t);
                }
                inFlight.release();
            });
        }
        inFlight.acquireUninterruptibly(window);
        double rate = writes / ((System.nanoTime() - start) / 1e9);
        inFlight.release(window);
        if (failure.get() != null) {
            throw new IllegalStateException("a benchmark write failed: " + failure.get(), failure.get());
        }
        return rate;
    }

    /** writeAll in synchronous batches of {@code pipeline}. */
    private static double runBatches(RecordWriter writer, Map<String, Object> columns, Options o) {
        List<Write> batch = new ArrayList<>(o.pipeline());
        for (int i = 0; i < o.pipeline(); i++) {
            batch.add(Write.put(TABLE, RecordKey.of(1L), columns));
        }
        long start = System.nanoTime();
        int done = 0;
        while (done < o.writes()) {
            int n = Math.min(o.pipeline(), o.writes() - done);
            List<WriteReceipt> receipts = writer.writeAll(n == batch.size() ? batch : batch.subList(0, n))
                    .orThrow();
            done += receipts.size();
        }
        return done / ((System.nanoTime() - start) / 1e9);
    }

    /**
     * redis-benchmark's FCALL rate on {@code master}, the server holding partition 0 (on a cluster, the master serving
     * its slot: the FCALL's keys all carry its hash tag, so they are that node's own).
     */
    private double runRedisBenchmark(Options o, Map<String, Object> columns, RedisDeployment.Master master) {
        RedisURI uri = redis.uri();
        String host = uri.getHost();
        int port = uri.getPort();
        if (!master.nodeId().isEmpty()) {
            int colon = master.address().lastIndexOf(':');
            host = master.address().substring(0, colon);
            port = Integer.parseInt(master.address().substring(colon + 1));
        }
        List<String> cmd = new ArrayList<>(List.of(
                "redis-benchmark",
                "-h",
                host,
                "-p",
                Integer.toString(port),
                "-c",
                "1",
                "-P",
                Integer.toString(o.pipeline()),
                "-n",
                Integer.toString(o.writes()),
                "--csv"));
        if (uri.getCredentialsProvider() != null) {
            var credentials = uri.getCredentialsProvider().resolveCredentials().block();
            if (credentials != null && credentials.hasPassword()) {
                if (credentials.hasUsername()) {
                    cmd.addAll(List.of("--user", credentials.getUsername()));
                }
                cmd.addAll(List.of("-a", new String(credentials.getPassword())));
            }
        }
        if (uri.isSsl()) {
            cmd.add("--tls");
        }
        cmd.addAll(List.of(
                "FCALL",
                "cistern_put_v1",
                "3",
                layout.record(0, TABLE, "1"),
                layout.stream(0),
                layout.meta(0),
                TABLE,
                "1"));
        columns.forEach((name, value) -> {
            cmd.add(name);
            cmd.add("\"" + value + "\"");
        });
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                throw new IllegalStateException("redis-benchmark failed: " + out);
            }
            for (String line : out.lines().toList()) {
                if (line.startsWith("\"FCALL")) {
                    String[] fields = line.split("\",\"");
                    return Double.parseDouble(fields[1].replace("\"", ""));
                }
            }
            throw new IllegalStateException("redis-benchmark printed no result: " + out);
        } catch (IOException e) {
            throw new IllegalStateException(
                    "cannot run redis-benchmark (apt-get install redis-tools): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private void cleanUp(RedisDeployment admin) {
        cleanUp(admin, layout);
    }

    /** Deletes what {@link #prepare} and the writes created under {@code layout}. */
    static void cleanUp(RedisDeployment admin, KeyLayout layout) {
        // DEL splits the keys by slot on a cluster (the unpartitioned ones may live on another master).
        admin.sync()
                .del(
                        layout.stream(0),
                        layout.meta(0),
                        layout.record(0, TABLE, "1"),
                        layout.registry(),
                        layout.config());
    }
}
