package io.cistern.ops;

import io.cistern.connections.DatabaseSettings;
import io.cistern.ops.doctor.CheckReport;
import io.cistern.ops.doctor.Doctor;
import io.cistern.ops.doctor.DoctorProfile;
import java.io.PrintWriter;
import java.time.InstantSource;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import picocli.CommandLine;
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
                    + " maxmemory-policy; the Function library; whether Cistern's memory guard refuses writes before"
                    + " Redis runs out of memory; privileges on Cistern's tables and every synced"
                    + " table; whether the pools the running services announced in Redis (or --database-clients plans)"
                    + " fit in max_connections; clock skew.",
            "Exits 1 when a check fails (warnings pass). --profile dev, for a laptop or a trial, turns the findings"
                    + " that only endanger buffered data (Redis persistence, an evicting maxmemory-policy) into"
                    + " warnings."
        })
final class DoctorCommand implements Callable<Integer> {
    @Mixin
    ConnectionOptions connection;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(
            names = {"--database-clients", "--expected-clients"},
            paramLabel = "N",
            description = "How many Cistern processes with a database pool of DB_POOL_SIZE the deployment will run,"
                    + " for processes not started yet. The max_connections check counts the larger of N x"
                    + " DB_POOL_SIZE and the pools the live processes announced in Redis (default: the announced"
                    + " pools; 2 processes when none announced).")
    Integer databaseClients;

    @Option(
            names = "--behind-pooler",
            description = "The services connect through a connection pooler (PgBouncer, RDS Proxy): the"
                    + " max_connections check names the pools' sum for the pooler's client limit and holds the"
                    + " server's connections in use against max_connections (implied by DB_POOLER=pgbouncer).")
    boolean behindPooler;

    @Option(names = "--json", description = "Print one JSON object instead of lines.")
    boolean json;

    @Option(
            names = "--profile",
            paramLabel = "PROFILE",
            description = "production (default: every finding that can lose an acknowledged write fails) or dev"
                    + " (Redis persistence and eviction findings are warnings).",
            converter = ProfileConverter.class)
    DoctorProfile profile = DoctorProfile.PRODUCTION;

    @Override
    public Integer call() {
        if (databaseClients != null && databaseClients < 0) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "--database-clients must be 0 or more, not " + databaseClients);
        }
        DatabaseSettings database = connection.database();
        CheckReport report = profile.judge(new Doctor(
                        connection.redis(),
                        database,
                        connection.layout(),
                        databaseClients == null ? OptionalInt.empty() : OptionalInt.of(databaseClients),
                        behindPooler || database.pooler().poolsTransactions(),
                        InstantSource.system())
                .run());
        PrintWriter out = spec.commandLine().getOut();
        out.print(json ? report.json() + System.lineSeparator() : report.text());
        out.flush();
        return report.passed() ? 0 : 1;
    }

    /** {@code dev} or {@code production}, in any case; anything else names the two. */
    static final class ProfileConverter implements CommandLine.ITypeConverter<DoctorProfile> {
        @Override
        public DoctorProfile convert(String value) {
            try {
                return DoctorProfile.valueOf(value.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(
                        "--profile must be production or dev, not '" + value + "'");
            }
        }
    }
}
