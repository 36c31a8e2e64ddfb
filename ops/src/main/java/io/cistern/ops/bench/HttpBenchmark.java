package io.cistern.ops.bench;

import io.cistern.connections.RedisDeployment;
import io.cistern.connections.RedisSettings;
import io.cistern.schema.codec.ExactJson;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.writer.RecordKey;
import io.cistern.writer.RecordWriter;
import io.cistern.writer.Write;
import io.cistern.writer.WriterSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The {@code http} scenario: the writer API ({@code cistern writer-api}) started as a child JVM on a free port against
 * the bench's Redis, driven over HTTP with single {@code PUT}s on {@code connections} keep-alive connections and with
 * batch requests of {@code batchSize} writes on {@code batchConnections}; beside it, in the same run and alternating,
 * the in-process writer doing the same writes: {@code writeAsync} with as many in flight as there are connections, and
 * {@code writeAll} in batches of the same size from as many concurrent callers.
 *
 * <p>Every write is the {@code write} scenario's: the same record ({@value WriteBenchmark#TABLE}, key 1, {@code
 * columns} text columns of {@code valueBytes}), so every side does identical work in Redis. Per phase it reports writes
 * per second, and the CPU per write of the server JVM (from {@code /proc/<pid>/stat} of the child), of Redis, and of
 * this JVM (the driver during the HTTP phases; the producer during the in-process ones).
 */
final class HttpBenchmark {
    /** What to run. */
    record Options(
            int writes,
            int connections,
            int batchConnections,
            int batchSize,
            int columns,
            int valueBytes,
            int rounds,
            List<String> serverJvmOptions) {
        Options {
            if (writes < 1
                    || connections < 1
                    || batchConnections < 1
                    || batchSize < 1
                    || columns < 1
                    || valueBytes < 1
                    || rounds < 1) {
                throw new IllegalArgumentException("the http scenario's sizes must be positive");
            }
            serverJvmOptions = List.copyOf(serverJvmOptions);
        }
    }

    /**
     * One measured phase: writes per second, latency per request (HTTP phases; NaN in-process), errors (answers other
     * than 202, or a failed write), and the CPU used, in cores: the server JVM (0 in-process), this JVM, Redis.
     */
    record Phase(
            double writesPerSecond,
            double p50Ms,
            double p99Ms,
            int errors,
            String firstError,
            double serverCores,
            double benchCores,
            double redisCores) {
        double serverMicrosPerWrite() {
            return 1e6 * serverCores / writesPerSecond;
        }

        double benchMicrosPerWrite() {
            return 1e6 * benchCores / writesPerSecond;
        }

        double redisMicrosPerWrite() {
            return 1e6 * redisCores / writesPerSecond;
        }
    }

    /** One round: the four phases, in the order they ran. */
    record Round(Phase single, Phase writeAsync, Phase batch, Phase writeAll) {}

    /** The measured rounds, and the server JVM's command line and PID (stopped by the time this is returned). */
    record Result(
            Options options, List<Round> rounds, List<String> serverCommand, long serverPid, String redisVersion) {
        double median(java.util.function.Function<Round, Phase> phase, java.util.function.ToDoubleFunction<Phase> f) {
            return Stats.median(
                    rounds.stream().map(phase).map(p -> f.applyAsDouble(p)).toList());
        }

        int errors() {
            return rounds.stream()
                    .mapToInt(r -> r.single().errors()
                            + r.batch().errors()
                            + r.writeAsync().errors()
                            + r.writeAll().errors())
                    .sum();
        }

        double singleRatio() {
            return median(Round::single, Phase::writesPerSecond) / median(Round::writeAsync, Phase::writesPerSecond);
        }

        double batchRatio() {
            return median(Round::batch, Phase::writesPerSecond) / median(Round::writeAll, Phase::writesPerSecond);
        }
    }

    /** The single-PUT figures' goals (issue 22): the server JVM's CPU per write, and writes/s vs writeAsync. */
    static final double GOAL_SERVER_MICROS_PER_WRITE = 100;

    static final double GOAL_SINGLE_RATIO = 0.3;
    static final double GOAL_BATCH_RATIO = 0.7;

    private static final String PATH = "/v1/tables/" + WriteBenchmark.TABLE + "/records/1";
    private static final String BATCH_PATH = "/v1/tables/" + WriteBenchmark.TABLE + "/records:batch";

    private final RedisSettings redis;
    private final Map<String, String> environment;
    private final List<String> launcher;
    private final KeyLayout layout = BenchRedis.scratchLayout();

    /**
     * @param environment the bench's environment (with its connection options), handed to the server
     * @param launcher how to start a {@code cistern} command in a new JVM: {@code java [flags] -jar <launcher>} or
     *     {@code java [flags] -cp <class path> <main class>}; the JVM options of {@link Options#serverJvmOptions()} go
     *     after its first element
     */
    HttpBenchmark(RedisSettings redis, Map<String, String> environment, List<String> launcher) {
        this.redis = redis;
        this.environment = environment;
        this.launcher = List.copyOf(launcher);
    }

    /** Steps reported to {@code progress}: the server's start, then four per round. */
    static int steps(Options o) {
        return 1 + 4 * o.rounds();
    }

    Result run(Options o, IntConsumer progress) {
        RedisDeployment admin = RedisDeployment.open(redis);
        Path log = null;
        Process server = null;
        try {
            WriteBenchmark.prepare(admin, layout, o.columns(), o.valueBytes());
            String version =
                    SyncBenchmark.redisVersion(admin.masterFor(layout.meta(0)).sync());
            int port = freePort();
            List<String> command = serverCommand(o, port);
            log = Files.createTempFile("cistern-bench-writer-api-", ".log");
            ProcessBuilder builder =
                    new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
            Map<String, String> env = builder.environment();
            env.clear();
            env.putAll(environment);
            env.put("CISTERN_PREFIX", layout.prefix());
            // The bench drives the API without a token.
            env.remove("CISTERN_WRITER_TOKEN");
            env.remove("CISTERN_WRITER_TOKEN_FILE");
            server = builder.start();
            HttpLoad load = new HttpLoad("127.0.0.1", port);
            awaitReady(server, load, log);
            progress.accept(1);
            Map<String, Object> columns = WriteBenchmark.payload(o.columns(), o.valueBytes());
            byte[] single = load.request("PUT", PATH, ExactJson.mapper().writeValueAsBytes(columns));
            byte[] batch = load.request("POST", BATCH_PATH, batchBody(columns, o.batchSize()));
            Write write = Write.put(WriteBenchmark.TABLE, RecordKey.of(1L), columns);
            List<Write> writes = java.util.Collections.nCopies(o.batchSize(), write);
            CpuMeter meter = new CpuMeter(admin);
            long pid = server.pid();
            List<Round> rounds = new ArrayList<>();
            try (RecordWriter writer =
                    RecordWriter.connect(new WriterSettings(redis, layout, WriterSettings.DEFAULT_REGISTRY_REFRESH))) {
                // Warm-up: the server's and this JVM's JIT, connections; not measured. Twice the round's writes,
                // since the server starts cold.
                int warmUp = Math.min(Math.max(2 * o.writes(), 2_000), 100_000);
                load.run(single, warmUp, o.connections(), 202);
                load.run(batch, Math.max(1, warmUp / o.batchSize()), o.batchConnections(), 202);
                WriteBenchmark.runWindow(writer, write, warmUp, o.connections());
                runBatches(writer, writes, warmUp, o.batchConnections());
                admin.sync().del(layout.stream(0));
                int batchRequests = Math.max(1, o.writes() / o.batchSize());
                for (int round = 0; round < o.rounds(); round++) {
                    Phase s = measure(meter, pid, () -> {
                        HttpLoad.Outcome out = load.run(single, o.writes(), o.connections(), 202);
                        return http(out, 1);
                    });
                    progress.accept(2 + 4 * round);
                    Phase a = measure(meter, pid, () -> {
                        double rate = WriteBenchmark.runWindow(writer, write, o.writes(), o.connections());
                        return new Phase(rate, Double.NaN, Double.NaN, 0, null, 0, 0, 0);
                    });
                    progress.accept(3 + 4 * round);
                    Phase b = measure(meter, pid, () -> {
                        HttpLoad.Outcome out = load.run(batch, batchRequests, o.batchConnections(), 202);
                        return http(out, o.batchSize());
                    });
                    progress.accept(4 + 4 * round);
                    Phase w = measure(
                            meter,
                            pid,
                            () -> runBatches(writer, writes, batchRequests * o.batchSize(), o.batchConnections()));
                    progress.accept(5 + 4 * round);
                    rounds.add(new Round(s, a, b, w));
                    admin.sync().del(layout.stream(0));
                }
            }
            return new Result(o, rounds, command, pid, version);
        } catch (IOException e) {
            throw new UncheckedIOException("bench http: " + e.getMessage(), e);
        } finally {
            try {
                stop(server);
                if (log != null) {
                    Files.deleteIfExists(log);
                }
            } catch (IOException e) {
                // A leftover log in the temporary directory is harmless.
            } finally {
                try {
                    WriteBenchmark.cleanUp(admin, layout);
                } finally {
                    admin.close();
                }
            }
        }
    }

    /** The server's command: the launcher with the server JVM options, then {@code writer-api --port}. */
    private List<String> serverCommand(Options o, int port) {
        List<String> command = new ArrayList<>();
        command.add(launcher.getFirst());
        command.addAll(o.serverJvmOptions());
        command.addAll(launcher.subList(1, launcher.size()));
        command.addAll(List.of("writer-api", "--port", Integer.toString(port)));
        return command;
    }

    private static Phase http(HttpLoad.Outcome out, int writesPerRequest) {
        double[] ms = out.latencyMs();
        return new Phase(
                out.perSecond() * writesPerRequest,
                ms.length == 0 ? Double.NaN : Stats.percentile(ms, 50),
                ms.length == 0 ? Double.NaN : Stats.percentile(ms, 99),
                out.errors(),
                out.firstError(),
                0,
                0,
                0);
    }

    /** Runs {@code work} and adds the CPU it cost: the server's (the child's {@code /proc} figure), this JVM's, Redis'. */
    private static Phase measure(CpuMeter meter, long serverPid, java.util.function.Supplier<Phase> work) {
        double serverBefore = CpuMeter.processTreeSeconds(serverPid);
        CpuMeter.Snapshot before = meter.take();
        Phase p = work.get();
        CpuMeter.Use use = meter.since(before);
        double server = (CpuMeter.processTreeSeconds(serverPid) - serverBefore) / use.seconds();
        return new Phase(
                p.writesPerSecond(), p.p50Ms(), p.p99Ms(), p.errors(), p.firstError(), server, use.jvm(), use.redis());
    }

    /**
     * {@code writes} writes in {@code writeAll} batches of {@code batch.size()}, from {@code callers} concurrent
     * callers; writes per second, with failed writes counted as errors.
     */
    private static Phase runBatches(RecordWriter writer, List<Write> batch, int writes, int callers) {
        int batches = Math.max(1, writes / batch.size());
        AtomicInteger next = new AtomicInteger();
        AtomicInteger errors = new AtomicInteger();
        AtomicReference<String> firstError = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>(callers);
        long start = System.nanoTime();
        for (int c = 0; c < callers; c++) {
            threads.add(Thread.ofVirtual().start(() -> {
                while (next.getAndIncrement() < batches) {
                    var receipt = writer.writeAll(batch);
                    if (!receipt.allSucceeded()) {
                        errors.addAndGet(receipt.failures().size());
                        firstError.compareAndSet(
                                null,
                                receipt.failures().values().iterator().next().toString());
                    }
                }
            }));
        }
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
        double rate = (double) batches * batch.size() / ((System.nanoTime() - start) / 1e9);
        return new Phase(rate, Double.NaN, Double.NaN, errors.get(), firstError.get(), 0, 0, 0);
    }

    private static byte[] batchBody(Map<String, Object> columns, int size) {
        ObjectNode body = ExactJson.mapper().createObjectNode();
        ArrayNode writes = body.putArray("writes");
        for (int i = 0; i < size; i++) {
            ObjectNode w = writes.addObject().put("op", "put").put("key", "1");
            ObjectNode c = w.putObject("columns");
            columns.forEach((name, value) -> c.put(name, value.toString()));
        }
        return ExactJson.mapper().writeValueAsBytes(body);
    }

    /** Waits up to 300 s (a loaded machine starts a JVM slowly) for {@code /actuator/health/readiness} to answer 200; fails at once if the server exits. */
    private static void awaitReady(Process server, HttpLoad load, Path log) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
        while (load.status("/actuator/health/readiness") != 200) {
            if (!server.isAlive() || System.nanoTime() > deadline) {
                List<String> lines = Files.readAllLines(log);
                String tail = String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
                throw new IllegalStateException("bench http: the writer API "
                        + (server.isAlive() ? "was not ready within 300 s" : "exited with " + server.exitValue())
                        + "; its output ends with:\n" + tail);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
        }
    }

    /** Stops the server (SIGTERM, then SIGKILL after 30 s). */
    private static void stop(Process server) {
        if (server == null) {
            return;
        }
        server.destroy();
        try {
            if (!server.waitFor(30, TimeUnit.SECONDS)) {
                server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            server.destroyForcibly();
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The server JVM options of {@code CISTERN_BENCH_SERVER_JAVA_OPTS} (split at white space), or none. */
    static List<String> serverJvmOptions(Map<String, String> environment) {
        String opts =
                environment.getOrDefault("CISTERN_BENCH_SERVER_JAVA_OPTS", "").strip();
        return opts.isEmpty() ? List.of() : Arrays.asList(opts.split("\\s+"));
    }

    /** The scenario's JSON object (see docs/benchmarks.md, "http"). */
    static void json(ObjectNode root, Result r) {
        Options o = r.options();
        ObjectNode n = root.putObject("http");
        n.put("writes", o.writes())
                .put("connections", o.connections())
                .put("batchConnections", o.batchConnections())
                .put("batchSize", o.batchSize())
                .put("columns", o.columns())
                .put("valueBytes", o.valueBytes())
                .put("rounds", o.rounds())
                .put("redisVersion", r.redisVersion());
        n.put("serverPid", r.serverPid());
        ArrayNode command = n.putArray("serverCommand");
        r.serverCommand().forEach(command::add);
        n.put("singleWritesPerSecond", Math.round(r.median(Round::single, Phase::writesPerSecond)));
        n.put("writeAsyncWritesPerSecond", Math.round(r.median(Round::writeAsync, Phase::writesPerSecond)));
        n.put("singleRatio", Headline.round3(r.singleRatio()));
        n.put("batchWritesPerSecond", Math.round(r.median(Round::batch, Phase::writesPerSecond)));
        n.put("writeAllWritesPerSecond", Math.round(r.median(Round::writeAll, Phase::writesPerSecond)));
        n.put("batchRatio", Headline.round3(r.batchRatio()));
        n.put("goalBatchRatio", GOAL_BATCH_RATIO);
        n.put("batchGoalMet", r.batchRatio() >= GOAL_BATCH_RATIO);
        n.put("errors", r.errors());
        r.rounds().stream()
                .flatMap(x -> java.util.stream.Stream.of(x.single(), x.writeAsync(), x.batch(), x.writeAll()))
                .map(Phase::firstError)
                .filter(java.util.Objects::nonNull)
                .findFirst()
                .ifPresent(e -> n.put("firstError", e));
        ObjectNode latency = n.putObject("latencyMs");
        latency.putObject("single")
                .put("p50", Headline.round3(r.median(Round::single, Phase::p50Ms)))
                .put("p99", Headline.round3(r.median(Round::single, Phase::p99Ms)));
        latency.putObject("batch")
                .put("p50", Headline.round3(r.median(Round::batch, Phase::p50Ms)))
                .put("p99", Headline.round3(r.median(Round::batch, Phase::p99Ms)));
        ObjectNode cpu = n.putObject("cpuMicrosPerWrite");
        cpu.putObject("single")
                .put("serverJvm", Headline.round3(r.median(Round::single, Phase::serverMicrosPerWrite)))
                .put("redis", Headline.round3(r.median(Round::single, Phase::redisMicrosPerWrite)))
                .put("driverJvm", Headline.round3(r.median(Round::single, Phase::benchMicrosPerWrite)));
        cpu.putObject("writeAsync")
                .put("producerJvm", Headline.round3(r.median(Round::writeAsync, Phase::benchMicrosPerWrite)))
                .put("redis", Headline.round3(r.median(Round::writeAsync, Phase::redisMicrosPerWrite)));
        cpu.putObject("batch")
                .put("serverJvm", Headline.round3(r.median(Round::batch, Phase::serverMicrosPerWrite)))
                .put("redis", Headline.round3(r.median(Round::batch, Phase::redisMicrosPerWrite)))
                .put("driverJvm", Headline.round3(r.median(Round::batch, Phase::benchMicrosPerWrite)));
        cpu.putObject("writeAll")
                .put("producerJvm", Headline.round3(r.median(Round::writeAll, Phase::benchMicrosPerWrite)))
                .put("redis", Headline.round3(r.median(Round::writeAll, Phase::redisMicrosPerWrite)));
        double serverMicros = r.median(Round::single, Phase::serverMicrosPerWrite);
        n.put("goalSingleServerMicrosPerWrite", GOAL_SERVER_MICROS_PER_WRITE);
        n.put("singleServerCpuGoalMet", serverMicros <= GOAL_SERVER_MICROS_PER_WRITE);
        ArrayNode rounds = n.putArray("roundsDetail");
        for (Round x : r.rounds()) {
            ObjectNode round = rounds.addObject();
            phaseJson(round.putObject("single"), x.single());
            phaseJson(round.putObject("writeAsync"), x.writeAsync());
            phaseJson(round.putObject("batch"), x.batch());
            phaseJson(round.putObject("writeAll"), x.writeAll());
        }
        new Headline(
                        "single PUT writes per second over HTTP, " + o.connections() + " keep-alive connections",
                        "writes/s",
                        r.median(Round::single, Phase::writesPerSecond),
                        r.median(Round::writeAsync, Phase::writesPerSecond),
                        true,
                        "the same writes through the in-process RecordWriter.writeAsync, " + o.connections()
                                + " in flight",
                        GOAL_SINGLE_RATIO)
                .putInto(n);
    }

    private static void phaseJson(ObjectNode node, Phase p) {
        node.put("writesPerSecond", Math.round(p.writesPerSecond()))
                .put("errors", p.errors())
                .put("serverCores", Headline.round3(p.serverCores()))
                .put("benchJvmCores", Headline.round3(p.benchCores()))
                .put("redisCores", Headline.round3(p.redisCores()));
        if (!Double.isNaN(p.p50Ms())) {
            node.put("p50Ms", Headline.round3(p.p50Ms())).put("p99Ms", Headline.round3(p.p99Ms()));
        }
    }

    /** The Markdown rows and notes. */
    static void rows(java.io.PrintWriter out, Result r) {
        Options o = r.options();
        String shape = o.columns() + " cols x " + o.valueBytes() + " B";
        out.printf(
                "| http: single PUT, %d keep-alive connections (%s) | %,.0f writes/s | %,.0f writes/s | %.2f | writeAsync,"
                        + " %d in flight, in process |%n",
                o.connections(),
                shape,
                r.median(Round::single, Phase::writesPerSecond),
                r.median(Round::writeAsync, Phase::writesPerSecond),
                r.singleRatio(),
                o.connections());
        out.printf(
                "| http: batches of %d, %d concurrent (%s) | %,.0f writes/s | %,.0f writes/s | %.2f | writeAll, batches of"
                        + " %d from %d callers, in process |%n",
                o.batchSize(),
                o.batchConnections(),
                shape,
                r.median(Round::batch, Phase::writesPerSecond),
                r.median(Round::writeAll, Phase::writesPerSecond),
                r.batchRatio(),
                o.batchSize(),
                o.batchConnections());
    }

    static void notes(java.io.PrintWriter out, Result r) {
        out.printf(
                java.util.Locale.ROOT,
                "%nhttp: medians of %d rounds of %,d writes; errors %d; latency single p50 %.2f ms p99 %.2f ms, batch"
                        + " p50 %.2f ms p99 %.2f ms%n",
                r.options().rounds(),
                r.options().writes(),
                r.errors(),
                r.median(Round::single, Phase::p50Ms),
                r.median(Round::single, Phase::p99Ms),
                r.median(Round::batch, Phase::p50Ms),
                r.median(Round::batch, Phase::p99Ms));
        out.printf(
                java.util.Locale.ROOT,
                "  CPU per write, µs: single PUT server JVM %.1f, Redis %.1f, driver %.1f; writeAsync producer JVM"
                        + " %.1f, Redis %.1f; batch server JVM %.1f, Redis %.1f, driver %.1f; writeAll producer JVM"
                        + " %.1f, Redis %.1f%n",
                r.median(Round::single, Phase::serverMicrosPerWrite),
                r.median(Round::single, Phase::redisMicrosPerWrite),
                r.median(Round::single, Phase::benchMicrosPerWrite),
                r.median(Round::writeAsync, Phase::benchMicrosPerWrite),
                r.median(Round::writeAsync, Phase::redisMicrosPerWrite),
                r.median(Round::batch, Phase::serverMicrosPerWrite),
                r.median(Round::batch, Phase::redisMicrosPerWrite),
                r.median(Round::batch, Phase::benchMicrosPerWrite),
                r.median(Round::writeAll, Phase::benchMicrosPerWrite),
                r.median(Round::writeAll, Phase::redisMicrosPerWrite));
        out.printf("  server: %s%n", String.join(" ", r.serverCommand()));
    }
}
