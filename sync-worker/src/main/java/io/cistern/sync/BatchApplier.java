package io.cistern.sync;

import static org.jooq.impl.DSL.field;
import static org.jooq.impl.DSL.name;
import static org.jooq.impl.DSL.table;

import io.cistern.schema.codec.ChangeEntry;
import io.cistern.schema.failure.SqlStates;
import io.cistern.schema.keys.StreamEntryId;
import io.cistern.schema.registry.RegistryCache;
import io.cistern.schema.registry.TableRegistry;
import java.net.SocketTimeoutException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.SQLDialect;
import org.jooq.Table;
import org.jooq.impl.DSL;
import org.jooq.impl.SQLDataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies one batch of one partition in one PostgreSQL transaction (DESIGN.md 3.3), in three round trips when no
 * entry is poison (the plan's statements, the fence statement, commit):
 *
 * <ol>
 *   <li>the plan ({@link BatchPlanner}), run by {@link RowStatements}: version-guarded, tombstone-guarded upserts,
 *       patches that report absent records, deletes that leave tombstones;
 *   <li>a permanent failure (SQLSTATE, {@link SqlFailureTranslator}) rolls the transaction back and the entries are
 *       bisected, each half under its own savepoint, until only the poison entries are left; they become dead letters
 *       and the rest is applied;
 *   <li>the fence check, last before commit: one locking {@code UPDATE} of the partition's row in {@code
 *       cistern_partition} that matches only while {@code fence_token} is this worker's token, and in the same
 *       statement moves the applied watermark forward only, to the batch's highest entry ID, and raises the version
 *       floor to the batch's highest version. No row means another worker took over, and nothing is committed. The
 *       row lock is held to commit, so a takeover's token increment waits for this transaction, and a stale worker's
 *       statement waits for the takeover's increment and then matches nothing. Checking last rather than first
 *       changes nothing for correctness (the check and the commit are in one transaction either way), and every
 *       transaction takes its row locks in one order, data rows then the fence row (a replay too), so an owner's
 *       batch and a replay never deadlock.
 * </ol>
 *
 * Each entry's outcome is reported ({@link ApplyResult#outcomeOf}): applied, superseded (the version guard skipped it,
 * found by the set-based statements themselves) or dead-lettered. {@link #replay} runs dead letters through the same
 * path under the fence row's lock instead of a token.
 *
 * <p>A retryable failure aborts the whole transaction with {@link BatchFailedException}; a stale token with {@link
 * FencedOutException}. Either way nothing is committed, and the caller decides when to try again. Thread-safe: each
 * call takes its own connection.
 *
 * <p><b>A dead path.</b> A batch may be given a response bound ({@link ResponseBound}): its connection's network
 * timeout, so that a statement whose answer never comes (the path stopped passing bytes, with no reset) fails in
 * seconds instead of at the driver's socket timeout. pgjdbc then closes the socket and HikariCP evicts the connection
 * (SQLSTATE 08006), never handing it out again; the batch fails with {@link BatchFailedException#stalled()} and the
 * caller's one retry loop tries it on a fresh connection. The server may not know yet: the abandoned session can sit
 * in its transaction, holding the row locks of the batch and perhaps the fence row's, until {@code
 * idle_in_transaction_session_timeout} (a minute by default), and the retry would wait behind those locks. So the
 * applier remembers the abandoned session's backend and ends it ({@code pg_terminate_backend}, allowed for the
 * session's own role) from the next fresh connection, before any statement of the next attempt.
 *
 * <p>Why abandoning is safe under the fence (DESIGN.md 3.3): the abandoned transaction either never commits (ended by
 * the server or by the applier, it rolls back), or it commits. It can only commit after its fence statement matched,
 * under the row lock of the fence row, with this worker's token still current; a takeover's token increment waits for
 * that lock, so the commit is one the owner was entitled to. Its rows are version-guarded, its watermark moves forward
 * only, and its dead letters are found recorded by the retry, which therefore changes nothing it already did. That is
 * the case of a commit whose answer was lost, which the retry loop already covers: the outcome of an abandoned attempt
 * is unknown, and either outcome is harmless.
 */
final class BatchApplier {
    private static final Logger LOG = LoggerFactory.getLogger(BatchApplier.class);
    private static final Table<?> PARTITIONS = table(name("cistern_partition"));
    private static final Field<Integer> PARTITION = field(name("partition"), SQLDataType.INTEGER);
    private static final Field<Long> FENCE_TOKEN = field(name("fence_token"), SQLDataType.BIGINT);

    private final DataSource dataSource;
    private final RegistryCache registry;
    private final Consumer<TableRegistry> onReload;
    /** The planner and the statements of the current registry; replaced together when the registry is reloaded. */
    private volatile Judge judge;
    /** Who records the dead letters of {@link #apply} in {@code cistern_dead_letter}. */
    private final String worker;
    /**
     * Backend process IDs of sessions abandoned on a stall, to end from the next fresh connection (their transactions
     * may hold the locks the retry needs). Any thread adds; the next attempt of any partition ends them.
     */
    private final Set<Integer> abandoned = ConcurrentHashMap.newKeySet();

    /**
     * Ends a session abandoned on a stall, if it is still there and is one of this role's in this database: the
     * process ID alone could, in the rare case of a server restarted meanwhile, name another session, which would then
     * fail and be retried like any cut connection.
     */
    private static final String TERMINATE_SQL = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = ?"
            + " AND usename = current_user AND datname = current_database() AND pid <> pg_backend_pid()";

    /**
     * What a batch is planned and executed by, for one registry: statements are cached by shape, and a shape's SQL
     * names every column the registry gives its table, so a reloaded registry needs new statements too.
     */
    private record Judge(BatchPlanner planner, RowStatements statements) {
        static Judge of(TableRegistry registry) {
            return new Judge(new BatchPlanner(registry), new RowStatements());
        }
    }

    /** An applier whose registry never changes. */
    BatchApplier(DataSource dataSource, TableRegistry registry) {
        this(dataSource, registry, "unnamed");
    }

    /** @param worker the worker ID written on the dead letters this applier records */
    BatchApplier(DataSource dataSource, TableRegistry registry, String worker) {
        this(dataSource, RegistryCache.fixed(registry), r -> {}, worker);
    }

    /**
     * An applier that reloads {@code registry} before it judges an entry by it: when a batch meets a table or column
     * the registry does not know, or PostgreSQL refuses it with {@code 42P01}, {@code 42703} or {@code 42804} (the
     * table changed under the registry), the registry is reloaded ({@link RegistryCache#reloadOnMiss()}) and the batch
     * runs again once before any entry is dead-lettered. {@code onReload} hears of every registry that differs from
     * the one before (the worker publishes it to Redis).
     *
     * @param worker the worker ID written on the dead letters this applier records
     */
    BatchApplier(DataSource dataSource, RegistryCache registry, Consumer<TableRegistry> onReload, String worker) {
        this.dataSource = dataSource;
        this.registry = registry;
        this.onReload = onReload;
        this.judge = Judge.of(registry.current());
        this.worker = worker;
    }

    /**
     * Applies {@code entries} (one partition's, in stream order) and commits.
     *
     * @param attempt the how-many-th try of this batch, from 1; recorded on dead letters
     * @param parentMissingIsPermanent whether a missing foreign-key parent now counts as permanent (its bounded retry
     *     time is over) rather than retryable
     * @throws FencedOutException when {@code token} is not the partition's token
     * @throws BatchFailedException on a retryable failure
     */
    ApplyResult apply(
            int partition, long token, List<ChangeEntry> entries, int attempt, boolean parentMissingIsPermanent) {
        return apply(partition, token, entries, attempt, parentMissingIsPermanent, deadLetters -> {});
    }

    /**
     * As {@link #apply(int, long, List, int, boolean)}, handing the dead letters to {@code beforeCommit} before the
     * transaction commits: they are durable before the watermark passes them. If the commit then fails, the batch is
     * applied again and its dead letters are recorded again (each names its entry ID, so a replay can tell).
     */
    ApplyResult apply(
            int partition,
            long token,
            List<ChangeEntry> entries,
            int attempt,
            boolean parentMissingIsPermanent,
            java.util.function.Consumer<List<DeadLetter>> beforeCommit) {
        return apply(partition, token, entries, List.of(), attempt, parentMissingIsPermanent, beforeCommit);
    }

    /**
     * As {@link #apply(int, long, List, int, boolean, java.util.function.Consumer)}, with entries of the batch the
     * caller already judged poison ({@code setAside}, each naming one of {@code entries}): they are not applied, but
     * dead-lettered with the others before the commit, and the applied watermark passes them like any entry of the
     * batch.
     */
    ApplyResult apply(
            int partition,
            long token,
            List<ChangeEntry> entries,
            List<DeadLetter> setAside,
            int attempt,
            boolean parentMissingIsPermanent,
            java.util.function.Consumer<List<DeadLetter>> beforeCommit) {
        return apply(
                partition, token, entries, setAside, attempt, parentMissingIsPermanent, beforeCommit, Duration.ZERO);
    }

    /**
     * As {@link #apply(int, long, List, List, int, boolean, java.util.function.Consumer)}, waiting at most {@code
     * responseBound} for each answer from PostgreSQL (capped at the connection's socket timeout; zero for that
     * timeout alone). A batch that got none is abandoned ({@link BatchFailedException#stalled()}); see the class
     * comment for why that is safe.
     */
    ApplyResult apply(
            int partition,
            long token,
            List<ChangeEntry> entries,
            List<DeadLetter> setAside,
            int attempt,
            boolean parentMissingIsPermanent,
            java.util.function.Consumer<List<DeadLetter>> beforeCommit,
            Duration responseBound) {
        return run(
                partition,
                OptionalLong.of(token),
                entries,
                setAside,
                attempt,
                parentMissingIsPermanent,
                beforeCommit,
                worker,
                responseBound);
    }

    /**
     * Applies dead-lettered entries again ({@link DeadLetterReplayer}) and commits: the same plan, statements, version
     * guard, tombstones and bisection as a batch, with these differences. No fencing token is checked and none is
     * taken: the transaction locks the partition's fence row ({@code SELECT ... FOR UPDATE}, after its statements, as a batch does) instead, so it runs
     * between the owner's batches and between a takeover and the new owner's first batch, and the owner is neither
     * fenced out nor stopped. That is safe because the outcome of every row operation depends only on versions, never
     * on which transaction runs first: an entry older than the row or its tombstone is skipped and reported superseded.
     * The applied watermark and the version floor are left alone: they belong to the owner's reading of the stream,
     * and a replayed entry was issued below the floor and is not a stream position. A missing foreign-key parent is
     * permanent at once (there is no bounded retry in a replay).
     *
     * @throws BatchFailedException on a retryable failure: nothing committed
     * @throws IllegalStateException when the partition has no row in {@code cistern_partition}
     */
    ApplyResult replay(int partition, List<ChangeEntry> entries, int attempt) {
        return replay(partition, entries, attempt, "replay");
    }

    /**
     * As {@link #replay(int, List, int)}; the open dead letters of {@code entries} in {@code cistern_dead_letter} are
     * settled in the same transaction, those that failed again recorded by {@code recordedBy}.
     */
    ApplyResult replay(int partition, List<ChangeEntry> entries, int attempt, String recordedBy) {
        return run(
                partition,
                OptionalLong.empty(),
                entries,
                List.of(),
                attempt,
                true,
                deadLetters -> {},
                recordedBy,
                Duration.ZERO);
    }

    /** One transaction; {@code token} empty for a replay (lock the fence row, leave the watermark and floor alone). */
    private ApplyResult run(
            int partition,
            OptionalLong token,
            List<ChangeEntry> entries,
            List<DeadLetter> setAside,
            int attempt,
            boolean parentMissingIsPermanent,
            java.util.function.Consumer<List<DeadLetter>> beforeCommit,
            String recordedBy,
            Duration responseBound) {
        if (entries.isEmpty() && setAside.isEmpty()) {
            throw new IllegalArgumentException("partition " + partition + ": a batch holds at least one entry");
        }
        java.util.Set<String> asideIds = new java.util.HashSet<>();
        setAside.forEach(d -> asideIds.add(d.entryId()));
        List<ChangeEntry> toApply = asideIds.isEmpty()
                ? entries
                : entries.stream().filter(e -> !asideIds.contains(e.id())).toList();
        java.util.function.BiFunction<Judge, Boolean, ApplyResult> once = (j, mayReload) -> runOnce(
                partition,
                token,
                entries,
                setAside,
                toApply,
                attempt,
                parentMissingIsPermanent,
                beforeCommit,
                recordedBy,
                responseBound,
                j,
                mayReload);
        Judge used = judge;
        try {
            return once.apply(used, registry.reloads());
        } catch (StaleRegistry stale) {
            Judge next = reloadedJudge(partition, used, stale.why);
            if (next == null) {
                // Reloaded too recently to reload again: try the batch later rather than judge it by this registry.
                throw new BatchFailedException(
                        partition,
                        entries.size(),
                        new SqlFailureTranslator.Classified(
                                SqlFailureTranslator.Kind.RETRYABLE,
                                "",
                                "waiting to reload the table registry (" + stale.why + ")"),
                        stale);
            }
            return once.apply(next, false);
        }
    }

    /**
     * What to judge a batch by, after the batch planned with {@code used} met a table or column it did not know: one
     * made from a registry reloaded since {@code used} (by this call, or by another partition's meanwhile); null
     * when the registry was reloaded too recently to reload again (the batch waits). A failed reload is logged and
     * the batch is judged by the registry it has.
     */
    private synchronized Judge reloadedJudge(int partition, Judge used, String why) {
        if (judge != used) {
            return judge;
        }
        TableRegistry before = registry.current();
        try {
            if (!registry.reloadOnMiss()) {
                return null;
            }
        } catch (RuntimeException e) {
            LOG.warn("partition {}: could not reload the table registry ({}): {}", partition, why, e.toString());
            return judge;
        }
        TableRegistry now = registry.current();
        judge = Judge.of(now);
        if (!now.equals(before)) {
            LOG.info("reloaded the table registry from PostgreSQL's catalog (partition {}: {})", partition, why);
            onReload.accept(now);
        }
        return judge;
    }

    /**
     * One transaction. With {@code mayReload}, a batch that meets what the registry does not know throws {@link
     * StaleRegistry} (rolled back) before any entry is judged, so the caller reloads and runs it once more.
     */
    private ApplyResult runOnce(
            int partition,
            OptionalLong token,
            List<ChangeEntry> entries,
            List<DeadLetter> setAside,
            List<ChangeEntry> toApply,
            int attempt,
            boolean parentMissingIsPermanent,
            java.util.function.Consumer<List<DeadLetter>> beforeCommit,
            String recordedBy,
            Duration responseBound,
            Judge judge,
            boolean mayReload) {
        int backend = 0;
        try (Connection connection = dataSource.getConnection()) {
            backend = backendPid(connection);
            ResponseBound.limit(connection, responseBound);
            endAbandoned(connection, partition);
            connection.setAutoCommit(false);
            try {
                DSLContext sql = DSL.using(connection, SQLDialect.POSTGRES);
                Narrowing narrowing =
                        new Narrowing(connection, partition, attempt, parentMissingIsPermanent, mayReload, judge);
                int operations = toApply.isEmpty() ? 0 : narrowing.applyAll(toApply);
                String watermark = latestId(entries, setAside);
                List<DeadLetter> deadLetters = new ArrayList<>(setAside);
                deadLetters.addAll(narrowing.deadLetters);
                if (token.isPresent()) {
                    // The record of truth, once bisection has settled which entries are poison: in the outer
                    // transaction (no savepoint a rollback could undo), before the fence, so the dead letters commit
                    // with the watermark that passes them. A retried batch finds them recorded and adds none.
                    DeadLetterRows.insert(connection, partition, recordedBy, deadLetters);
                    long floor = toApply.stream()
                            .mapToLong(ChangeEntry::version)
                            .max()
                            .orElse(0);
                    // The fence check, the watermark and the floor in one locking statement, the transaction's last
                    // before commit: it matches only while the token is ours, and its row lock is held to commit.
                    if (fence(connection, partition, token.getAsLong(), watermark, floor) != 1) {
                        throw new FencedOutException(partition, token.getAsLong());
                    }
                } else {
                    if (sql.select(FENCE_TOKEN)
                            .from(PARTITIONS)
                            .where(PARTITION.eq(partition))
                            .forUpdate()
                            .fetchOptional()
                            .isEmpty()) {
                        throw new IllegalStateException("partition " + partition
                                + " has no row in cistern_partition: run `ops/cistern init` with the right partition"
                                + " count");
                    }
                    // A replay settles the recorded dead letters of its entries in its own transaction: resolved
                    // with what the replay did, or kept with the new reason and one more attempt.
                    DeadLetterRows.settleReplay(
                            connection, partition, recordedBy, toApply, deadLetters, narrowing.superseded);
                }
                if (!deadLetters.isEmpty()) {
                    beforeCommit.accept(List.copyOf(deadLetters));
                }
                connection.commit();
                if (!deadLetters.isEmpty()) {
                    LOG.warn(
                            "partition {}: applied {} of {} entries; {} set aside as dead letters",
                            partition,
                            entries.size() - deadLetters.size(),
                            entries.size(),
                            deadLetters.size());
                }
                return new ApplyResult(
                        toApply.size() + setAside.size(), operations, deadLetters, narrowing.superseded, watermark);
            } catch (RuntimeException | SQLException e) {
                rollbackQuietly(connection);
                throw e;
            }
        } catch (SQLException | org.jooq.exception.DataAccessException | BatchFailedException e) {
            boolean stalled = !responseBound.isZero() && timedOut(e);
            if (stalled && backend != 0) {
                abandoned.add(backend);
                LOG.warn(
                        "partition {}: no answer from PostgreSQL within {} ms; connection abandoned (backend {} is"
                                + " ended from the next connection), the batch of {} entries is tried again on a fresh"
                                + " one",
                        partition,
                        responseBound.toMillis(),
                        backend,
                        entries.size());
            }
            if (e instanceof BatchFailedException failed) {
                if (!stalled) {
                    throw failed;
                }
                throw new BatchFailedException(partition, entries.size(), failed.classified(), failed, true);
            }
            SqlFailureTranslator.Classified c = SqlFailureTranslator.classify(e);
            // Outside the narrowing only the fence and watermark statements run: a failure there is never a record's.
            throw new BatchFailedException(
                    partition,
                    entries.size(),
                    c.kind() == SqlFailureTranslator.Kind.RETRYABLE
                            ? c
                            : new SqlFailureTranslator.Classified(
                                    SqlFailureTranslator.Kind.RETRYABLE, c.sqlState(), c.message()),
                    e,
                    stalled);
        }
    }

    /**
     * The session's backend process ID (pgjdbc knows it from the start-up), or 0 if the driver is not pgjdbc, or behind a
     * transaction-mode pooler: there the ID is the pooler's (PgBouncer makes one up for each client), no server
     * session's, and ending "it" could end another client's. Nor is it needed there: when the abandoned connection's
     * socket closes, PgBouncer closes the server connection whose transaction it left open, and the server rolls it
     * back.
     */
    private static int backendPid(Connection connection) throws SQLException {
        return !io.cistern.connections.DataSources.isTransactionPooled(connection)
                        && connection.isWrapperFor(org.postgresql.PGConnection.class)
                ? connection.unwrap(org.postgresql.PGConnection.class).getBackendPID()
                : 0;
    }

    /**
     * Ends the sessions abandoned on a stall ({@link #TERMINATE_SQL}), before the attempt takes any lock: theirs would
     * hold it. A refusal for want of privilege is logged and forgotten (the server ends the session at its
     * idle-in-transaction timeout); any other failure is the attempt's.
     */
    private void endAbandoned(Connection connection, int partition) throws SQLException {
        if (abandoned.isEmpty()) {
            return;
        }
        for (Integer pid : List.copyOf(abandoned)) {
            if (!abandoned.remove(pid)) {
                continue; // another partition's attempt is ending it
            }
            try (PreparedStatement ps = connection.prepareStatement(TERMINATE_SQL)) {
                ps.setInt(1, pid);
                boolean ended = false;
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        ended |= rs.getBoolean(1);
                    }
                }
                LOG.info(
                        "partition {}: abandoned PostgreSQL session {} {}",
                        partition,
                        pid,
                        ended ? "ended (its transaction rolls back unless it had committed)" : "was already gone");
            } catch (SQLException e) {
                if (!SqlStates.INSUFFICIENT_PRIVILEGE.equals(
                        SqlStates.classify(e).sqlState())) {
                    abandoned.add(pid); // the next attempt tries again
                    throw e;
                }
                LOG.warn(
                        "partition {}: may not end abandoned PostgreSQL session {} ({}); its locks are released at"
                                + " the server's idle_in_transaction_session_timeout (DB_IDLE_IN_TRANSACTION_TIMEOUT_MS):"
                                + " grant the worker's role pg_signal_backend to end it at once",
                        partition,
                        pid,
                        e.getMessage());
            }
        }
    }

    /** Whether {@code failure} is the network timeout the response bound set: a read that got nothing in time. */
    private static boolean timedOut(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SocketTimeoutException) {
                return true;
            }
        }
        return false;
    }

    /** The highest entry ID of {@code entries} and {@code setAside} (malformed entries among them), each parsed once. */
    private static String latestId(List<ChangeEntry> entries, List<DeadLetter> setAside) {
        List<String> ids = new ArrayList<>(entries.size() + setAside.size());
        entries.forEach(e -> ids.add(e.id()));
        setAside.forEach(d -> ids.add(d.entryId()));
        String latest = null;
        StreamEntryId highest = null;
        for (String s : ids) {
            StreamEntryId id = StreamEntryId.parse(s);
            if (highest == null || id.compareTo(highest) > 0) {
                highest = id;
                latest = s;
            }
        }
        return latest;
    }

    /**
     * The fence statement, rendered once: sets {@code updated_at}, moves the watermark forward only (stream IDs compare
     * as (ms, seq) numbers, never as text: "10-0" is after "9-0") and raises the floor, where the token is ours.
     */
    private static final String FENCE_SQL = "UPDATE " + RowStatements.quote("cistern_partition") + " SET "
            + RowStatements.quote("updated_at") + " = current_timestamp, " + RowStatements.quote("applied_watermark")
            + " = CASE WHEN (?::bigint, ?::bigint) > (split_part(" + RowStatements.quote("applied_watermark")
            + ", '-', 1)::bigint, split_part(" + RowStatements.quote("applied_watermark") + ", '-', 2)::bigint)"
            + " THEN ? ELSE " + RowStatements.quote("applied_watermark") + " END, "
            + RowStatements.quote("version_floor") + " = greatest(" + RowStatements.quote("version_floor")
            + ", ?::bigint) WHERE " + RowStatements.quote("partition") + " = ? AND "
            + RowStatements.quote("fence_token") + " = ?";

    /** Runs {@link #FENCE_SQL}; returns the rows it updated: 1 while {@code token} is the partition's, else 0. */
    private static int fence(Connection connection, int partition, long token, String watermark, long floor)
            throws SQLException {
        StreamEntryId id = StreamEntryId.parse(watermark);
        try (PreparedStatement ps = connection.prepareStatement(FENCE_SQL)) {
            // The ID's parts are unsigned 64-bit; Redis issues millisecond times and counts far below 2^63.
            ps.setLong(1, id.millis());
            ps.setLong(2, id.sequence());
            ps.setString(3, watermark);
            ps.setLong(4, floor);
            ps.setInt(5, partition);
            ps.setLong(6, token);
            return ps.executeUpdate();
        }
    }

    /** One batch's bisection state: the dead letters found so far. Confined to the applying thread. */
    private final class Narrowing {
        private final Connection connection;
        private final int partition;
        private final int attempt;
        private final boolean parentMissingIsPermanent;
        private final boolean mayReload;
        private final Judge judge;
        private final List<DeadLetter> deadLetters = new ArrayList<>();
        /** IDs of the entries the version guard skipped, from the parts that were applied. */
        private final Set<String> superseded = new HashSet<>();

        Narrowing(
                Connection connection,
                int partition,
                int attempt,
                boolean parentMissingIsPermanent,
                boolean mayReload,
                Judge judge) {
            this.connection = connection;
            this.partition = partition;
            this.attempt = attempt;
            this.parentMissingIsPermanent = parentMissingIsPermanent;
            this.mayReload = mayReload;
            this.judge = judge;
        }

        /**
         * Applies {@code entries} as the transaction's first work, without a savepoint: a savepoint and its release
         * cost a round trip each, and a poison record is rare. Puts only count their rows here; when one was
         * superseded (rare too) the transaction is rolled back and the entries run again naming it ({@link
         * RowStatements}). On a permanent failure the whole transaction is rolled back and the entries are narrowed
         * down under savepoints ({@link #apply}). Returns row operations run.
         */
        int applyAll(List<ChangeEntry> entries) throws SQLException {
            Executed executed;
            try {
                executed = execute(entries, false);
                if (executed.statements().unidentified()) {
                    // A put was superseded (a redelivery after a takeover, a replay): name it, from the start.
                    connection.rollback();
                    executed = execute(entries, true);
                }
            } catch (SQLException | org.jooq.exception.DataAccessException e) {
                SqlFailureTranslator.Classified c = permanentOrThrow(entries, e);
                connection.rollback();
                return narrow(entries, c);
            }
            return record(executed);
        }

        /** Applies {@code entries} under a savepoint; bisects on a permanent failure. Returns row operations run. */
        int apply(List<ChangeEntry> entries) throws SQLException {
            Savepoint savepoint = connection.setSavepoint();
            Executed executed;
            try {
                executed = execute(entries, true);
                connection.releaseSavepoint(savepoint);
            } catch (SQLException | org.jooq.exception.DataAccessException e) {
                SqlFailureTranslator.Classified c = permanentOrThrow(entries, e);
                connection.rollback(savepoint);
                return narrow(entries, c);
            }
            return record(executed);
        }

        private record Executed(BatchPlan plan, RowStatements.Executed statements) {}

        private Executed execute(List<ChangeEntry> entries, boolean identify) throws SQLException {
            BatchPlan plan = judge.planner().plan(entries, attempt);
            return new Executed(plan, judge.statements().execute(connection, plan.operations(), identify));
        }

        /** Records what an applied part left: rejected and absent entries as dead letters, the superseded ones. */
        private int record(Executed executed) {
            if (mayReload && executed.plan().byRegistry()) {
                throw new StaleRegistry(
                        "the registry refused an entry: its table, a column, its key or a value's type");
            }
            deadLetters.addAll(executed.plan().rejected());
            for (RowOperation op : executed.statements().absent()) {
                for (ChangeEntry e : op.entries()) {
                    deadLetters.add(DeadLetter.of(e, DeadLetter.RECORD_ABSENT, "", attempt));
                }
            }
            for (RowOperation op : executed.statements().superseded()) {
                op.entries().forEach(e -> superseded.add(e.id()));
            }
            return executed.plan().operations().size()
                    - executed.statements().absent().size();
        }

        /** The failure's classification when it is permanent for these entries; a retryable one is thrown. */
        private SqlFailureTranslator.Classified permanentOrThrow(List<ChangeEntry> entries, Exception e) {
            SqlFailureTranslator.Classified c = SqlFailureTranslator.classify(e);
            if (mayReload && SqlFailureTranslator.registryMayBeStale(c)) {
                throw new StaleRegistry("PostgreSQL refused the batch with SQLSTATE " + c.sqlState());
            }
            boolean permanent = c.kind() == SqlFailureTranslator.Kind.PERMANENT
                    || (c.kind() == SqlFailureTranslator.Kind.PARENT_MISSING && parentMissingIsPermanent);
            if (!permanent) {
                throw new BatchFailedException(partition, entries.size(), c, e);
            }
            return c;
        }

        /** After {@code entries} failed permanently and were rolled back: the poison entry, or each half again. */
        private int narrow(List<ChangeEntry> entries, SqlFailureTranslator.Classified c) throws SQLException {
            if (entries.size() == 1) {
                ChangeEntry poison = entries.getFirst();
                LOG.warn(
                        "partition {}: entry {} ({} {}/{} v{}) is poison, SQLSTATE {}: {}",
                        partition,
                        poison.id(),
                        poison.op().wire(),
                        poison.table(),
                        poison.key(),
                        poison.version(),
                        c.sqlState(),
                        c.message());
                deadLetters.add(DeadLetter.of(poison, c.message(), c.sqlState(), attempt));
                return 0;
            }
            int middle = entries.size() / 2;
            return apply(entries.subList(0, middle)) + apply(entries.subList(middle, entries.size()));
        }
    }

    /** The batch met what its registry does not know: rolled back, to run again after a reload. */
    private static final class StaleRegistry extends RuntimeException {
        private final String why;

        StaleRegistry(String why) {
            super(why, null, false, false);
            this.why = why;
        }
    }

    private static void rollbackQuietly(Connection connection) {
        try {
            connection.rollback();
        } catch (SQLException e) {
            // The connection is broken; the pool drops it and the server rolls the transaction back.
            LOG.debug("rollback failed: {}", e.getMessage());
        }
    }
}
