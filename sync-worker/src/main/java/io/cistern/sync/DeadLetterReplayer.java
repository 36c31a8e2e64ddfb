package io.cistern.sync;

import io.cistern.schema.codec.ChangeEntry;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.registry.TableRegistry;
import io.cistern.schema.wire.WireScript;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lists, shows, replays and drops dead letters. Their record of truth is the PostgreSQL table {@code
 * cistern_dead_letter} ({@link #recorded}, {@link #replayRecorded}, {@link #dropRecorded}: what {@code ops/cistern dlq}
 * uses, selecting by {@link DeadLetterFilter}); the methods that take a partition and stream IDs act on the partition's
 * dead-letter stream ({@link KeyLayout#deadLetters(int)}), which the worker still writes for {@code wait=synced} and
 * the status, and {@link #moveStreamsToTable} copies stream letters into the table. Runs without Spring and without a
 * running worker: the ops CLI builds one, uses it and closes it.
 *
 * <h2>Replay</h2>
 *
 * A replay rebuilds each selected dead letter's {@link ChangeEntry} from its stored fields and applies the entries,
 * oldest entry first, in transactions of up to {@value #CHUNK} entries through the same {@code BatchApplier} path as a
 * batch: coalescing, foreign-key order, version-guarded upserts and patches, tombstone-leaving deletes, bisection of
 * poison entries. Each selected dead letter then has one outcome ({@link DeadLetterOutcome.Kind}): applied,
 * superseded (the row or the key's tombstone already held this version or a newer one: nothing changed), or failed
 * again.
 *
 * <p><b>Fencing.</b> The replayer takes no fencing token: that would fence the partition's live owner out and stop its
 * loop. Instead each replay transaction locks the partition's fence row ({@code SELECT ... FOR UPDATE} on {@code
 * cistern_partition}), the row every owner's batch locks first and every takeover increments, so a replay runs
 * strictly between two of the owner's batches, never inside one, and the owner's token stays valid. A replay can
 * neither overwrite newer data nor make the owner commit stale data, because no row operation depends on which
 * transaction runs first: an upsert, patch or delete only ever moves a row (or its tombstone) to a higher version. A
 * replayed entry the owner has meanwhile overtaken is reported superseded; a newer entry the owner applies after the
 * replay overwrites it, as it should. The replay moves neither the applied watermark nor the version floor.
 *
 * <p><b>Resolution is removal.</b> A dead letter that was applied or superseded is removed from the stream ({@code
 * XDEL}) after the transaction committed; so is a dropped one. In the same Redis script, a record hash key that has
 * no other open dead letter left on the stream leaves {@link KeyLayout#deadLetterKeys(int)}, and if the hash still
 * holds the replayed version (no newer write waits to be synced) it gets {@code syncedHashTtl}; otherwise the next
 * synced write of the key gives it its TTL. A dropped letter's hash, if it still holds the dropped version, is deleted
 * instead: it holds a write PostgreSQL never got and never will, so reads fall through to the row PostgreSQL has (a
 * newer write waiting to be synced keeps the hash). If Redis fails after the commit, the dead letters stay open; replaying
 * them again reports them superseded and removes them. A dead letter that failed again is replaced, atomically, by a
 * new one holding the entry, the new reason and SQLSTATE, one more attempt and {@code worker = replay:<actor>}: a
 * failed replay never loses a dead letter. A second replay of a resolved dead letter finds nothing ({@link
 * DeadLetterOutcome.Kind#NOT_FOUND}) and changes nothing; a duplicate dead letter of an already applied entry (a
 * batch whose commit failed after its dead letters were recorded) is reported superseded.
 *
 * <p>Every replay and drop is logged at INFO (WARN for a drop and for failures): who ({@code actor}), the partition,
 * the dead-letter IDs and entry IDs, and each outcome. A retryable database failure ({@link BatchFailedException})
 * leaves the dead letters of the failing transaction untouched and is thrown; nothing is retried here.
 *
 * <p>Thread-safe. Owns one Redis connection, closed by {@link #close()}; takes database connections from {@code
 * dataSource} per transaction. Resolving scans the partition's dead-letter stream once per transaction inside a Redis
 * script, which is fine for the dead-letter streams' intended size (letters waiting for a person).
 */
public final class DeadLetterReplayer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterReplayer.class);
    /** The most entries replayed in one transaction. */
    static final int CHUNK = 500;

    private static final int PAGE = 500;

    /*
     * Removes resolved dead letters and clears the keys that have no open dead letter left.
     * KEYS[1] dead-letter stream, KEYS[2] dead-lettered keys set, KEYS[3..] the record hashes of the keyed letters.
     * ARGV[1] TTL in ms (0: none), ARGV[2] what to do with a hash still at its letter's version: 'expire' (the letter
     * was applied or superseded: the hash holds what PostgreSQL holds) or 'delete' (the letter was dropped: the hash
     * holds a write PostgreSQL never got, so it goes and reads fall through to PostgreSQL), ARGV[3] m, ARGV[4..3+m] IDs
     * of letters without a key (malformed entries), then per record hash KEYS[2+i]: letter ID, table, key, version
     * ('' for none: leave the hash as it is).
     * Returns how many letters it removed.
     */
    private static final String RESOLVE = WireScript.render("""
            local ttl = tonumber(ARGV[1])
            local action = ARGV[2]
            local m = tonumber(ARGV[3])
            local removed = 0
            for i = 4, 3 + m do removed = removed + redis.call('XDEL', KEYS[1], ARGV[i]) end
            local n = #KEYS - 2
            local base = 3 + m
            for i = 1, n do removed = removed + redis.call('XDEL', KEYS[1], ARGV[base + 4 * (i - 1) + 1]) end
            if n == 0 then return removed end
            local open = {}
            local start = '-'
            while true do
              local page = redis.call('XRANGE', KEYS[1], start, '+', 'COUNT', 1000)
              for _, e in ipairs(page) do
                local f = e[2]
                local t, k
                for j = 1, #f, 2 do
                  if f[j] == '${ChangeEntry.TABLE}' then t = f[j + 1] elseif f[j] == '${ChangeEntry.KEY}' then k = f[j + 1] end
                end
                if t and k then open[t .. '\\0' .. k] = true end
              end
              if #page < 1000 then break end
              start = '(' .. page[#page][1]
            end
            for i = 1, n do
              local o = base + 4 * (i - 1)
              if not open[ARGV[o + 2] .. '\\0' .. ARGV[o + 3]] then
                redis.call('SREM', KEYS[2], KEYS[2 + i])
                if ARGV[o + 4] ~= '' and redis.call('HGET', KEYS[2 + i], '${RecordFields.VERSION}') == ARGV[o + 4] then
                  if action == 'delete' then
                    redis.call('DEL', KEYS[2 + i])
                  elseif ttl > 0 then
                    redis.call('PEXPIRE', KEYS[2 + i], ttl)
                  end
                end
              end
            end
            return removed
            """);

    private final KeyLayout layout;
    private final TableRegistry registry;
    private final BatchApplier applier;
    private final DataSource dataSource;
    private final Duration syncedHashTtl;
    private final RedisLink connection;

    /**
     * A replayer for the Cistern at {@code layout} (its prefix).
     *
     * @param redisClient a {@code RedisClient} (one server, Sentinel) or a {@code RedisClusterClient} (a Redis Cluster:
     *     each partition's dead letters are read and resolved on the master serving its slot)
     * @param syncedHashTtl the TTL given to a record hash whose dead letter was resolved by a replay while the hash
     *     still holds the replayed version; use the workers' {@link SyncSettings#syncedHashTtl()}; zero gives none
     */
    public DeadLetterReplayer(
            KeyLayout layout,
            TableRegistry registry,
            DataSource dataSource,
            AbstractRedisClient redisClient,
            Duration syncedHashTtl) {
        this.layout = Objects.requireNonNull(layout, "layout must not be null");
        this.registry = Objects.requireNonNull(registry, "registry must not be null");
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource must not be null");
        this.applier = new BatchApplier(dataSource, registry);
        Objects.requireNonNull(syncedHashTtl, "syncedHashTtl must not be null");
        if (syncedHashTtl.isNegative()) {
            throw new IllegalArgumentException(
                    "syncedHashTtl must not be negative, was " + syncedHashTtl.toMillis() + " ms");
        }
        this.syncedHashTtl = syncedHashTtl;
        this.connection = RedisLink.open(RedisLink.check(redisClient, "redisClient"));
    }

    /** The open dead letters of {@code partition} that {@code filter} matches, oldest first, up to its limit. */
    public List<OpenDeadLetter> list(int partition, DeadLetterFilter filter) {
        checkPartition(partition);
        Objects.requireNonNull(filter, "filter must not be null");
        RedisClusterCommands<String, String> redis = connection.commands();
        List<OpenDeadLetter> found = new ArrayList<>();
        Range.Boundary<String> start =
                filter.firstId().equals("-") ? Range.Boundary.unbounded() : Range.Boundary.including(filter.firstId());
        Range.Boundary<String> end =
                filter.lastId().equals("+") ? Range.Boundary.unbounded() : Range.Boundary.including(filter.lastId());
        while (found.size() < filter.limit()) {
            List<StreamMessage<String, String>> page =
                    redis.xrange(layout.deadLetters(partition), Range.from(start, end), Limit.from(PAGE));
            for (StreamMessage<String, String> m : page) {
                OpenDeadLetter letter = OpenDeadLetter.fromStream(partition, m.getId(), m.getBody());
                if (filter.matches(letter) && found.size() < filter.limit()) {
                    found.add(letter);
                }
            }
            if (page.size() < PAGE) {
                break;
            }
            start = Range.Boundary.excluding(page.getLast().getId());
        }
        LOG.debug("partition {}: listed {} dead letters matching {}", partition, found.size(), filter);
        return List.copyOf(found);
    }

    /** The open dead letter {@code deadLetterId} of {@code partition}, if it is still there. */
    public Optional<OpenDeadLetter> show(int partition, String deadLetterId) {
        checkPartition(partition);
        StreamIds.require(Objects.requireNonNull(deadLetterId, "deadLetterId must not be null"));
        return read(partition, deadLetterId);
    }

    /**
     * Replays the selected dead letters of {@code partition} (see the class comment) and reports, in the order given,
     * what became of each.
     *
     * @param actor who asks, for the log (a person or a tool)
     * @param deadLetterIds IDs on the partition's dead-letter stream; unknown ones are reported {@code NOT_FOUND}
     * @throws BatchFailedException on a retryable database failure; the dead letters of the failing transaction stay
     *     as they were, those of transactions already committed are resolved
     */
    public List<DeadLetterOutcome> replay(String actor, int partition, Collection<String> deadLetterIds) {
        checkActor(actor);
        checkPartition(partition);
        Map<String, DeadLetterOutcome> outcomes = new LinkedHashMap<>();
        Map<String, List<OpenDeadLetter>> byEntry = new TreeMap<>(StreamIds.ORDER);
        Map<String, ChangeEntry> entries = new TreeMap<>(StreamIds.ORDER);
        for (String id : selection(deadLetterIds)) {
            Optional<OpenDeadLetter> letter = read(partition, id);
            if (letter.isEmpty()) {
                outcomes.put(id, DeadLetterOutcome.notFound(id));
                continue;
            }
            OpenDeadLetter l = letter.get();
            outcomes.put(id, null);
            try {
                ChangeEntry entry = ChangeEntry.fromFields(StreamIds.require(l.entryId()), l.entry());
                entries.putIfAbsent(entry.id(), entry);
                byEntry.computeIfAbsent(entry.id(), e -> new ArrayList<>()).add(l);
            } catch (IllegalArgumentException e) {
                // Nothing to apply: the letter stays as it is, and says so.
                outcomes.put(
                        id,
                        new DeadLetterOutcome(
                                id,
                                l.entryId(),
                                DeadLetterOutcome.Kind.FAILED_AGAIN,
                                "malformed entry: " + e.getMessage(),
                                "",
                                id));
            }
        }
        LOG.info(
                "partition {}: {} replays dead letters {} (entries {})",
                partition,
                actor,
                outcomes.keySet(),
                entries.keySet());
        for (List<ChangeEntry> chunk : chunks(entries.values())) {
            ApplyResult result = applier.replay(partition, chunk, 1, "replay:" + actor);
            settle(actor, partition, chunk, result, byEntry, outcomes);
        }
        List<DeadLetterOutcome> report = List.copyOf(outcomes.values());
        for (DeadLetterOutcome o : report) {
            if (o.kind() == DeadLetterOutcome.Kind.FAILED_AGAIN) {
                LOG.warn(
                        "partition {}: {} replayed dead letter {} (entry {}): failed again, SQLSTATE {}: {}; now dead"
                                + " letter {}",
                        partition,
                        actor,
                        o.deadLetterId(),
                        o.entryId(),
                        o.sqlState().isEmpty() ? "none" : o.sqlState(),
                        o.reason(),
                        o.newDeadLetterId().isEmpty() ? "(resolved meanwhile)" : o.newDeadLetterId());
            } else {
                LOG.info(
                        "partition {}: {} replayed dead letter {} (entry {}): {}",
                        partition,
                        actor,
                        o.deadLetterId(),
                        o.entryId().isEmpty() ? "-" : o.entryId(),
                        o.kind());
            }
        }
        return report;
    }

    /**
     * Drops the selected dead letters of {@code partition}: removes them without applying them, and clears their keys
     * from {@link KeyLayout#deadLetterKeys(int)} when no other dead letter of the key is open. The writes they hold
     * never reach PostgreSQL.
     *
     * @param actor who asks, for the log (a person or a tool)
     * @param deadLetterIds IDs on the partition's dead-letter stream; unknown ones are reported {@code NOT_FOUND}
     */
    public List<DeadLetterOutcome> drop(String actor, int partition, Collection<String> deadLetterIds) {
        checkActor(actor);
        checkPartition(partition);
        Map<String, DeadLetterOutcome> outcomes = new LinkedHashMap<>();
        List<OpenDeadLetter> found = new ArrayList<>();
        for (String id : selection(deadLetterIds)) {
            Optional<OpenDeadLetter> letter = read(partition, id);
            if (letter.isEmpty()) {
                outcomes.put(id, DeadLetterOutcome.notFound(id));
            } else {
                found.add(letter.get());
                outcomes.put(id, DeadLetterOutcome.of(letter.get(), DeadLetterOutcome.Kind.DROPPED));
            }
        }
        Map<String, Long> versions = new LinkedHashMap<>();
        found.forEach(l -> l.version().ifPresent(v -> versions.put(l.id(), v)));
        resolve(partition, found, versions, true);
        for (OpenDeadLetter l : found) {
            LOG.warn(
                    "partition {}: {} dropped dead letter {} (entry {}, {} {}/{} v{}, reason: {}); it will never be"
                            + " applied",
                    partition,
                    actor,
                    l.id(),
                    l.entryId(),
                    l.operation(),
                    l.table(),
                    l.key(),
                    l.version().isPresent() ? Long.toString(l.version().getAsLong()) : "?",
                    l.reason());
        }
        outcomes.values().stream()
                .filter(o -> o.kind() == DeadLetterOutcome.Kind.NOT_FOUND)
                .forEach(o -> LOG.info(
                        "partition {}: {} asked to drop dead letter {}: not found",
                        partition,
                        actor,
                        o.deadLetterId()));
        return List.copyOf(outcomes.values());
    }

    /**
     * The open dead letters recorded in {@code cistern_dead_letter} (their record of truth, which outlives a Redis that
     * loses its data) that {@code filter} selects, oldest first, up to its limit.
     */
    public List<RecordedDeadLetter> recorded(DeadLetterFilter filter) {
        Objects.requireNonNull(filter, "filter must not be null");
        try (java.sql.Connection c = dataSource.getConnection()) {
            return List.copyOf(DeadLetterRows.open(c, filter));
        } catch (java.sql.SQLException e) {
            throw tableFailure("reading", e);
        }
    }

    /**
     * Replays the recorded dead letters {@code filter} selects (as {@link #replay}, in transactions of up to {@value
     * #CHUNK} entries per partition, oldest entry first) and reports what became of each, in the order selected. Each
     * transaction settles its rows in {@code cistern_dead_letter} itself: resolved {@code replayed} or {@code
     * superseded}, or kept with the new reason and one more attempt. After each commit the matching letters on the
     * partition's dead-letter stream, if Redis still has them, are resolved as {@link #replay} does (best effort: a
     * Redis failure is logged, and PostgreSQL stays right). A row ID of {@link DeadLetterFilter#withIds} that is not
     * open is reported {@code NOT_FOUND}.
     *
     * @throws BatchFailedException on a retryable database failure; transactions already committed stay settled
     */
    public List<DeadLetterOutcome> replayRecorded(String actor, DeadLetterFilter filter) {
        checkActor(actor);
        List<RecordedDeadLetter> letters = recorded(filter);
        Map<Long, DeadLetterOutcome> outcomes = new LinkedHashMap<>();
        letters.forEach(l -> outcomes.put(l.id(), null));
        Map<Integer, List<RecordedDeadLetter>> byPartition = new TreeMap<>();
        letters.forEach(l -> byPartition
                .computeIfAbsent(l.partition(), p -> new ArrayList<>())
                .add(l));
        long started = System.nanoTime();
        for (Map.Entry<Integer, List<RecordedDeadLetter>> part : byPartition.entrySet()) {
            int partition = part.getKey();
            checkPartition(partition);
            Map<String, RecordedDeadLetter> byEntry = new java.util.HashMap<>();
            Map<String, ChangeEntry> entries = new TreeMap<>(StreamIds.ORDER);
            for (RecordedDeadLetter l : part.getValue()) {
                try {
                    ChangeEntry entry = ChangeEntry.fromFields(StreamIds.require(l.entryId()), l.entry());
                    entries.put(entry.id(), entry);
                    byEntry.put(entry.id(), l);
                } catch (IllegalArgumentException e) {
                    outcomes.put(
                            l.id(),
                            recordedOutcome(
                                    l, DeadLetterOutcome.Kind.FAILED_AGAIN, "malformed entry: " + e.getMessage(), ""));
                }
            }
            for (List<ChangeEntry> chunk : chunks(entries.values())) {
                ApplyResult result = applier.replay(partition, chunk, 1, "replay:" + actor);
                Map<String, DeadLetter> failed = new java.util.HashMap<>();
                result.deadLetters().forEach(d -> failed.put(d.entryId(), d));
                Map<String, Long> resolvedVersions = new java.util.HashMap<>();
                for (ChangeEntry e : chunk) {
                    RecordedDeadLetter l = byEntry.get(e.id());
                    DeadLetterOutcome o = switch (result.outcomeOf(e.id())) {
                        case APPLIED -> recordedOutcome(l, DeadLetterOutcome.Kind.APPLIED, "", "");
                        case SUPERSEDED -> recordedOutcome(l, DeadLetterOutcome.Kind.SUPERSEDED, "", "");
                        case DEAD_LETTERED ->
                            recordedOutcome(
                                    l,
                                    DeadLetterOutcome.Kind.FAILED_AGAIN,
                                    failed.get(e.id()).reason(),
                                    failed.get(e.id()).sqlState());
                    };
                    if (o.kind() != DeadLetterOutcome.Kind.FAILED_AGAIN) {
                        resolvedVersions.put(e.id(), e.version());
                    }
                    outcomes.put(l.id(), o);
                }
                resolveOnStream(partition, resolvedVersions, false);
            }
        }
        notFound(filter, outcomes);
        long applied = count(outcomes, DeadLetterOutcome.Kind.APPLIED);
        long superseded = count(outcomes, DeadLetterOutcome.Kind.SUPERSEDED);
        long failedAgain = count(outcomes, DeadLetterOutcome.Kind.FAILED_AGAIN);
        LOG.info(
                "{} replayed {} recorded dead letters ({}) in {} ms: {} applied, {} superseded, {} failed again",
                actor,
                letters.size(),
                filter,
                (System.nanoTime() - started) / 1_000_000,
                applied,
                superseded,
                failedAgain);
        return List.copyOf(outcomes.values());
    }

    /**
     * Drops the recorded dead letters {@code filter} selects: resolved {@code dropped} in {@code cistern_dead_letter},
     * never applied; the matching letters on the dead-letter streams are removed as {@link #drop} does (best effort).
     */
    public List<DeadLetterOutcome> dropRecorded(String actor, DeadLetterFilter filter) {
        checkActor(actor);
        List<RecordedDeadLetter> letters = recorded(filter);
        Map<Long, DeadLetterOutcome> outcomes = new LinkedHashMap<>();
        java.util.Set<Long> dropped;
        try (java.sql.Connection c = dataSource.getConnection()) {
            dropped = DeadLetterRows.drop(
                    c, letters.stream().map(RecordedDeadLetter::id).toList());
        } catch (java.sql.SQLException e) {
            throw tableFailure("dropping " + letters.size() + " dead letters in", e);
        }
        Map<Integer, Map<String, Long>> byPartition = new TreeMap<>();
        for (RecordedDeadLetter l : letters) {
            if (dropped.contains(l.id())) {
                outcomes.put(l.id(), recordedOutcome(l, DeadLetterOutcome.Kind.DROPPED, "", ""));
                byPartition
                        .computeIfAbsent(l.partition(), p -> new java.util.HashMap<>())
                        .put(l.entryId(), l.version().isPresent() ? l.version().getAsLong() : null);
                LOG.warn(
                        "partition {}: {} dropped dead letter {} (entry {}, {} {}/{}, reason: {}); it will never be"
                                + " applied",
                        l.partition(),
                        actor,
                        l.id(),
                        l.entryId(),
                        l.operation(),
                        l.table(),
                        l.key(),
                        l.reason());
            } else {
                outcomes.put(
                        l.id(),
                        new DeadLetterOutcome(Long.toString(l.id()), "", DeadLetterOutcome.Kind.NOT_FOUND, "", "", ""));
            }
        }
        byPartition.forEach((p, entryIds) -> resolveOnStream(p, entryIds, true));
        notFound(filter, outcomes);
        return List.copyOf(outcomes.values());
    }

    /**
     * Moves the letters of every partition's dead-letter stream into {@code cistern_dead_letter} (run by {@code
     * ops/cistern init} on upgrade): each is inserted once, keyed by partition and entry ID, so running it again, or
     * after the worker recorded the same entry, adds nothing. The stream letters stay (the writer's {@code
     * wait=synced} and the status still read them) until a replay or drop resolves them.
     *
     * @return how many dead letters were new to the table
     */
    public int moveStreamsToTable() {
        int moved = 0;
        RedisClusterCommands<String, String> redis = connection.commands();
        for (int p = 0; p < registry.partitions(); p++) {
            Range.Boundary<String> start = Range.Boundary.unbounded();
            while (true) {
                List<StreamMessage<String, String>> page = redis.xrange(
                        layout.deadLetters(p), Range.from(start, Range.Boundary.unbounded()), Limit.from(PAGE));
                List<OpenDeadLetter> letters = new ArrayList<>(page.size());
                for (StreamMessage<String, String> m : page) {
                    letters.add(OpenDeadLetter.fromStream(p, m.getId(), m.getBody()));
                }
                try (java.sql.Connection c = dataSource.getConnection()) {
                    moved += DeadLetterRows.importFromStream(c, letters);
                } catch (java.sql.SQLException e) {
                    throw tableFailure("partition " + p + ": moving " + letters.size() + " stream letters into", e);
                }
                if (page.size() < PAGE) {
                    break;
                }
                start = Range.Boundary.excluding(page.getLast().getId());
            }
        }
        if (moved > 0) {
            LOG.info("moved {} dead letters from the Redis dead-letter streams into cistern_dead_letter", moved);
        }
        return moved;
    }

    /** A database failure while reading or writing {@code cistern_dead_letter}: nothing of that step changed. */
    static io.cistern.schema.failure.RetryableException tableFailure(String what, java.sql.SQLException e) {
        SqlFailureTranslator.Classified c = SqlFailureTranslator.classify(e);
        return new io.cistern.schema.failure.RetryableException(
                "DATABASE_UNAVAILABLE",
                what + " cistern_dead_letter failed"
                        + (c.sqlState().isEmpty() ? "" : " (SQLSTATE " + c.sqlState() + ")") + ": " + c.message()
                        + "; nothing of this step changed, try again",
                Duration.ZERO,
                e);
    }

    private static DeadLetterOutcome recordedOutcome(
            RecordedDeadLetter l, DeadLetterOutcome.Kind kind, String reason, String sqlState) {
        String id = Long.toString(l.id());
        return new DeadLetterOutcome(
                id, l.entryId(), kind, reason, sqlState, kind == DeadLetterOutcome.Kind.FAILED_AGAIN ? id : "");
    }

    private static void notFound(DeadLetterFilter filter, Map<Long, DeadLetterOutcome> outcomes) {
        for (Long id : filter.ids()) {
            outcomes.computeIfAbsent(
                    id, i -> new DeadLetterOutcome(Long.toString(i), "", DeadLetterOutcome.Kind.NOT_FOUND, "", "", ""));
        }
    }

    private static long count(Map<Long, DeadLetterOutcome> outcomes, DeadLetterOutcome.Kind kind) {
        return outcomes.values().stream().filter(o -> o.kind() == kind).count();
    }

    /**
     * Resolves the letters on {@code partition}'s dead-letter stream whose entry IDs are keys of {@code entries} (a
     * stream may hold a letter twice: a batch whose commit failed after its notices were appended, retried); a hash
     * still at the version (the map's value; null for none) gets its TTL, or, when {@code dropped}, is deleted. Best
     * effort: PostgreSQL is the record of truth.
     */
    private void resolveOnStream(int partition, Map<String, Long> entries, boolean dropped) {
        if (entries.isEmpty()) {
            return;
        }
        try {
            RedisClusterCommands<String, String> redis = connection.commands();
            List<OpenDeadLetter> found = new ArrayList<>();
            Map<String, Long> versions = new LinkedHashMap<>();
            Range.Boundary<String> start = Range.Boundary.unbounded();
            while (true) {
                List<StreamMessage<String, String>> page = redis.xrange(
                        layout.deadLetters(partition), Range.from(start, Range.Boundary.unbounded()), Limit.from(PAGE));
                for (StreamMessage<String, String> m : page) {
                    OpenDeadLetter letter = OpenDeadLetter.fromStream(partition, m.getId(), m.getBody());
                    if (entries.containsKey(letter.entryId())) {
                        found.add(letter);
                        Long v = entries.get(letter.entryId());
                        if (v != null) {
                            versions.put(letter.id(), v);
                        }
                    }
                }
                if (page.size() < PAGE) {
                    break;
                }
                start = Range.Boundary.excluding(page.getLast().getId());
            }
            resolve(partition, found, versions, dropped);
        } catch (io.lettuce.core.RedisException e) {
            LOG.warn(
                    "partition {}: resolving {} letters on the dead-letter stream failed (cistern_dead_letter is"
                            + " settled; the stream letters stay until the next replay or drop): {}",
                    partition,
                    entries.size(),
                    e.getMessage());
        }
    }

    /** Records the outcomes of one committed replay transaction in Redis. */
    private void settle(
            String actor,
            int partition,
            List<ChangeEntry> chunk,
            ApplyResult result,
            Map<String, List<OpenDeadLetter>> byEntry,
            Map<String, DeadLetterOutcome> outcomes) {
        Map<String, DeadLetter> failed = new LinkedHashMap<>();
        result.deadLetters().forEach(d -> failed.put(d.entryId(), d));
        List<OpenDeadLetter> resolved = new ArrayList<>();
        Map<String, Long> versions = new LinkedHashMap<>();
        DeadLetterStream stream = new DeadLetterStream(connection.commands(), layout, "replay:" + actor);
        for (ChangeEntry entry : chunk) {
            for (OpenDeadLetter letter : byEntry.get(entry.id())) {
                DeadLetterOutcome outcome = switch (result.outcomeOf(entry.id())) {
                    case APPLIED -> DeadLetterOutcome.of(letter, DeadLetterOutcome.Kind.APPLIED);
                    case SUPERSEDED -> DeadLetterOutcome.of(letter, DeadLetterOutcome.Kind.SUPERSEDED);
                    case DEAD_LETTERED -> {
                        DeadLetter again = failed.get(entry.id());
                        DeadLetter renewed = new DeadLetter(
                                letter.entryId(),
                                letter.entry(),
                                again.reason(),
                                again.sqlState(),
                                letter.attempts() + 1);
                        String newId = stream.append(partition, renewed, letter.id());
                        yield new DeadLetterOutcome(
                                letter.id(),
                                letter.entryId(),
                                DeadLetterOutcome.Kind.FAILED_AGAIN,
                                again.reason(),
                                again.sqlState(),
                                newId == null ? "" : newId);
                    }
                };
                if (outcome.kind() != DeadLetterOutcome.Kind.FAILED_AGAIN) {
                    resolved.add(letter);
                    versions.put(letter.id(), entry.version());
                }
                outcomes.put(letter.id(), outcome);
            }
        }
        resolve(partition, resolved, versions, false);
    }

    /**
     * Removes {@code letters} from the stream and clears their keys with no open dead letter left. A hash whose version
     * is still {@code versions.get(letter ID)} gets its TTL ({@code dropped} false: the letter was applied or
     * superseded) or is deleted ({@code dropped}: it holds a write PostgreSQL never got; reads fall through to
     * PostgreSQL's row).
     */
    private void resolve(int partition, List<OpenDeadLetter> letters, Map<String, Long> versions, boolean dropped) {
        if (letters.isEmpty()) {
            return;
        }
        List<String> keys = new ArrayList<>();
        List<String> unkeyed = new ArrayList<>();
        List<String> keyed = new ArrayList<>();
        keys.add(layout.deadLetters(partition));
        keys.add(layout.deadLetterKeys(partition));
        for (OpenDeadLetter l : letters) {
            if (l.table().isEmpty() || l.key().isEmpty()) {
                unkeyed.add(l.id());
                continue;
            }
            keys.add(layout.record(partition, l.table(), l.key()));
            Long version = versions.get(l.id());
            keyed.addAll(List.of(l.id(), l.table(), l.key(), version == null ? "" : Long.toString(version)));
        }
        List<String> args = new ArrayList<>();
        args.add(Long.toString(syncedHashTtl.toMillis()));
        args.add(dropped ? "delete" : "expire");
        args.add(Integer.toString(unkeyed.size()));
        args.addAll(unkeyed);
        args.addAll(keyed);
        connection
                .commands()
                .eval(RESOLVE, ScriptOutputType.INTEGER, keys.toArray(String[]::new), args.toArray(String[]::new));
    }

    private Optional<OpenDeadLetter> read(int partition, String deadLetterId) {
        List<StreamMessage<String, String>> found =
                connection.commands().xrange(layout.deadLetters(partition), Range.create(deadLetterId, deadLetterId));
        return found.isEmpty()
                ? Optional.empty()
                : Optional.of(OpenDeadLetter.fromStream(
                        partition, deadLetterId, found.getFirst().getBody()));
    }

    private static List<String> selection(Collection<String> deadLetterIds) {
        Objects.requireNonNull(deadLetterIds, "deadLetterIds must not be null");
        if (deadLetterIds.isEmpty()) {
            throw new IllegalArgumentException("select at least one dead letter");
        }
        LinkedHashSet<String> ids = new LinkedHashSet<>();
        for (String id : deadLetterIds) {
            ids.add(StreamIds.require(Objects.requireNonNull(id, "a dead-letter ID must not be null")));
        }
        return List.copyOf(ids);
    }

    private void checkPartition(int partition) {
        if (partition < 0 || partition >= registry.partitions()) {
            throw new IllegalArgumentException(
                    "partition must be between 0 and " + (registry.partitions() - 1) + ", was " + partition);
        }
    }

    private static void checkActor(String actor) {
        Objects.requireNonNull(actor, "actor must not be null");
        if (actor.isBlank()) {
            throw new IllegalArgumentException("actor must name who replays or drops, was blank");
        }
    }

    @Override
    public void close() {
        connection.close();
    }

    /** {@code entries} in order, in replay transactions of at most {@link #CHUNK}. */
    private static List<List<ChangeEntry>> chunks(java.util.Collection<ChangeEntry> entries) {
        List<ChangeEntry> ordered = List.copyOf(entries);
        List<List<ChangeEntry>> chunks = new ArrayList<>();
        for (int from = 0; from < ordered.size(); from += CHUNK) {
            chunks.add(ordered.subList(from, Math.min(ordered.size(), from + CHUNK)));
        }
        return chunks;
    }
}
