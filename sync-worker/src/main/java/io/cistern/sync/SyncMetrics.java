package io.cistern.sync;

import io.cistern.schema.codec.ChangeEntry;
import io.cistern.schema.registry.TableRegistry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Every meter of the sync worker, in one place, so that the loop and the worker call it at a handful of named points
 * and never build meters themselves. Base units, bounded tags ({@code partition}: one of the fixed partitions; {@code
 * table}: a registered table, else {@code unknown}; {@code outcome} and {@code class}: the fixed sets below):
 *
 * <ul>
 *   <li>{@code cistern.sync.batch.size} (distribution summary, entries; tag {@code partition}): entries per batch read;
 *   <li>{@code cistern.sync.apply} (timer; tag {@code partition}): from a batch's first attempt to its commit,
 *       retries included;
 *   <li>{@code cistern.sync.entries} (counter; tags {@code partition}, {@code outcome} = {@code applied}, {@code
 *       superseded}, {@code dead_lettered}): entries committed, for throughput out;
 *   <li>{@code cistern.sync.retries} (counter; tags {@code partition}, {@code class}): retried failures, by class:
 *       {@code redis}, {@code parent_missing}, {@code sqlstate_<2-character SQLSTATE class>} (08 connection, 40
 *       deadlock or serialization, 53 resources, 57 operator intervention...), or {@code database} without one;
 *   <li>{@code cistern.sync.dead.letters} (counter; tags {@code partition}, {@code table}): entries sent to the
 *       dead-letter stream;
 *   <li>{@code cistern.sync.lease.changes} (counter; tags {@code partition}, {@code outcome} = {@code acquired}, {@code
 *       lost}, {@code released});
 *   <li>{@code cistern.sync.write.to.commit} (timer with a percentile histogram; tag {@code table}): from an entry's
 *       write time (its stream ID) to the commit of the transaction that applied it;
 *   <li>{@code cistern.sync.floor.confirmations} (counter; tags {@code partition}, {@code outcome} = {@code
 *       confirmed}: the Redis server had not confirmed the partition's floor yet (it restarted, failed over or
 *       reloaded the library) and its history was whole, {@code history_shorter}: its partition meta had issued
 *       fewer versions than PostgreSQL holds, and the floor was raised above them);
 *   <li>{@code cistern.sync.dead.letters.purged} (counter; tag {@code resolution} = {@code replayed}, {@code
 *       superseded}, {@code dropped}): resolved dead letters this worker deleted from {@code cistern_dead_letter} once
 *       past their retention ({@link DeadLetterRetention}).
 * </ul>
 *
 * Thread-safe: meters are cached in concurrent maps, so the hot path only looks them up.
 */
final class SyncMetrics {
    static final String BATCH_SIZE = "cistern.sync.batch.size";
    static final String APPLY = "cistern.sync.apply";
    static final String ENTRIES = "cistern.sync.entries";
    static final String RETRIES = "cistern.sync.retries";
    static final String DEAD_LETTERS = "cistern.sync.dead.letters";
    static final String LEASE_CHANGES = "cistern.sync.lease.changes";
    static final String WRITE_TO_COMMIT = "cistern.sync.write.to.commit";
    static final String FLOOR_CONFIRMATIONS = "cistern.sync.floor.confirmations";
    static final String DEAD_LETTERS_PURGED = "cistern.sync.dead.letters.purged";
    static final String UNKNOWN_TABLE = "unknown";
    /** The resolutions {@code cistern_dead_letter} allows (its CHECK constraint): the bounded tag values. */
    private static final Set<String> RESOLUTIONS = Set.of("replayed", "superseded", "dropped");

    /** What happened to a lease. */
    enum LeaseChange {
        ACQUIRED,
        LOST,
        RELEASED;

        String tag() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final MeterRegistry registry;
    private final TableRegistry tables;
    private final Map<Integer, DistributionSummary> batchSizes = new ConcurrentHashMap<>();
    private final Map<Integer, Timer> applyTimers = new ConcurrentHashMap<>();
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Map<String, Timer> writeToCommit = new ConcurrentHashMap<>();

    SyncMetrics(MeterRegistry registry, TableRegistry tables) {
        this.registry = registry;
        this.tables = tables;
    }

    /** Meters that record nothing. */
    static SyncMetrics none(TableRegistry tables) {
        return new SyncMetrics(new CompositeMeterRegistry(), tables);
    }

    /** A batch of {@code entries} entries was read from {@code partition}'s stream. */
    void batchRead(int partition, int entries) {
        batchSizes
                .computeIfAbsent(
                        partition,
                        p -> DistributionSummary.builder(BATCH_SIZE)
                                .description("Entries per batch read from a partition's stream")
                                .baseUnit("entries")
                                .tag("partition", Integer.toString(p))
                                .register(registry))
                .record(entries);
    }

    /**
     * A batch committed: its latency since the first attempt, what became of its entries, and each applied entry's
     * write-to-commit latency, with {@code commitMillis} the epoch milliseconds at which the transaction committed.
     */
    void batchCommitted(
            int partition,
            Duration sinceFirstAttempt,
            List<ChangeEntry> entries,
            ApplyResult result,
            long commitMillis) {
        applyTimers
                .computeIfAbsent(
                        partition,
                        p -> Timer.builder(APPLY)
                                .description("Time from a batch's first apply attempt to its commit, retries included")
                                .tag("partition", Integer.toString(p))
                                .register(registry))
                .record(sinceFirstAttempt);
        Set<String> deadLettered = new HashSet<>();
        if (!result.deadLetters().isEmpty()) {
            Set<String> inBatch = new HashSet<>();
            entries.forEach(e -> inBatch.add(e.id()));
            for (DeadLetter d : result.deadLetters()) {
                if (!inBatch.contains(d.entryId())) {
                    continue; // a malformed entry, counted when it could not be decoded (deadLettered)
                }
                deadLettered.add(d.entryId());
                deadLettered(partition, d.fields().get(ChangeEntry.TABLE));
            }
        }
        int superseded = result.superseded().size();
        int applied = entries.size() - deadLettered.size() - superseded;
        entries(partition, "applied", applied);
        entries(partition, "superseded", superseded);
        entries(partition, "dead_lettered", deadLettered.size());
        // A batch is usually one table: its timer is looked up once, not once per entry.
        String table = null;
        Timer timer = null;
        for (ChangeEntry e : entries) {
            if (deadLettered.isEmpty() || !deadLettered.contains(e.id())) {
                if (!e.table().equals(table)) {
                    table = e.table();
                    timer = writeToCommitTimer(table);
                }
                timer.record(Math.max(0, commitMillis - e.writeTimeMillis()), TimeUnit.MILLISECONDS);
            }
        }
    }

    /** An entry went to the dead-letter stream without reaching the database (it could not be decoded). */
    void deadLettered(int partition, String table) {
        counter(DEAD_LETTERS, "Entries sent to the dead-letter stream", partition, "table", tableTag(table))
                .increment();
    }

    /** A step is retried after {@code failure}. */
    void retried(int partition, Throwable failure) {
        counter(RETRIES, "Failures retried by the sync worker, by class", partition, "class", failureClass(failure))
                .increment();
    }

    void leaseChanged(int partition, LeaseChange change) {
        counter(LEASE_CHANGES, "Partition leases acquired, lost and released", partition, "outcome", change.tag())
                .increment();
    }

    /**
     * A Redis server confirmed a partition's floor anew ({@code historyShorter} false), or it was found to have issued
     * fewer versions than PostgreSQL holds and its floor was raised ({@code historyShorter} true).
     */
    void floorConfirmed(int partition, boolean historyShorter) {
        counter(
                        FLOOR_CONFIRMATIONS,
                        "Partition floors confirmed on a Redis server that had not confirmed them, and histories found"
                                + " shorter than PostgreSQL's",
                        partition,
                        "outcome",
                        historyShorter ? "history_shorter" : "confirmed")
                .increment();
    }

    /** The retention deleted these resolved dead letters, counted by resolution. */
    void deadLettersPurged(Map<String, Long> byResolution) {
        byResolution.forEach((resolution, n) -> {
            String tag = RESOLUTIONS.contains(resolution) ? resolution : "other";
            counters.computeIfAbsent(
                            DEAD_LETTERS_PURGED + '\0' + tag,
                            k -> Counter.builder(DEAD_LETTERS_PURGED)
                                    .description("Resolved dead letters deleted once past their retention")
                                    .tag("resolution", tag)
                                    .register(registry))
                    .increment(n);
        });
    }

    /** The {@code class} tag of a retried failure: a fixed, small set. */
    static String failureClass(Throwable failure) {
        if (failure instanceof BatchFailedException b) {
            SqlFailureTranslator.Classified c = b.classified();
            if (c.kind() == SqlFailureTranslator.Kind.PARENT_MISSING) {
                return "parent_missing";
            }
            String state = c.sqlState();
            if (state.length() >= 2
                    && Character.isLetterOrDigit(state.charAt(0))
                    && Character.isLetterOrDigit(state.charAt(1))) {
                return "sqlstate_" + state.substring(0, 2).toLowerCase(Locale.ROOT);
            }
            return "database";
        }
        if (failure instanceof io.lettuce.core.RedisException) {
            return "redis";
        }
        return "other";
    }

    private void entries(int partition, String outcome, int count) {
        if (count > 0) {
            counter(ENTRIES, "Entries committed by the sync worker, by outcome", partition, "outcome", outcome)
                    .increment(count);
        }
    }

    private Timer writeToCommitTimer(String table) {
        String t = tableTag(table);
        return writeToCommit.computeIfAbsent(
                t,
                k -> Timer.builder(WRITE_TO_COMMIT)
                        .description("Time from a write into Redis to the commit that applied it in PostgreSQL")
                        .tag("table", k)
                        .publishPercentileHistogram()
                        .minimumExpectedValue(Duration.ofMillis(1))
                        .maximumExpectedValue(Duration.ofHours(1))
                        .register(registry));
    }

    private Counter counter(String name, String description, int partition, String tag, String value) {
        return counters.computeIfAbsent(
                name + '\0' + partition + '\0' + value,
                k -> Counter.builder(name)
                        .description(description)
                        .tag("partition", Integer.toString(partition))
                        .tag(tag, value)
                        .register(registry));
    }

    private String tableTag(String table) {
        return table != null && tables.table(table).isPresent() ? table : UNKNOWN_TABLE;
    }
}
