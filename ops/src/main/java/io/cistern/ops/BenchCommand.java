package io.cistern.ops;

import io.cistern.ops.bench.BenchSettings;
import io.cistern.ops.bench.BenchmarkRunner;
import io.cistern.ops.bench.PinLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code ops/cistern bench}: scenarios measured against same-run baselines. */
@Command(
        name = "bench",
        mixinStandardHelpOptions = true,
        description = {
            "Run benchmark scenarios against the configured Redis and PostgreSQL, each beside a baseline doing the same"
                    + " work in the same run, and report ratios. The sync, memory and read scenarios create their own"
                    + " database (cistern_bench_<random>) and key prefix on the configured servers and drop them at"
                    + " the end.",
            "Scenarios (default: all):",
            "  write        RecordWriter pipelined puts vs redis-benchmark running the same FCALL with the same payload,"
                    + " one connection and the same pipeline depth.",
            "  sync-insert  sync workers draining a preloaded backlog of new records vs the same rows upserted by a"
                    + " Java unnest loop (1,000-row batches, 2 connections, same SQL); then write-to-commit latency at"
                    + " half the sustained rate.",
            "  sync-update  the same over a small set of hot keys, each updated many times.",
            "  memory       Redis bytes per buffered record (MEMORY USAGE and INFO used_memory) vs the same payload as a"
                    + " plain HSET hash and XADD entry; then the sync worker's heap while it drains that backlog.",
            "  read         CachedReader reads on a Zipf key mix vs the same keys read by a plain HGETALL loop and a"
                    + " plain primary-key SELECT loop.",
            "  http         the writer API started as a child JVM (writer-api on a free port), driven with single PUTs"
                    + " on keep-alive connections and with batch requests, vs the in-process RecordWriter doing the same"
                    + " writes (writeAsync as many in flight, writeAll the same batches); CPU per write of the server"
                    + " JVM and Redis. CISTERN_BENCH_SERVER_JAVA_OPTS adds JVM options to the server (a JFR"
                    + " recording, say).",
            "Sizes: with no scenario named, every scenario runs at the quick size (a few minutes on 2 cores); naming"
                    + " scenarios uses the full size. An option given here wins over both; defaults below read"
                    + " 'quick / full'."
        })
final class BenchCommand implements Callable<Integer> {
    @Mixin
    ConnectionOptions connection;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(
            arity = "0..*",
            paramLabel = "SCENARIO",
            description =
                    "Scenarios to run: write, sync-insert, sync-update, memory, read, http (default: all, at the quick"
                            + " size).")
    List<String> scenarios = List.of();

    @Option(names = "--writes", paramLabel = "N", description = "write: writes per round (default: 30,000 / 200,000).")
    Integer writes;

    @Option(names = "--pipeline", paramLabel = "N", description = "write: pipeline depth (default: ${DEFAULT-VALUE}).")
    int pipeline = 64;

    @Option(
            names = "--columns",
            paramLabel = "N",
            description = "write: columns per record (default: ${DEFAULT-VALUE}).")
    int columns = 4;

    @Option(
            names = "--value-bytes",
            paramLabel = "N",
            description = "Bytes per column value; in the sync, memory and read scenarios the width of filename and"
                    + " storage_uri (default: ${DEFAULT-VALUE}).")
    int valueBytes = 32;

    @Option(
            names = "--rounds",
            paramLabel = "N",
            description = "Alternating rounds; medians are reported (default: write 3 / 5; sync and memory 3).")
    Integer rounds;

    @Option(
            names = "--records",
            paramLabel = "N",
            description = "sync: entries preloaded per round; memory: records buffered per round (default: 20,000 /"
                    + " 50,000).")
    Integer records;

    @Option(
            names = "--keys",
            paramLabel = "N",
            description = "sync-update: hot keys the entries cycle over (default: ${DEFAULT-VALUE}).")
    int keys = 2_000;

    @Option(
            names = "--partitions",
            paramLabel = "N",
            description = "sync, memory, read: partitions of the bench's own Cistern (default: ${DEFAULT-VALUE}).")
    int partitions = 4;

    @Option(
            names = "--workers",
            paramLabel = "N",
            description = "sync: sync workers, in this process (default: ${DEFAULT-VALUE}).")
    int workers = 1;

    @Option(
            names = "--batch-size",
            paramLabel = "N",
            description = "sync, memory: the workers' batch size (default: ${DEFAULT-VALUE}).")
    int batchSize = 1_000;

    @Option(
            names = "--duration",
            paramLabel = "SECONDS",
            description = "sync: how long the latency phase offers writes; write: half of it (default: 5 / 10).")
    Integer durationSeconds;

    @Option(
            names = "--latency-share",
            paramLabel = "FRACTION",
            description = "sync: the latency phase offers this share of the drain rate the rounds sustained, above 0"
                    + " and at most 1 (default: ${DEFAULT-VALUE}).")
    double latencyShare = BenchSettings.DEFAULT_LATENCY_SHARE;

    @Option(
            names = "--read-keys",
            paramLabel = "N",
            description = "read: keys written once, then read (default: 10,000 / 100,000).")
    Integer readKeys;

    @Option(names = "--reads", paramLabel = "N", description = "read: reads per round (default: 30,000 / 100,000).")
    Integer reads;

    @Option(
            names = "--zipf",
            paramLabel = "S",
            description = "read: Zipf exponent of the key mix, 0 for uniform (default: ${DEFAULT-VALUE}).")
    double zipfExponent = 0.99;

    @Option(
            names = "--max-warm-up-pairs",
            paramLabel = "N",
            description = "sync: at most N unmeasured pairs of full-size rounds before the measured ones; fewer once"
                    + " the JIT has settled (default: ${DEFAULT-VALUE}).")
    int maxWarmUpPairs = BenchSettings.DEFAULT_MAX_WARM_UP_PAIRS;

    @Option(
            names = "--http-writes",
            paramLabel = "N",
            description = "http: writes per phase and round (default: 10,000 / 30,000).")
    Integer httpWrites;

    @Option(
            names = "--http-connections",
            paramLabel = "N",
            description = "http: keep-alive connections sending single PUTs, and writeAsync's writes in flight"
                    + " (default: ${DEFAULT-VALUE}).")
    int httpConnections = 100;

    @Option(
            names = "--http-batch-connections",
            paramLabel = "N",
            description = "http: concurrent batch requests, and writeAll's concurrent callers (default:"
                    + " ${DEFAULT-VALUE}).")
    int httpBatchConnections = 16;

    @Option(
            names = "--http-batch-size",
            paramLabel = "N",
            description = "http: writes per batch request and per writeAll (default: ${DEFAULT-VALUE}).")
    int httpBatchSize = 100;

    @Option(names = "--json", description = "Print one JSON object instead of a Markdown table.")
    boolean json;

    @Option(
            names = "--pin",
            description =
                    "Simulate separate hosts on this machine: start a private Redis (no persistence) and a private"
                            + " PostgreSQL (initdb defaults) on free ports, put PostgreSQL on the first floor(cores/2) CPUs and"
                            + " Redis and a re-executed bench JVM on the rest (taskset), and report PostgreSQL's CPU per row"
                            + " from that server alone. Ignores REDIS_URL and DATABASE_URL; needs taskset, redis-server and"
                            + " the PostgreSQL server binaries. Stops the servers and deletes their directory at the end.")
    boolean pin;

    /** Set by a {@code --pin} parent on the JVM it re-executes pinned: {@code cores,redisPid,postmasterPid}. */
    @Option(names = "--pinned-by-parent", hidden = true)
    String pinnedByParent;

    @Override
    public Integer call() {
        BenchSettings.Size size = BenchSettings.Size.of(scenarios);
        BenchSettings settings = new BenchSettings(
                scenarios,
                writes != null ? writes : size.writes(),
                pipeline,
                columns,
                valueBytes,
                rounds != null ? rounds : size.writeRounds(),
                records != null ? records : size.records(),
                keys,
                partitions,
                workers,
                batchSize,
                rounds != null ? rounds : size.syncRounds(),
                durationSeconds != null ? Duration.ofSeconds(durationSeconds) : size.duration(),
                json,
                readKeys != null ? readKeys : size.readKeys(),
                reads != null ? reads : size.reads(),
                zipfExponent,
                maxWarmUpPairs,
                httpWrites != null ? httpWrites : size.httpWrites(),
                httpConnections,
                httpBatchConnections,
                httpBatchSize,
                latencyShare);
        if (pin) {
            return PinnedBench.run(
                    childArguments(),
                    connection,
                    spec.commandLine().getOut(),
                    spec.commandLine().getErr());
        }
        Optional<PinLayout.Pinned> pinned = Optional.empty();
        if (pinnedByParent != null) {
            String[] f = pinnedByParent.split(",");
            pinned = Optional.of(new PinLayout.Pinned(
                    PinLayout.of(Integer.parseInt(f[0])), Long.parseLong(f[1]), Long.parseLong(f[2])));
        }
        return new BenchmarkRunner(
                        connection.redis(),
                        connection.database(),
                        spec.commandLine().getOut(),
                        spec.commandLine().getErr(),
                        pinned)
                .serverLauncher(connection.environment(), PinnedBench.javaCommand())
                .run(settings);
    }

    /** This command's own arguments (after {@code bench}) without {@code --pin}: what the pinned JVM is given. */
    private List<String> childArguments() {
        List<String> args = new ArrayList<>(spec.commandLine().getParseResult().originalArgs());
        int bench = args.indexOf("bench");
        List<String> own = new ArrayList<>(bench < 0 ? args : args.subList(bench + 1, args.size()));
        own.remove("--pin");
        return own;
    }
}
