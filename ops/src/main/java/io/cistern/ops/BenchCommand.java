package io.cistern.ops;

import io.cistern.ops.bench.BenchSettings;
import io.cistern.ops.bench.BenchmarkRunner;
import java.time.Duration;
import java.util.List;
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
                    + " work in the same run, and report ratios. The sync scenarios create their own database"
                    + " (cistern_bench_<random>) and key prefix on the configured servers and drop them at the end.",
            "Scenarios (default: all):",
            "  write        RecordWriter pipelined puts vs redis-benchmark running the same FCALL with the same payload,"
                    + " one connection and the same pipeline depth.",
            "  sync-insert  sync workers draining a preloaded backlog of new records vs the same rows upserted by a"
                    + " Java unnest loop (1,000-row batches, 2 connections, same SQL); then write-to-commit latency at"
                    + " half the sustained rate.",
            "  sync-update  the same over a small set of hot keys, each updated many times."
        })
final class BenchCommand implements Callable<Integer> {
    @Mixin
    ConnectionOptions connection;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(
            arity = "0..*",
            paramLabel = "SCENARIO",
            description = "Scenarios to run: write, sync-insert, sync-update (default: all).")
    List<String> scenarios = List.of();

    @Option(names = "--writes", paramLabel = "N", description = "write: writes per round (default: ${DEFAULT-VALUE}).")
    int writes = 200_000;

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
            description = "Bytes per column value; in the sync scenarios the width of filename and storage_uri"
                    + " (default: ${DEFAULT-VALUE}).")
    int valueBytes = 32;

    @Option(
            names = "--rounds",
            paramLabel = "N",
            description = "Alternating rounds; medians are reported (default: 5 for write, 3 for the sync scenarios).")
    Integer rounds;

    @Option(
            names = "--records",
            paramLabel = "N",
            description = "sync: entries preloaded per round (default: ${DEFAULT-VALUE}).")
    int records = 50_000;

    @Option(
            names = "--keys",
            paramLabel = "N",
            description = "sync-update: hot keys the entries cycle over (default: ${DEFAULT-VALUE}).")
    int keys = 2_000;

    @Option(
            names = "--partitions",
            paramLabel = "N",
            description = "sync: partitions of the bench's own Cistern (default: ${DEFAULT-VALUE}).")
    int partitions = 4;

    @Option(
            names = "--workers",
            paramLabel = "N",
            description = "sync: sync workers, in this process (default: ${DEFAULT-VALUE}).")
    int workers = 1;

    @Option(
            names = "--batch-size",
            paramLabel = "N",
            description = "sync: the workers' batch size (default: ${DEFAULT-VALUE}).")
    int batchSize = 1_000;

    @Option(
            names = "--duration",
            paramLabel = "SECONDS",
            description = "sync: how long the latency phase offers writes (default: ${DEFAULT-VALUE}).")
    int durationSeconds = 10;

    @Option(names = "--json", description = "Print one JSON object instead of a Markdown table.")
    boolean json;

    @Override
    public Integer call() {
        BenchSettings settings = new BenchSettings(
                scenarios,
                writes,
                pipeline,
                columns,
                valueBytes,
                rounds == null ? 5 : rounds,
                records,
                keys,
                partitions,
                workers,
                batchSize,
                rounds == null ? 3 : rounds,
                Duration.ofSeconds(durationSeconds),
                json);
        return new BenchmarkRunner(
                        connection.redis(),
                        connection.database(),
                        spec.commandLine().getOut(),
                        spec.commandLine().getErr())
                .run(settings);
    }
}
