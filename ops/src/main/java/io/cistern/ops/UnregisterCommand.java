package io.cistern.ops;

import com.zaxxer.hikari.HikariDataSource;
import io.cistern.connections.DataSources;
import io.cistern.connections.RedisDeployment;
import io.cistern.schema.postgres.Unregistration;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code ops/cistern unregister TABLE}: takes a table out of Cistern ({@link Unregistration}). */
@Command(
        name = "unregister",
        mixinStandardHelpOptions = true,
        description = {
            "Take a table out of Cistern: writes to it are refused (UNKNOWN_TABLE) and every component forgets it."
                    + " The table, its rows and its cistern_version column stay in PostgreSQL. Refused while the"
                    + " table has entries not yet synced or open dead letters, unless --force.",
            "",
            "  ops/cistern unregister old_invoices --dry-run",
            "  ops/cistern unregister old_invoices"
        })
final class UnregisterCommand implements Callable<Integer> {
    @Mixin
    ConnectionOptions connection;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "TABLE")
    String table;

    @Option(
            names = "--force",
            description = "Unregister even with entries not yet synced or open dead letters: those writes then never"
                    + " reach PostgreSQL.")
    boolean force;

    @Option(names = "--dry-run", description = "Say what is still on its way for the table; change nothing.")
    boolean dryRun;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (HikariDataSource dataSource = DataSources.create(connection.database(), "cistern-unregister")) {
            try (RedisDeployment redis = RedisDeployment.open(connection.redis())) {
                Unregistration unregistration = new Unregistration(dataSource, redis.sync(), connection.layout());
                String name = table.strip();
                Unregistration.Found found =
                        dryRun ? unregistration.inspect(name) : unregistration.unregister(name, force);
                out.printf(
                        "%s '%s': %d entries not yet synced, %d open dead letters%n",
                        dryRun ? "would unregister" : "unregistered",
                        name,
                        found.unsyncedEntries(),
                        found.openDeadLetters());
            }
        }
        out.flush();
        return 0;
    }
}
