package io.cistern.ops.status;

import io.cistern.connections.DatabaseSettings;
import io.cistern.connections.RedisClients;
import io.cistern.connections.RedisDeployment;
import io.cistern.connections.RedisSettings;
import io.cistern.schema.codec.ChangeEntry;
import io.cistern.schema.function.MemoryGuard;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.keys.StreamEntryId;
import io.cistern.schema.pools.DatabasePool;
import io.cistern.schema.pools.PoolAnnouncer;
import io.cistern.schema.wire.ConfigFields;
import io.cistern.schema.wire.MetaFields;
import io.cistern.schema.wire.WireScript;
import io.cistern.sync.PartitionControl;
import io.lettuce.core.KeyValue;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.function.Supplier;

/**
 * Reads the pipeline's status from Redis: one Lua script per partition, so that the watermark, the stream, the
 * pending list, the dead letters, the lease and the pause flag of a partition are read at one instant; then {@link
 * LagCalculator} turns the reading into a backlog and an oldest age. Read-only (the script is flagged {@code
 * no-writes}, so it runs on a replica too). The dead letters are counted where they are recorded, {@code
 * cistern_dead_letter}, when the reader was given a database ({@link DeadLetterCounts}); without one (a writer-only
 * service) the script's count of the notices on each partition's dead-letter stream stands in.
 *
 * <p>Cost, and why it stays small: counting entries means enumerating them (Redis has no range count), which blocks
 * Redis for about 3 microseconds per entry inside a script. So the script first tries the entries' versions: the
 * Function library gives each entry of a partition the next version ({@code v}), one more than the entry before, so
 * when the versions of the stream's first and last entries span exactly {@code XLEN} there is no hole and {@code
 * v(last) - v(first unapplied) + 1} is the backlog, in O(1). A hole (an {@code XDEL}, a re-seed after Redis lost its
 * data, entries not written by Cistern) makes the span longer than the stream, and the script then counts: the applied
 * entries not yet trimmed up to {@value #COUNT_BUDGET}, else the entries above the watermark up to the same budget.
 * Past both, the entries are counted outside the script in pages of {@value #PAGE}, from both ends until one end is
 * done (so at most twice the shorter side), and the partition is flagged {@link PartitionStatus#exact() inexact}
 * (counted in several steps while writes went on).
 *
 * <p>On a Redis Cluster each partition's script runs on the master serving the partition's slot (its keys share the
 * hash tag {@code {p}}), and each partition's status names that master ({@link PartitionStatus#master()}).
 *
 * <p>Reads through a {@link RedisDeployment}: the caller's, or, for a reader made by {@link #connect}, one of its own,
 * opened on first use and closed by {@link #close()}.
 * Thread-safe ({@link #read()} is serialised).
 */
public final class PipelineStatus implements AutoCloseable {
    static final int COUNT_BUDGET = 1_000;
    static final String GROUP = "sync";
    private static final int PAGE = 1_000;
    /** How many partition streams {@link #readBuffer} samples for the memory an entry takes. */
    static final int SAMPLED_STREAMS = 16;

    /*
     * KEYS[1] stream, KEYS[2] meta, KEYS[3] dead letters, KEYS[4] lease; ARGV[1] group, ARGV[2] count budget.
     * Returns: 1 now ms, 2 watermark, 3 paused-by, 4 owner-token, 5 owner-since, 6 XLEN, 7 applied in stream (-1
     * above budget), 8 unapplied in stream (-1 uncounted), 9 first unapplied ID, 10 last entry ID, 11 max deleted ID,
     * 12 group pending, 13 group lag (nil when Redis cannot tell), 14 DLQ length, 15 lease owner, 16 lease PTTL ms,
     * 17 1 when the counts came from the entries' versions, 18 the worker whose takeover 4 and 5 record, 19 entries
     * ever added to the stream (0 without a stream), 20 the worker's last batch error, 21 when it happened (epoch ms).
     */
    private static final String SCRIPT = WireScript.render("""
            #!lua flags=no-writes
            local stream, meta, dlq, lease = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
            local group, budget = ARGV[1], tonumber(ARGV[2])
            local t = redis.call('TIME')
            local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
            local m = redis.call('HMGET', meta, '${MetaFields.APPLIED}', '${MetaFields.PAUSED}', '${MetaFields.OWNER_TOKEN}',
              '${MetaFields.OWNER_SINCE}', '${MetaFields.OWNER}', '${MetaFields.LAST_ERROR}', '${MetaFields.LAST_ERROR_AT}')
            local wm = m[1]
            local len = redis.call('XLEN', stream)
            local function count(from, to)
              local n = #redis.call('XRANGE', stream, from, to, 'COUNT', budget + 1)
              if n > budget then return -1 end
              return n
            end
            local function version(entry)
              if not entry then return nil end
              local f = entry[2]
              for i = 1, #f, 2 do
                if f[i] == '${ChangeEntry.VERSION}' then return tonumber(f[i + 1]) end
                -- format 2: one field e2:<op>:<table>:<columns> whose value starts with <version>:
                if string.sub(f[i], 1, 3) == '${ChangeEntry.PACKED_PREFIX}' then
                  return tonumber(string.match(f[i + 1], '^(%d+):'))
                end
              end
              return nil
            end
            local head = redis.call('XRANGE', stream, '-', '+', 'COUNT', 1)[1]
            local last = redis.call('XREVRANGE', stream, '+', '-', 'COUNT', 1)[1]
            local first = head
            if wm then first = redis.call('XRANGE', stream, '(' .. wm, '+', 'COUNT', 1)[1] end
            local applied, unapplied, indexed = -1, -1, 0
            local vh, vl, vf = version(head), version(last), version(first)
            if wm and len == 0 then
              applied = 0
            elseif wm and vh and vl and vl - vh + 1 == len and (vf or not first) then
              -- Versions rise by one per entry of the partition, so when the stream's version span equals its length
              -- there is no hole (no XDEL, no re-seed jump) and versions index the entries: no need to count them.
              unapplied = 0
              if first then unapplied = vl - vf + 1 end
              applied = len - unapplied
              indexed = 1
            elseif wm then
              applied = count('-', wm)
              if applied < 0 then unapplied = count('(' .. wm, '+') end
            end
            local firstId, lastId = false, false
            if first then firstId = first[1] end
            if last then lastId = last[1] end
            local maxDeleted, pending, lag, added = false, 0, false, 0
            if redis.call('EXISTS', stream) == 1 then
              local info = redis.call('XINFO', 'STREAM', stream)
              for i = 1, #info, 2 do
                if info[i] == 'max-deleted-entry-id' then maxDeleted = info[i + 1] end
                if info[i] == 'entries-added' then added = info[i + 1] end
              end
              for _, g in ipairs(redis.call('XINFO', 'GROUPS', stream)) do
                local fields = {}
                for i = 1, #g, 2 do fields[g[i]] = g[i + 1] end
                if fields['name'] == group then
                  pending = fields['pending']
                  if fields['lag'] then lag = tostring(fields['lag']) end
                end
              end
            end
            return {tostring(now), wm, m[2], m[3], m[4], len, applied, unapplied, firstId, lastId, maxDeleted,
              pending, lag, redis.call('XLEN', dlq), redis.call('GET', lease), redis.call('PTTL', lease), indexed,
              m[5], added, m[6], m[7]}
            """);

    /** Opens the deployment read: the caller's (returned as is), or one of this reader's own. */
    private final Supplier<RedisDeployment> opener;

    private final KeyLayout layout;
    private final boolean ownsDeployment;
    /** The dead letters' counts from their record of truth, when this reader has a database; owned with the deployment. */
    private final DeadLetterCounts deadLetterCounts;
    /** Announces the dead-letter counts' pool for doctor, when this reader owns one; closed first. */
    private final PoolAnnouncer announcer;
    /** The client behind {@link #announcer}, shut down with it. */
    private final RedisClient announcerClient;

    private RedisDeployment deployment;
    /** The Redis time of the last partition read; guarded by this. */
    private Instant lastNow;

    /** A reader on {@code deployment}, which stays the caller's to close. */
    public PipelineStatus(RedisDeployment deployment, KeyLayout layout) {
        this(given(deployment), layout, false, null, null, null);
    }

    /**
     * A reader on {@code deployment} whose dead-letter counts come from {@code deadLetterCounts}; both stay the
     * caller's to close.
     */
    public PipelineStatus(RedisDeployment deployment, KeyLayout layout, DeadLetterCounts deadLetterCounts) {
        this(
                given(deployment),
                layout,
                false,
                Objects.requireNonNull(deadLetterCounts, "deadLetterCounts"),
                null,
                null);
    }

    /**
     * A reader on the deployment {@code deployment} supplies on first use (and after a failed open), which stays the
     * caller's to close; its dead-letter counts from {@code deadLetterCounts} (the caller's), or, when null, the
     * notices on the Redis dead-letter streams.
     */
    public static PipelineStatus on(
            Supplier<RedisDeployment> deployment, KeyLayout layout, DeadLetterCounts deadLetterCounts) {
        return new PipelineStatus(
                Objects.requireNonNull(deployment, "deployment"), layout, false, deadLetterCounts, null, null);
    }

    private PipelineStatus(
            Supplier<RedisDeployment> opener,
            KeyLayout layout,
            boolean ownsDeployment,
            DeadLetterCounts deadLetterCounts,
            PoolAnnouncer announcer,
            RedisClient announcerClient) {
        this.opener = opener;
        this.layout = Objects.requireNonNull(layout, "layout");
        this.ownsDeployment = ownsDeployment;
        this.deadLetterCounts = deadLetterCounts;
        this.announcer = announcer;
        this.announcerClient = announcerClient;
    }

    private static Supplier<RedisDeployment> given(RedisDeployment deployment) {
        Objects.requireNonNull(deployment, "deployment");
        return () -> deployment;
    }

    /**
     * A reader with a deployment of its own on {@code redis} (a single server, Sentinel or a cluster), closed by
     * {@link #close()}. Connects on first use. Its dead-letter counts are the notices on the Redis dead-letter streams:
     * for a reader without a database.
     */
    public static PipelineStatus connect(RedisSettings redis, KeyLayout layout) {
        Objects.requireNonNull(redis, "redis");
        return new PipelineStatus(() -> RedisDeployment.open(redis), layout, true, null, null, null);
    }

    /**
     * A reader with a deployment of its own on {@code redis} whose dead-letter counts come from {@code
     * cistern_dead_letter} in {@code database} ({@link DeadLetterCounts}), through one connection of its own; both
     * closed by {@link #close()}. Connects to each on first use. Off a cluster, the connection's pool is announced for
     * {@code ops/cistern doctor}'s {@code max_connections} check ({@link PoolAnnouncer}) while the reader is open (on a
     * cluster the announcement waits for the unpartitioned keys' home there: not announced).
     */
    public static PipelineStatus connect(RedisSettings redis, KeyLayout layout, DatabaseSettings database) {
        Objects.requireNonNull(redis, "redis");
        RedisClient announcerClient = null;
        PoolAnnouncer announcer = null;
        if (redis.topology() != RedisSettings.Topology.CLUSTER) {
            announcerClient = RedisClients.create(redis);
            announcer = PoolAnnouncer.start(
                    announcerClient,
                    layout,
                    DatabasePool.ofThisProcess(
                            DatabasePool.STATUS,
                            DeadLetterCounts.POOL_SIZE,
                            DatabasePool.database(database.hosts(), database.database())),
                    PoolAnnouncer.DEFAULT_LIFETIME);
        }
        return new PipelineStatus(
                () -> RedisDeployment.open(redis),
                layout,
                true,
                DeadLetterCounts.connect(database),
                announcer,
                announcerClient);
    }

    /** The key layout read. */
    public KeyLayout layout() {
        return layout;
    }

    /**
     * Reads every partition.
     *
     * @throws IllegalStateException when Cistern is not initialised with this prefix (no partition count in Redis)
     * @throws io.lettuce.core.RedisException when Redis cannot be read
     */
    public synchronized StatusSnapshot read() {
        RedisDeployment deployment = deployment();
        RedisClusterCommands<String, String> redis = deployment.sync();
        int partitions = partitions(redis);
        List<PartitionStatus> all = new ArrayList<>(partitions);
        Optional<Map<Integer, Long>> deadLetters =
                deadLetterCounts == null ? Optional.empty() : deadLetterCounts.read();
        Instant takenAt = null;
        for (int p = 0; p < partitions; p++) {
            PartitionStatus status = read(deployment, p, deadLetters);
            if (takenAt == null) {
                takenAt = lastNow;
            }
            all.add(status);
        }
        return new StatusSnapshot(takenAt == null ? redisTime(redis) : takenAt, layout.prefix(), all);
    }

    /**
     * One partition, its dead letters as {@code deadLetters} counts them (their record of truth), or, without those
     * counts, as the notices on its Redis dead-letter stream.
     */
    private PartitionStatus read(RedisDeployment deployment, int p, Optional<Map<Integer, Long>> deadLetters) {
        RedisClusterCommands<String, String> redis = deployment.sync();
        List<Object> r = redis.eval(
                SCRIPT,
                ScriptOutputType.MULTI,
                new String[] {layout.stream(p), layout.meta(p), layout.deadLetters(p), layout.lease(p)},
                GROUP,
                Integer.toString(COUNT_BUDGET));
        long now = Long.parseLong(text(r, 0));
        lastNow = Instant.ofEpochMilli(now);
        Optional<String> watermark = Optional.ofNullable(text(r, 1));
        StreamReading reading = new StreamReading(
                watermark.map(StreamEntryId::parse),
                number(r, 5),
                number(r, 6),
                number(r, 7),
                Optional.ofNullable(text(r, 8)).map(StreamEntryId::parse),
                Optional.ofNullable(text(r, 10)).map(StreamEntryId::parse),
                now);
        boolean exact = true;
        OptionalLong fallback = OptionalLong.empty();
        if (watermark.isPresent()
                && reading.appliedInStream() == StreamReading.UNCOUNTED
                && reading.unappliedInStream() == StreamReading.UNCOUNTED) {
            fallback = OptionalLong.of(countUnapplied(redis, p, watermark.get(), reading.length()));
            exact = false;
        }
        LagCalculator.Lag lag = LagCalculator.of(reading, fallback);
        Optional<LeaseStatus> owner = Optional.empty();
        String worker = text(r, 14);
        if (worker != null) {
            // The takeover record is the lease owner's only if it names it (recording it is best effort).
            boolean recorded = worker.equals(text(r, 17));
            String token = recorded ? text(r, 3) : null;
            String since = recorded ? text(r, 4) : null;
            owner = Optional.of(new LeaseStatus(
                    worker,
                    Optional.ofNullable(since).map(s -> Instant.ofEpochMilli(Long.parseLong(s))),
                    token == null ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(token)),
                    Duration.ofMillis(Math.max(0, number(r, 15)))));
        }
        String xinfoLag = text(r, 12);
        String error = text(r, 19);
        String errorAt = text(r, 20);
        Optional<ApplyError> lastError = error == null
                ? Optional.empty()
                : Optional.of(new ApplyError(error, Optional.ofNullable(errorAt).map(ApplyError::parseTime)));
        return new PartitionStatus(
                p,
                lag.backlog(),
                lag.oldestAge(),
                lag.backlog() > 0 ? Optional.ofNullable(text(r, 8)) : Optional.empty(),
                watermark,
                Optional.ofNullable(text(r, 9)),
                reading.length(),
                number(r, 18),
                number(r, 11),
                deadLetters.map(c -> c.getOrDefault(p, 0L)).orElse(number(r, 13)),
                owner,
                Optional.ofNullable(text(r, 2)),
                xinfoLag == null ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(xinfoLag)),
                lag.deletedBeforeApplied(),
                exact,
                lastError,
                masterOf(deployment, p));
    }

    /**
     * The master serving partition {@code p}'s slot as the client last saw the topology, on a cluster; empty off a
     * cluster (one master serves every partition).
     */
    private Optional<String> masterOf(RedisDeployment deployment, int p) {
        if (!deployment.isCluster()) {
            return Optional.empty();
        }
        try {
            return Optional.of(deployment.masterFor(layout.meta(p)).address());
        } catch (IllegalStateException e) {
            return Optional.of(PartitionStatus.NO_MASTER);
        }
    }

    /**
     * What Redis says about the buffer's room ({@link BufferCapacity.Reading}), beside {@code snapshot} (whose stream
     * lengths it uses): {@code INFO memory}, the limits published in partition 0's meta hash, and the memory per
     * buffered entry sampled from the {@value #SAMPLED_STREAMS} longest streams: {@code MEMORY USAGE} of each stream
     * divided by its length, plus the {@code MEMORY USAGE} of the record hash its newest entry wrote (as if each
     * entry wrote a new key, which errs on the safe side). About 3 commands a sampled partition, not atomic with the
     * snapshot.
     */
    public synchronized BufferCapacity.Reading readBuffer(StatusSnapshot snapshot) {
        RedisDeployment deployment = deployment();
        RedisClusterCommands<String, String> redis = deployment.sync();
        // On a cluster, the memory of the master holding partition 0's meta (where the limits are published); each
        // master enforces the limits on its own partitions (doctor reports every master's memory).
        MemoryGuard.RedisMemory memory = MemoryGuard.RedisMemory.parse(
                deployment.masterFor(layout.meta(0)).sync().info("memory"));
        List<KeyValue<String, String>> limits =
                redis.hmget(layout.meta(0), MetaFields.MAX_MEMORY, MetaFields.MAX_BACKLOG);
        long maxMemory = limits.get(0).hasValue() ? Long.parseLong(limits.get(0).getValue()) : 0;
        long maxBacklog =
                limits.get(1).hasValue() ? Long.parseLong(limits.get(1).getValue()) : 0;
        List<PartitionStatus> longest = snapshot.partitions().stream()
                .filter(p -> p.streamLength() > 0)
                .sorted(java.util.Comparator.comparingLong(PartitionStatus::streamLength)
                        .reversed())
                .limit(SAMPLED_STREAMS)
                .toList();
        long streamBytes = 0;
        long streamEntries = 0;
        long hashBytes = 0;
        int hashes = 0;
        for (PartitionStatus p : longest) {
            Long usage = redis.memoryUsage(layout.stream(p.partition()));
            List<StreamMessage<String, String>> newest =
                    redis.xrevrange(layout.stream(p.partition()), Range.create("-", "+"), Limit.from(1));
            if (usage == null || newest.isEmpty()) {
                continue; // trimmed or removed since the snapshot
            }
            streamBytes += usage;
            streamEntries += p.streamLength();
            ChangeEntry entry;
            try {
                entry = ChangeEntry.fromFields(
                        newest.get(0).getId(), newest.get(0).getBody());
            } catch (IllegalArgumentException e) {
                entry = null; // malformed, or a newer format: its hash is not sampled
            }
            if (entry != null) {
                Long hash = redis.memoryUsage(layout.record(p.partition(), entry.table(), entry.key()));
                if (hash != null) {
                    hashBytes += hash;
                    hashes++;
                }
            }
        }
        OptionalDouble perEntry = streamEntries == 0
                ? OptionalDouble.empty()
                : OptionalDouble.of(
                        (double) streamBytes / streamEntries + (hashes == 0 ? 0 : (double) hashBytes / hashes));
        long longestStream = snapshot.partitions().stream()
                .mapToLong(PartitionStatus::streamLength)
                .max()
                .orElse(0);
        return new BufferCapacity.Reading(
                memory, maxMemory, maxBacklog, Math.max(1, snapshot.partitions().size()), longestStream, perEntry);
    }

    /**
     * The entries above {@code watermark}, counted in pages outside any script (not atomic with the rest): from both
     * ends of the stream in turn until one end is done, so the cost is at most twice the shorter side.
     */
    private long countUnapplied(RedisClusterCommands<String, String> redis, int p, String watermark, long length) {
        String stream = layout.stream(p);
        long applied = 0;
        long unapplied = 0;
        Range.Boundary<String> headFrom = Range.Boundary.unbounded();
        Range.Boundary<String> tailFrom = Range.Boundary.excluding(watermark);
        while (true) {
            List<StreamMessage<String, String>> head =
                    redis.xrange(stream, Range.from(headFrom, Range.Boundary.including(watermark)), Limit.from(PAGE));
            applied += head.size();
            if (head.size() < PAGE) {
                return Math.max(0, length - applied);
            }
            headFrom = Range.Boundary.excluding(head.get(head.size() - 1).getId());
            List<StreamMessage<String, String>> tail =
                    redis.xrange(stream, Range.from(tailFrom, Range.Boundary.unbounded()), Limit.from(PAGE));
            unapplied += tail.size();
            if (tail.size() < PAGE) {
                return unapplied;
            }
            tailFrom = Range.Boundary.excluding(tail.get(tail.size() - 1).getId());
        }
    }

    /**
     * The partition count recorded by {@code ops/cistern init} in {@code {prefix}:config}.
     *
     * @throws IllegalStateException when it is missing
     */
    public synchronized int partitions() {
        return partitions(deployment().sync());
    }

    private int partitions(RedisClusterCommands<String, String> redis) {
        String count = redis.hget(layout.config(), ConfigFields.PARTITIONS);
        if (count == null) {
            throw new IllegalStateException("Redis has no partition count at " + layout.config()
                    + ": Cistern is not initialised with prefix '" + layout.prefix()
                    + "' (run ops/cistern init, or pass the right --prefix)");
        }
        return Integer.parseInt(count);
    }

    /**
     * Who paused partition {@code p}, as {@link PartitionControl} records it: on the node connection of the master
     * serving its slot (on a cluster), so use it for partition {@code p} only and ask again after a failover.
     */
    public synchronized PartitionControl control(int p) {
        return new PartitionControl(deployment().masterFor(layout.meta(p)).sync(), layout);
    }

    private static Instant redisTime(RedisClusterCommands<String, String> redis) {
        List<String> t = redis.time();
        return Instant.ofEpochSecond(Long.parseLong(t.get(0)), Long.parseLong(t.get(1)) * 1_000);
    }

    private RedisDeployment deployment() {
        if (deployment == null) {
            deployment = opener.get();
        }
        return deployment;
    }

    private static String text(List<Object> r, int i) {
        Object o = r.get(i);
        return o == null ? null : o.toString();
    }

    private static long number(List<Object> r, int i) {
        Object o = r.get(i);
        if (o instanceof Number n) {
            return n.longValue();
        }
        return o == null ? 0 : Long.parseLong(o.toString());
    }

    @Override
    public synchronized void close() {
        if (announcer != null) {
            announcer.close();
        }
        if (announcerClient != null) {
            announcerClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
        if (ownsDeployment && deployment != null) {
            deployment.close();
        }
        deployment = null;
        if (ownsDeployment && deadLetterCounts != null) {
            try {
                deadLetterCounts.close();
            } catch (Exception e) {
                // Closing a pool that never connected, or that lost its database: nothing is left to release.
            }
        }
    }
}
