package io.cistern.ops;

import io.cistern.ops.bench.BenchmarkRunner;
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
            "Run benchmark scenarios against the configured Redis (and later PostgreSQL), each beside a baseline doing"
                    + " the same work in the same run, and report ratios.",
            "Scenarios: write — RecordWriter pipelined puts vs redis-benchmark running the same FCALL with the same"
                    + " payload, one connection and the same pipeline depth."
        })
final class BenchCommand implements Callable<Integer> {
    @Mixin
    ConnectionOptions connection;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(arity = "0..*", paramLabel = "SCENARIO", description = "Scenarios to run (default: write).")
    java.util.List<String> scenarios = java.util.List.of("write");

    @Option(names = "--writes", paramLabel = "N", description = "Writes per round (default: ${DEFAULT-VALUE}).")
    int writes = 200_000;

    @Option(names = "--pipeline", paramLabel = "N", description = "Pipeline depth (default: ${DEFAULT-VALUE}).")
    int pipeline = 64;

    @Option(names = "--columns", paramLabel = "N", description = "Columns per record (default: ${DEFAULT-VALUE}).")
    int columns = 4;

    @Option(
            names = "--value-bytes",
            paramLabel = "N",
            description = "Bytes per column value (default: ${DEFAULT-VALUE}).")
    int valueBytes = 32;

    @Option(
            names = "--rounds",
            paramLabel = "N",
            description = "Alternating rounds; medians are reported (default:" + " ${DEFAULT-VALUE}).")
    int rounds = 5;

    @Option(names = "--json", description = "Print one JSON object instead of a Markdown table.")
    boolean json;

    @Override
    public Integer call() {
        return new BenchmarkRunner(
                        connection.redis(),
                        spec.commandLine().getOut(),
                        spec.commandLine().getErr())
                .run(scenarios, writes, pipeline, columns, valueBytes, rounds, json);
    }
}
