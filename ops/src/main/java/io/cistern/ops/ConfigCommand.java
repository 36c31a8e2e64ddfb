package io.cistern.ops;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ops/cistern config}: every effective setting, its value and where it came from; connects to nothing. */
@Command(
        name = "config",
        mixinStandardHelpOptions = true,
        description = {
            "Print every effective setting of every component (PostgreSQL, Redis, the writer, the writer API, the"
                    + " read proxy, the sync worker, status and readiness, startup) with its value (secrets as ****),"
                    + " the variable or file it came from (or default), and the variables it overrode; then what"
                    + " resolution noticed, and the variables of Cistern's families that nothing reads (a typo such"
                    + " as DB_POOL_SIZ, with the closest known name).",
            "Connects to nothing. Exits 1, with the message the services would stop with, when a value or a"
                    + " combination is wrong."
        })
final class ConfigCommand implements Callable<Integer> {
    @Mixin
    ConnectionOptions connection;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--json", description = "Print one JSON object instead of lines.")
    boolean json;

    @Override
    public Integer call() {
        ConfigurationReport report = ConfigurationReport.resolve(connection.environment());
        PrintWriter out = spec.commandLine().getOut();
        out.print(json ? report.json() + System.lineSeparator() : report.text());
        out.flush();
        return 0;
    }
}
