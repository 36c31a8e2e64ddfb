package io.cistern.ops;

import io.cistern.ops.doctor.CheckReport;
import io.cistern.ops.doctor.Doctor;
import java.io.PrintWriter;
import java.time.InstantSource;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ops/cistern doctor}: one line per check, the fix under each failure; non-zero exit when one fails. */
@Command(
        name = "doctor",
        mixinStandardHelpOptions = true,
        description = {
            "Check what a deployment needs and print one line per check, with the fix under each failure: DNS, TCP,"
                    + " authentication and TLS to Redis and PostgreSQL; Redis persistence (AOF) and"
                    + " maxmemory-policy; the Function library; privileges on Cistern's tables and every synced"
                    + " table; whether the services' pools fit in max_connections; clock skew.",
            "Exits 1 when a check fails (warnings pass)."
        })
final class DoctorCommand implements Callable<Integer> {
    @Mixin
    ConnectionOptions connection;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(
            names = "--database-clients",
            paramLabel = "N",
            description = "How many Cistern processes hold a database pool of DB_POOL_SIZE (sync workers and read"
                    + " proxies), for the max_connections check (default: ${DEFAULT-VALUE}).")
    int databaseClients = 2;

    @Option(names = "--json", description = "Print one JSON object instead of lines.")
    boolean json;

    @Override
    public Integer call() {
        CheckReport report = new Doctor(
                        connection.redis(),
                        connection.database(),
                        connection.layout(),
                        databaseClients,
                        InstantSource.system())
                .run();
        PrintWriter out = spec.commandLine().getOut();
        out.print(json ? report.json() + System.lineSeparator() : report.text());
        out.flush();
        return report.passed() ? 0 : 1;
    }
}
