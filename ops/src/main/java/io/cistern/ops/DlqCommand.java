package io.cistern.ops;

import com.zaxxer.hikari.HikariDataSource;
import io.cistern.connections.DataSources;
import io.cistern.connections.RedisClients;
import io.cistern.schema.codec.ExactJson;
import io.cistern.schema.postgres.Initializer;
import io.cistern.schema.registry.TableRegistry;
import io.cistern.sync.DeadLetterFilter;
import io.cistern.sync.DeadLetterOutcome;
import io.cistern.sync.DeadLetterReplayer;
import io.cistern.sync.DeadLetterRetention;
import io.cistern.sync.RecordedDeadLetter;
import io.cistern.sync.SyncSettings;
import io.lettuce.core.AbstractRedisClient;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code ops/cistern dlq list|show|replay|drop|purge}: the dead letters of each partition. A replay goes through the
 * version guard and the tombstones, so it is safe to repeat; a purge deletes only resolved ones; every action is logged
 * with the operator's name.
 */
@Command(
        name = "dlq",
        mixinStandardHelpOptions = true,
        description = "List, show, replay, drop or purge dead letters (records PostgreSQL refused for good).",
        subcommands = {
            DlqCommand.ListLetters.class,
            DlqCommand.ShowLetter.class,
            DlqCommand.ReplayLetters.class,
            DlqCommand.DropLetters.class,
            DlqCommand.PurgeLetters.class
        })
final class DlqCommand implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(DlqCommand.class);

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Runs {@code action} with a replayer on the configured servers, closing everything after. */
    static <T> T withReplayer(ConnectionOptions connection, ReplayerAction<T> action) {
        try (HikariDataSource dataSource = DataSources.create(connection.database(), "cistern-dlq")) {
            AbstractRedisClient client = RedisClients.createAny(connection.redis());
            TableRegistry registry = Initializer.registry(dataSource);
            // A replayed record's hash gets the TTL the workers give synced hashes (SYNC_SYNCED_HASH_TTL_MS).
            Duration syncedHashTtl = SyncSettings.fromEnvironment(connection.environment(), connection.layout())
                    .syncedHashTtl();
            try (DeadLetterReplayer replayer =
                    new DeadLetterReplayer(connection.layout(), registry, dataSource, client, syncedHashTtl)) {
                return action.run(replayer, registry);
            } finally {
                client.shutdown();
            }
        }
    }

    @FunctionalInterface
    interface ReplayerAction<T> {
        T run(DeadLetterReplayer replayer, TableRegistry registry);
    }

    static String actor() {
        String user = System.getenv("USER");
        return "ops/cistern dlq (" + (user == null ? System.getProperty("user.name") : user) + ")";
    }

    /** Far enough ahead to mean "no end" and still convert to epoch milliseconds. */
    private static final Instant NO_END = Instant.parse("9999-01-01T00:00:00Z");

    /** The filters list, replay and drop share: they select open dead letters in cistern_dead_letter. */
    static final class Filters {
        @Option(names = "--partition", paramLabel = "P", description = "Only this partition (default: all).")
        Integer partition;

        @Option(names = "--table", paramLabel = "NAME", description = "Only this table.")
        String table;

        @Option(names = "--sqlstate", paramLabel = "CODE", description = "Only this SQLSTATE or class (23514, 23).")
        String sqlState;

        @Option(names = "--reason", paramLabel = "TEXT", description = "Only reasons containing this text.")
        String reason;

        @Option(
                names = "--since",
                paramLabel = "ISO-INSTANT",
                description = "Recorded at or after (2026-11-23T06:00:00Z).")
        Instant since;

        boolean any() {
            return partition != null || table != null || sqlState != null || reason != null || since != null;
        }

        DeadLetterFilter filter(int limit) {
            DeadLetterFilter filter = DeadLetterFilter.all().withLimit(limit);
            if (partition != null) {
                filter = filter.withPartition(partition);
            }
            if (table != null) {
                filter = filter.withTable(table);
            }
            if (sqlState != null) {
                filter = filter.withSqlState(sqlState);
            }
            if (reason != null) {
                filter = filter.withReasonContaining(reason);
            }
            if (since != null) {
                filter = filter.recordedBetween(since, NO_END);
            }
            return filter;
        }
    }

    @Command(
            name = "list",
            mixinStandardHelpOptions = true,
            description = "List open dead letters (kept in PostgreSQL, table cistern_dead_letter), oldest first.")
    static final class ListLetters implements Callable<Integer> {
        @ParentCommand
        DlqCommand parent;

        @Mixin
        ConnectionOptions connection;

        @Mixin
        Filters filters;

        @Option(names = "--limit", paramLabel = "N", description = "At most this many (default: ${DEFAULT-VALUE}).")
        int limit = 100;

        @Option(names = "--json", description = "One JSON array instead of a table.")
        boolean json;

        @Override
        public Integer call() {
            DeadLetterFilter f = filters.filter(limit);
            List<RecordedDeadLetter> letters = withReplayer(connection, (replayer, registry) -> replayer.recorded(f));
            PrintWriter out = parent.spec.commandLine().getOut();
            if (json) {
                ArrayNode array = ExactJson.mapper().createArrayNode();
                letters.forEach(l -> array.add(toJson(l)));
                out.println(ExactJson.mapper().writeValueAsString(array));
            } else {
                out.printf(
                        "%-4s %-12s %-20s %-18s %-8s %s%n", "P", "DEAD LETTER", "ENTRY", "TABLE", "SQLSTATE", "REASON");
                for (RecordedDeadLetter l : letters) {
                    out.printf(
                            "%-4d %-12d %-20s %-18s %-8s %s%n",
                            l.partition(), l.id(), l.entryId(), l.table(), l.sqlState(), l.reason());
                }
                out.printf("%d open dead letters%n", letters.size());
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show one dead letter with its entry.")
    static final class ShowLetter implements Callable<Integer> {
        @ParentCommand
        DlqCommand parent;

        @Mixin
        ConnectionOptions connection;

        @Parameters(index = "0", paramLabel = "DEAD-LETTER-ID", description = "As `dlq list` shows it.")
        long id;

        @Override
        public Integer call() {
            List<RecordedDeadLetter> letter = withReplayer(
                    connection,
                    (replayer, registry) ->
                            replayer.recorded(DeadLetterFilter.all().withIds(List.of(id))));
            PrintWriter out = parent.spec.commandLine().getOut();
            if (letter.isEmpty()) {
                parent.spec.commandLine().getErr().println("no open dead letter " + id);
                return 1;
            }
            out.println(
                    ExactJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(toJson(letter.getFirst())));
            out.flush();
            return 0;
        }
    }

    /** What replay and drop act on: dead-letter IDs (as list shows them), list's filters, or --all; --dry-run. */
    static final class LetterSelection {
        @Mixin
        ConnectionOptions connection;

        @Parameters(
                paramLabel = "DEAD-LETTER-ID",
                arity = "0..*",
                description = "Dead letters as `dlq list` shows them; or select with the filters or --all.")
        List<Long> ids = new ArrayList<>();

        @Mixin
        Filters filters;

        @Option(names = "--all", description = "Every open dead letter (when no ID and no filter is given).")
        boolean all;

        @Option(names = "--dry-run", description = "Only list what would be done; change nothing.")
        boolean dryRun;

        DeadLetterFilter filter(picocli.CommandLine.Model.CommandSpec spec) {
            Filters f = filters;
            if (ids.isEmpty() && !f.any() && !all) {
                throw new picocli.CommandLine.ParameterException(
                        spec.commandLine(),
                        "say which dead letters: their IDs (from `dlq list`), a filter (--table, --sqlstate, --reason,"
                                + " --since, --partition) or --all");
            }
            DeadLetterFilter filter = f.filter(100_000);
            return ids.isEmpty() ? filter : filter.withIds(ids);
        }
    }

    @Command(
            name = "replay",
            mixinStandardHelpOptions = true,
            description = "Apply dead letters again, through the version guard and the tombstones: each is reported"
                    + " applied, superseded (the row already holds this version or newer) or failed again (kept, with"
                    + " its new reason). Safe to repeat.")
    static final class ReplayLetters implements Callable<Integer> {
        @ParentCommand
        DlqCommand parent;

        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Mixin
        LetterSelection letters;

        @Override
        public Integer call() {
            DeadLetterFilter filter = letters.filter(spec);
            if (letters.dryRun) {
                return dryRun(parent, letters.connection, filter, "replay");
            }
            return report(
                    parent,
                    withReplayer(letters.connection, (replayer, registry) -> replayer.replayRecorded(actor(), filter)));
        }
    }

    @Command(
            name = "drop",
            mixinStandardHelpOptions = true,
            description = "Resolve dead letters without applying them (logged with who dropped what).")
    static final class DropLetters implements Callable<Integer> {
        @ParentCommand
        DlqCommand parent;

        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Mixin
        LetterSelection letters;

        @Override
        public Integer call() {
            DeadLetterFilter filter = letters.filter(spec);
            if (letters.dryRun) {
                return dryRun(parent, letters.connection, filter, "drop");
            }
            return report(
                    parent,
                    withReplayer(letters.connection, (replayer, registry) -> replayer.dropRecorded(actor(), filter)));
        }
    }

    @Command(
            name = "purge",
            mixinStandardHelpOptions = true,
            description = "Delete dead letters resolved (replayed, superseded or dropped) more than --older-than ago;"
                    + " open ones are never deleted. The sync workers do this by themselves, every hour, after"
                    + " SYNC_DEAD_LETTER_RETENTION_MS (default 30 days).")
    static final class PurgeLetters implements Callable<Integer> {
        @ParentCommand
        DlqCommand parent;

        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Mixin
        ConnectionOptions connection;

        @Option(
                names = "--older-than",
                required = true,
                paramLabel = "DURATION",
                converter = StatusCli.DurationConverter.class,
                description = "Resolved longer ago than this, like 30d, 72h or P30D; at least 1h.")
        Duration olderThan;

        @Option(names = "--dry-run", description = "Only count what would be deleted; change nothing.")
        boolean dryRun;

        @Override
        public Integer call() {
            try {
                DeadLetterRetention.requireRetention(olderThan);
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.ParameterException(
                        spec.commandLine(), "--older-than: " + e.getMessage(), e, null, olderThan.toString());
            }
            String age = olderThan.toMillis() % Duration.ofDays(1).toMillis() == 0
                    ? olderThan.toDays() + " days"
                    : StatusCli.age(olderThan);
            PrintWriter out = parent.spec.commandLine().getOut();
            try (HikariDataSource dataSource = DataSources.create(connection.database(), "cistern-dlq")) {
                DeadLetterRetention retention = new DeadLetterRetention(dataSource);
                if (dryRun) {
                    DeadLetterRetention.Purged would = retention.purgeable(olderThan);
                    out.printf(
                            "dry run: %d dead letters resolved more than %s ago would be deleted (%s); nothing"
                                    + " changed%n",
                            would.total(), age, would.describe());
                } else {
                    DeadLetterRetention.Purged purged = retention.purge(olderThan);
                    LOG.info(
                            "{} deleted {} dead letters resolved more than {} ms ago ({})",
                            actor(),
                            purged.total(),
                            olderThan.toMillis(),
                            purged.describe());
                    out.printf(
                            "deleted %d dead letters resolved more than %s ago (%s) in %d statements, %d ms%n",
                            purged.total(),
                            age,
                            purged.describe(),
                            purged.statements(),
                            purged.took().toMillis());
                }
            }
            out.flush();
            return 0;
        }
    }

    private static int dryRun(DlqCommand parent, ConnectionOptions connection, DeadLetterFilter filter, String verb) {
        List<RecordedDeadLetter> selected = withReplayer(connection, (replayer, registry) -> replayer.recorded(filter));
        PrintWriter out = parent.spec.commandLine().getOut();
        for (RecordedDeadLetter l : selected) {
            out.printf(
                    "would %s %d (entry %s, partition %d, %s, SQLSTATE %s): %s%n",
                    verb,
                    l.id(),
                    l.entryId(),
                    l.partition(),
                    l.table(),
                    l.sqlState().isEmpty() ? "none" : l.sqlState(),
                    l.reason());
        }
        out.printf(
                "dry run: %d dead letters would be %s; nothing changed%n",
                selected.size(), verb.equals("drop") ? "dropped" : verb + "ed");
        out.flush();
        return 0;
    }

    private static int report(DlqCommand parent, List<DeadLetterOutcome> outcomes) {
        PrintWriter out = parent.spec.commandLine().getOut();
        boolean failed = false;
        java.util.Map<DeadLetterOutcome.Kind, Integer> counts = new java.util.EnumMap<>(DeadLetterOutcome.Kind.class);
        for (DeadLetterOutcome o : outcomes) {
            counts.merge(o.kind(), 1, Integer::sum);
            out.printf(
                    "%s %s: %s%s%n",
                    o.deadLetterId(),
                    o.entryId() == null || o.entryId().isEmpty() ? "" : "(entry " + o.entryId() + ")",
                    name(o.kind()),
                    o.reason() == null || o.reason().isEmpty() ? "" : ": " + o.reason());
            failed |= o.kind() == DeadLetterOutcome.Kind.FAILED_AGAIN || o.kind() == DeadLetterOutcome.Kind.NOT_FOUND;
        }
        List<String> summary = new ArrayList<>();
        counts.forEach((kind, n) -> summary.add(n + " " + name(kind)));
        out.printf(
                "%d dead letters: %s%n",
                outcomes.size(), summary.isEmpty() ? "none selected" : String.join(", ", summary));
        out.flush();
        return failed ? 1 : 0;
    }

    private static String name(DeadLetterOutcome.Kind kind) {
        return kind.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ');
    }

    private static ObjectNode toJson(RecordedDeadLetter l) {
        ObjectNode n = ExactJson.mapper().createObjectNode();
        n.put("partition", l.partition());
        n.put("id", l.id());
        n.put("entryId", l.entryId());
        n.put("recordedAt", l.recordedAt().toString());
        n.put("table", l.table());
        n.put("key", l.key());
        n.put("op", l.operation());
        l.version().ifPresent(v -> n.put("version", v));
        n.put("reason", l.reason());
        n.put("sqlstate", l.sqlState());
        n.put("attempts", l.attempts());
        n.put("worker", l.worker());
        ObjectNode entry = n.putObject("entry");
        l.entry().forEach(entry::put);
        return n;
    }
}
