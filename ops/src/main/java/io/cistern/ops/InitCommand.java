package io.cistern.ops;

import com.zaxxer.hikari.HikariDataSource;
import io.cistern.connections.DataSources;
import io.cistern.connections.DatabaseSettings;
import io.cistern.connections.RedisClients;
import io.cistern.connections.RedisDeployment;
import io.cistern.connections.RedisSettings;
import io.cistern.schema.function.BufferLimits;
import io.cistern.schema.function.MemoryGuard;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.postgres.InitOptions;
import io.cistern.schema.postgres.Initializer;
import io.cistern.schema.postgres.LimitChanges;
import io.cistern.schema.registry.CheckConstraint;
import io.cistern.schema.registry.TableDef;
import io.cistern.sync.DeadLetterReplayer;
import io.cistern.sync.SyncSettings;
import io.lettuce.core.RedisClient;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ops/cistern init}: migrate, register tables, publish the registry, install the Function library. */
@Command(
        name = "init",
        mixinStandardHelpOptions = true,
        description = {
            "Initialise or upgrade Cistern on PostgreSQL and Redis: run the migrations, register tables (adding their"
                    + " cistern_version column), publish the table registry to Redis, install the Function library"
                    + " and seed each partition's version floor. Safe to run again at any time.",
            "",
            "Register a new table at runtime, with no code change:",
            "  ops/cistern init --table invoices",
            "  ops/cistern init --table line_items --route-by invoice_id"
        })
final class InitCommand implements Callable<Integer> {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(InitCommand.class);

    @Mixin
    ConnectionOptions connection;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(
            names = "--table",
            paramLabel = "NAME",
            description = "Register this table (repeatable). It must exist and have a primary key.")
    List<String> tables = List.of();

    @Option(
            names = "--route-by",
            paramLabel = "COLUMN",
            description = "With one --table: route its records by this leading primary-key column (default: the"
                    + " whole key). Records sharing it share a partition, and so one order.")
    String routeBy;

    @Option(
            names = "--partitions",
            paramLabel = "N",
            description = "Partition count, fixed at the first init (default: the recorded count; "
                    + InitOptions.DEFAULT_PARTITIONS + " on the first init).")
    Integer partitions;

    @Option(
            names = "--no-demo-tables",
            negatable = true,
            description = "Create the demo tables source_documents and" + " entities (default: true).")
    boolean demoTables = true;

    @Option(
            names = "--max-backlog",
            paramLabel = "ENTRIES",
            description = "Refuse writes to a partition whose stream holds this many entries; 0 = no limit (default:"
                    + " the value the last init recorded; " + BufferLimits.DEFAULT_MAX_BACKLOG + " on the first).")
    Long maxBacklog;

    @Option(
            names = "--max-redis-memory",
            paramLabel = "auto|off|BYTES",
            converter = MemoryLimitConverter.class,
            description = "Refuse writes (retryable back-pressure) while Redis uses this much memory. auto: 90% of"
                    + " Redis maxmemory, or half the host's memory when Redis has none, derived again at every"
                    + " check; off (or 0): no limit of Cistern's own; or a number of bytes, with an optional k, m or"
                    + " g (binary) suffix, below maxmemory. Default: the value the last init recorded; auto on the"
                    + " first.")
    Long maxRedisMemory;

    @Option(
            names = "--max-value-bytes",
            paramLabel = "BYTES",
            description = "The largest encoded column value (default: the value the last init recorded; "
                    + BufferLimits.DEFAULT_MAX_VALUE_BYTES + " on the first).")
    Integer maxValueBytes;

    @Override
    public Integer call() {
        if (routeBy != null && tables.size() != 1) {
            throw new IllegalArgumentException("--route-by goes with exactly one --table");
        }
        Map<String, String> register = new LinkedHashMap<>();
        for (String t : tables) {
            register.put(t.strip(), routeBy == null ? "" : routeBy.strip());
        }
        InitOptions options = InitOptions.defaults(connection.layout())
                .withDemoTables(demoTables)
                .withLimitChanges(new LimitChanges(
                        maxBacklog == null ? OptionalLong.empty() : OptionalLong.of(maxBacklog),
                        maxRedisMemory == null ? OptionalLong.empty() : OptionalLong.of(maxRedisMemory),
                        maxValueBytes == null ? OptionalInt.empty() : OptionalInt.of(maxValueBytes)))
                .withRegister(register);
        if (partitions != null) {
            options = options.withPartitions(partitions);
        }
        DatabaseSettings database = connection.database();
        RedisSettings redis = connection.redis();
        Startup.logConfiguration(connection.layout().prefix(), redis, database, connection.environment());
        Startup.database(database, connection.environment());
        Startup.redis(redis, connection.environment(), true);
        Outcome outcome = run(database, redis, options);
        Initializer.Report report = outcome.report();
        PrintWriter out = spec.commandLine().getOut();
        out.printf(
                "Cistern initialised: %d partitions, Function library revision %d, prefix '%s'%n",
                report.registry().partitions(),
                report.libraryRevision(),
                options.layout().prefix());
        BufferLimits limits = report.limits();
        out.printf(
                "  buffer limits: max backlog %d per partition (0 = no limit), max Redis memory %s, max value %d"
                        + " bytes%n",
                limits.maxBacklogPerPartition(), limits.memoryLimitText(), limits.maxValueBytes());
        MemoryGuard.Limit guard = report.memoryGuard();
        out.printf(
                "  memory guard: %s%n",
                guard.bounded()
                        ? "writes refused from " + MemoryGuard.bytes(guard.bytes()) + " of Redis memory ("
                                + guard.basis() + ")"
                        : "none (" + guard.basis() + "): see docs/runbook.md, A long outage");
        for (String note : outcome.clusterNotes()) {
            out.printf("  %s%n", note);
        }
        for (String change : report.changed()) {
            out.printf("  changed %s%n", change);
        }
        for (TableDef t : report.registry().tables()) {
            out.printf(
                    "  %-24s key %s, routed by %s%n",
                    t.name(), t.primaryKey(), t.primaryKey().subList(0, t.routingColumns()));
            for (CheckConstraint check : t.checks()) {
                if (!check.understood()) {
                    out.printf(
                            "    CHECK %s not understood by Cistern: left to PostgreSQL (a write it refuses is"
                                    + " dead-lettered): %s%n",
                            check.name(), check.definition());
                }
            }
        }
        out.flush();
        return 0;
    }

    /** Reads {@code auto}, {@code off}, {@code 0} or bytes with an optional binary k/m/g suffix. */
    static final class MemoryLimitConverter implements picocli.CommandLine.ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            String v = value.strip().toLowerCase(java.util.Locale.ROOT);
            if (v.equals("auto")) {
                return BufferLimits.AUTO_MAX_REDIS_MEMORY;
            }
            if (v.equals("off")) {
                return 0L;
            }
            java.util.regex.Matcher m =
                    java.util.regex.Pattern.compile("(\\d+)\\s*([kmg]?)i?b?").matcher(v);
            if (!m.matches()) {
                throw new picocli.CommandLine.TypeConversionException("--max-redis-memory '" + value
                        + "': write auto, off, or a number of bytes such as 536870912, 512m or 2g");
            }
            int shift = switch (m.group(2)) {
                case "k" -> 10;
                case "m" -> 20;
                case "g" -> 30;
                default -> 0;
            };
            return Long.parseLong(m.group(1)) << shift;
        }
    }

    /** What {@link #run} did: the initialiser's report, and on a cluster how the partitions fall on its masters. */
    record Outcome(Initializer.Report report, List<String> clusterNotes) {}

    /** Runs an init with its own short-lived connections. */
    static Outcome run(DatabaseSettings database, RedisSettings redis, InitOptions options) {
        try (HikariDataSource ds = DataSources.create(database, "cistern-init");
                RedisDeployment deployment = RedisDeployment.open(redis)) {
            // Every master gets the Function library, so ask for the topology now rather than trust a stale view.
            deployment.refreshTopology();
            Initializer.Report report = new Initializer(ds, deployment.sync(), deployment::masterCommands).run(options);
            if (deployment.isCluster()) {
                // Nothing to move on a cluster: Cistern never ran on one before cistern_dead_letter existed.
                return new Outcome(
                        report,
                        clusterNotes(
                                deployment, options.layout(), report.registry().partitions()));
            }
            RedisClient client = RedisClients.create(redis);
            try {
                // Dead letters recorded on the Redis streams before cistern_dead_letter existed move there, once.
                try (DeadLetterReplayer replayer = new DeadLetterReplayer(
                        options.layout(), report.registry(), ds, client, SyncSettings.DEFAULT_SYNCED_HASH_TTL)) {
                    replayer.moveStreamsToTable();
                }
            } finally {
                client.shutdown();
            }
            return new Outcome(report, List.of());
        }
    }

    /**
     * How the partitions fall on the cluster's masters, and a warning with a better partition count when they fall
     * unevenly (the busiest master then limits the write and drain rate).
     */
    static List<String> clusterNotes(RedisDeployment deployment, KeyLayout layout, int partitions) {
        List<String> masters = deployment.masters().stream()
                .map(RedisDeployment.Master::address)
                .toList();
        java.util.function.IntFunction<String> masterOf =
                p -> deployment.masterFor(layout.meta(p)).address();
        PartitionSpread spread = PartitionSpread.of(partitions, masters, masterOf);
        List<String> notes = new java.util.ArrayList<>();
        notes.add("Redis Cluster: " + masters.size() + " masters; partitions per master: " + spread.describe());
        if (!spread.even()) {
            OptionalInt better =
                    PartitionSpread.suggest(partitions + 1, Math.max(256, partitions * 4), masters, masterOf);
            String warning = "WARNING: the " + partitions + " partitions fall unevenly on the " + masters.size()
                    + " masters (" + spread.describe() + "): the busiest master limits the write and drain rate"
                    + better.stream()
                            .mapToObj(n -> "; " + n + " partitions would fall evenly (the count is fixed at the first"
                                    + " init: choose it with --partitions " + n + " for a new deployment)")
                            .findFirst()
                            .orElse("");
            LOG.warn(warning);
            notes.add(warning);
        }
        return notes;
    }
}
