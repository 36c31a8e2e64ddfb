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
import io.cistern.sync.OpenDeadLetter;
import io.cistern.sync.SyncSettings;
import io.lettuce.core.RedisClient;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code ops/cistern dlq list|show|replay|drop}: the dead letters of each partition. A replay goes through the version
 * guard and the tombstones, so it is safe to repeat; every action is logged with the operator's name.
 */
@Command(
        name = "dlq",
        mixinStandardHelpOptions = true,
        description = "List, show, replay or drop dead letters (records PostgreSQL refused for good).",
        subcommands = {
            DlqCommand.ListLetters.class,
            DlqCommand.ShowLetter.class,
            DlqCommand.ReplayLetters.class,
            DlqCommand.DropLetters.class
        })
final class DlqCommand implements Runnable {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Runs {@code action} with a replayer on the configured servers, closing everything after. */
    static <T> T withReplayer(ConnectionOptions connection, ReplayerAction<T> action) {
        try (HikariDataSource dataSource = DataSources.create(connection.database(), "cistern-dlq")) {
            RedisClient client = RedisClients.create(connection.redis());
            TableRegistry registry = Initializer.registry(dataSource);
            try (DeadLetterReplayer replayer = new DeadLetterReplayer(
                    connection.layout(), registry, dataSource, client, SyncSettings.DEFAULT_SYNCED_HASH_TTL)) {
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

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List open dead letters, oldest first.")
    static final class ListLetters implements Callable<Integer> {
        @ParentCommand
        DlqCommand parent;

        @Mixin
        ConnectionOptions connection;

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

        @Option(
                names = "--limit",
                paramLabel = "N",
                description = "At most this many per partition (default: ${DEFAULT-VALUE}).")
        int limit = 100;

        @Option(names = "--json", description = "One JSON array instead of a table.")
        boolean json;

        @Override
        public Integer call() {
            DeadLetterFilter filter = DeadLetterFilter.all().withLimit(limit);
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
                filter = filter.recordedBetween(since, Instant.MAX);
            }
            DeadLetterFilter f = filter;
            List<OpenDeadLetter> letters = withReplayer(connection, (replayer, registry) -> {
                List<OpenDeadLetter> all = new ArrayList<>();
                for (int p = 0; p < registry.partitions(); p++) {
                    if (partition == null || partition == p) {
                        all.addAll(replayer.list(p, f));
                    }
                }
                return all;
            });
            PrintWriter out = parent.spec.commandLine().getOut();
            if (json) {
                ArrayNode array = ExactJson.mapper().createArrayNode();
                letters.forEach(l -> array.add(toJson(l)));
                out.println(ExactJson.mapper().writeValueAsString(array));
            } else {
                out.printf(
                        "%-4s %-20s %-20s %-18s %-8s %s%n", "P", "DEAD LETTER", "ENTRY", "TABLE", "SQLSTATE", "REASON");
                for (OpenDeadLetter l : letters) {
                    out.printf(
                            "%-4d %-20s %-20s %-18s %-8s %s%n",
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

        @Parameters(index = "0", paramLabel = "PARTITION")
        int partition;

        @Parameters(index = "1", paramLabel = "DEAD-LETTER-ID")
        String id;

        @Override
        public Integer call() {
            Optional<OpenDeadLetter> letter =
                    withReplayer(connection, (replayer, registry) -> replayer.show(partition, id));
            PrintWriter out = parent.spec.commandLine().getOut();
            if (letter.isEmpty()) {
                parent.spec.commandLine().getErr().println("no open dead letter " + id + " in partition " + partition);
                return 1;
            }
            out.println(ExactJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(toJson(letter.get())));
            out.flush();
            return 0;
        }
    }

    /** The servers, a partition and dead-letter IDs: what replay and drop act on. */
    static final class LetterSelection {
        @Mixin
        ConnectionOptions connection;

        @Parameters(index = "0", paramLabel = "PARTITION")
        int partition;

        @Parameters(index = "1..*", paramLabel = "DEAD-LETTER-ID", arity = "1..*")
        List<String> ids;
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

        @Mixin
        LetterSelection letters;

        @Override
        public Integer call() {
            return report(
                    parent,
                    withReplayer(
                            letters.connection,
                            (replayer, registry) -> replayer.replay(actor(), letters.partition, letters.ids)));
        }
    }

    @Command(
            name = "drop",
            mixinStandardHelpOptions = true,
            description = "Remove dead letters without applying them (logged with who dropped what).")
    static final class DropLetters implements Callable<Integer> {
        @ParentCommand
        DlqCommand parent;

        @Mixin
        LetterSelection letters;

        @Override
        public Integer call() {
            return report(
                    parent,
                    withReplayer(
                            letters.connection,
                            (replayer, registry) -> replayer.drop(actor(), letters.partition, letters.ids)));
        }
    }

    private static int report(DlqCommand parent, List<DeadLetterOutcome> outcomes) {
        PrintWriter out = parent.spec.commandLine().getOut();
        boolean failed = false;
        for (DeadLetterOutcome o : outcomes) {
            out.printf(
                    "%s %s: %s%s%n",
                    o.deadLetterId(),
                    o.entryId() == null ? "" : "(entry " + o.entryId() + ")",
                    o.kind().name().toLowerCase(java.util.Locale.ROOT).replace('_', ' '),
                    o.reason() == null || o.reason().isEmpty() ? "" : ": " + o.reason());
            failed |= o.kind() == DeadLetterOutcome.Kind.FAILED_AGAIN || o.kind() == DeadLetterOutcome.Kind.NOT_FOUND;
        }
        out.flush();
        return failed ? 1 : 0;
    }

    private static ObjectNode toJson(OpenDeadLetter l) {
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
