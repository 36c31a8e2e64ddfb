package io.cistern.sync;

import io.cistern.connections.Backoff;
import io.cistern.schema.codec.ChangeEntry;
import io.cistern.schema.failure.RedisReplies;
import io.cistern.schema.function.FunctionLibrary;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.pools.DatabasePool;
import io.cistern.schema.pools.PoolRegistry;
import io.cistern.schema.postgres.Initializer;
import io.cistern.schema.registry.RedisRegistry;
import io.cistern.schema.registry.RegistryCache;
import io.cistern.schema.registry.TableRegistry;
import io.cistern.schema.wire.ConfigFields;
import io.cistern.schema.wire.MetaFields;
import io.cistern.schema.wire.WireScript;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisBusyException;
import io.lettuce.core.RedisException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A sync worker: takes partitions through leases, and drains each owned partition's stream into PostgreSQL (DESIGN.md
 * 3.3). Runs without Spring: build it, {@link #start()} it, {@link #close()} it.
 *
 * <p>Ownership: a lease in Redis ({@code SET <lease key> <workerId> NX PX <leaseTime>}) says who should work on a
 * partition; it is renewed every {@code renewInterval} on the worker's own lease connection, so a blocking read never
 * starves renewal. When it takes a lease the worker takes a fencing token from PostgreSQL, and every transaction
 * checks it, so a worker that lost its lease (a GC pause, a partition from Redis) commits nothing. A worker whose
 * renewal fails stops the partition's loop once its lease would have expired by its own clock.
 *
 * <p>Even spread: every round the worker announces itself in the sorted set {@link
 * io.cistern.schema.keys.KeyLayout#workers()} (its ID scored with the Redis time at which its heartbeat expires, one
 * lease time ahead; expired members are pruned in the same script, so clocks of different hosts never matter),
 * counts the live workers, and takes free partitions only up to its fair share {@code ceil(partitions / live)}
 * ({@link PartitionShare}). Partitions above its share it drains (the loop commits and acknowledges its batch in
 * hand) and releases, so a worker that joins gets its share within a few renew intervals; the partitions of a worker
 * that leaves ({@link #close()} removes it from the set at once) or dies (its heartbeat and leases expire after one
 * lease time) are taken by the others.
 *
 * <p>Losing Redis data (invariant 6): whenever it takes a partition whose meta hash has no version floor, the worker
 * re-seeds it before starting its loop: it loads the Function library if it is missing, re-publishes the registry and
 * {@link SyncSettings#limits() the buffer limits} ({@link RedisRegistry#publish}), then raises the floor to {@code
 * cistern_partition.version_floor} ({@code FCALL cistern_confirm_v1}, see below), read together with the fresh fencing token; the
 * consumer group is created from the start of the stream ({@code XGROUP CREATE <stream> sync 0 MKSTREAM}). Until the
 * floor is back, writes to the partition are refused as retryable ({@code CISTERN_NOFLOOR}); after it, versions are
 * issued above everything PostgreSQL holds. When Redis loses everything the leases go too, so every owner sees its
 * renewal fail, stops the old loop and takes the partition again this way.
 *
 * <p>A shorter history (invariant 1): a Redis server that restarted, failed over to a replica or loaded a new library
 * refuses writes to a partition ({@code CISTERN_UNCONFIRMED}) until its floor is confirmed on that server. The worker
 * confirms it ({@code FCALL cistern_confirm_v1}) when it takes the partition, with the floor read with its fencing
 * token, and at every lease renewal, with the highest version it may have committed since ({@link
 * PartitionLoop#floorBound()}), so that versions continue above everything PostgreSQL holds even when the server's
 * meta issued fewer (docs/durability.md).
 *
 * <p>Its pool: when told which pool it uses ({@link #announcePool}), the worker announces it in {@link
 * io.cistern.schema.keys.KeyLayout#pools()} with every heartbeat, for one lease time, and withdraws it when it closes,
 * so that {@code ops/cistern doctor} can add up the live pools against {@code max_connections} ({@link PoolRegistry}).
 *
 * <p>Change-entry formats: every round, before its heartbeat and again after it, the worker announces that it reads
 * format 2 ({@link EntryFormatGate}); when every live worker of the heartbeat set does, it lets the Function write
 * format 2 to the partitions it owns, and when one does not (an older release, {@code CISTERN_ENTRY_FORMAT=1}) it sets
 * every partition back to format 1, so no worker meets a format it cannot read during a rolling upgrade.
 *
 * <p>Retention: unless {@link SyncSettings#deadLetterRetention()} is zero, the worker deletes resolved dead letters past
 * it ({@link DeadLetterRetention}) at start and every {@link #RETENTION_INTERVAL}, on its own thread so that a long
 * purge never delays a lease renewal. Every worker does; concurrent purges split the rows between them.
 *
 * <p>On a Redis Cluster (given a {@code RedisClusterClient}): each connection is a cluster connection, so every
 * partition's keys are read and written on the master serving its slot, wherever a failover or a reshard moved it;
 * renewals are per partition, so a master that is down costs only its own partitions; the Function library is loaded
 * on a master that lacks it when a floor confirmation there meets {@code ERR Function not found}; and the registry
 * and config hashes, which live on one master, are re-published when lost there (docs/cluster.md).
 *
 * <p>Threads: one lease thread ({@code cistern-sync-leases-<workerId>}), one retention thread ({@code
 * cistern-sync-retention-<workerId>}, when a retention is set) and one thread per owned partition ({@code
 * cistern-sync-p<n>-<workerId>}), each with its own Redis connection. {@link #close()} stops taking partitions, lets
 * each loop finish and acknowledge its batch in hand (up to {@code drainTimeout}), then releases the leases.
 */
public final class SyncWorker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SyncWorker.class);
    /**
     * KEYS[1] the lease, KEYS[2] the partition's meta hash (same slot); ARGV[1] this worker, ARGV[2] the lease time in
     * ms, ARGV[3] the entry format to open the partition's gate to ({@link EntryFormatGate}), or '' to leave it.
     */
    private static final String RENEW = WireScript.render("""
            if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
            if ARGV[3] ~= '' then redis.call('HSET', KEYS[2], '${MetaFields.ENTRY_FORMAT}', ARGV[3]) end
            return redis.call('PEXPIRE', KEYS[1], ARGV[2])
            """);

    private static final String RELEASE =
            "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";
    /**
     * How often each worker purges resolved dead letters past their retention (and once at start). The retention is at
     * least an hour ({@link DeadLetterRetention#MINIMUM}), so a row outlives it by at most one interval.
     */
    public static final Duration RETENTION_INTERVAL = Duration.ofHours(1);

    private final SyncSettings settings;
    /**
     * How long at least between two reloads of the registry from the catalog: a burst of batches that meet the same
     * change costs one reload.
     */
    static final Duration REGISTRY_RELOAD_INTERVAL = Duration.ofSeconds(1);

    /**
     * The registry read from PostgreSQL at start, reloaded from the catalog before a batch is judged by what it does not
     * know ({@link BatchApplier}); each new one is published to Redis for the writers and readers.
     */
    private final RegistryCache registry;

    private final DataSource dataSource;

    private final AbstractRedisClient redisClient;
    private final InstantSource clock;
    private final BatchApplier applier;
    private final FenceTokens fenceTokens;
    private final SyncMetrics metrics;
    private final ScheduledExecutorService leaseThread;
    /** Runs {@link #purgeResolvedDeadLetters()}; null when resolved dead letters are kept forever. */
    private final ScheduledExecutorService retentionThread;
    /** Owned partitions. Touched only by the lease thread, and by close() after that thread has ended. */
    private final Map<Integer, Owned> owned = new TreeMap<>();

    private RedisLink leaseConnection;
    /** The pool announced with each heartbeat; null when the caller did not say. Set before start. */
    private volatile DatabasePool pool;

    /** The live workers counted at the last heartbeat; touched by the lease thread only. */
    private long lastLive = 1;

    /** Which change-entry format the Function may write to the partitions this worker owns; lease thread only. */
    private final EntryFormatGate entryFormats;
    /** Whether this worker has announced itself a format reader yet (before its first heartbeat); lease thread only. */
    private boolean readerAnnounced;
    /** Whether a command of this lease round failed (a master unreachable); touched by the lease thread only. */
    private boolean roundFailed;

    private volatile boolean started;
    private volatile boolean closed;

    /** An owned partition. Its mutable fields are written by the lease thread only. */
    private static final class Owned {
        final PartitionLoop loop;
        final Thread thread;
        final long token;
        volatile Instant validUntil;
        /** Draining to be released: above this worker's fair share. */
        volatile boolean releasing;

        Owned(PartitionLoop loop, Thread thread, long token, Instant validUntil) {
            this.loop = loop;
            this.thread = thread;
            this.token = token;
            this.validUntil = validUntil;
        }
    }

    /**
     * A worker on the Redis {@code redisClient} reaches: a {@code RedisClient} (one server, Sentinel) or a {@code
     * RedisClusterClient} (a Redis Cluster).
     */
    public SyncWorker(
            SyncSettings settings, TableRegistry registry, DataSource dataSource, AbstractRedisClient redisClient) {
        this(settings, registry, dataSource, redisClient, new CompositeMeterRegistry());
    }

    /**
     * A worker that records its meters in {@code meters} (see the {@code cistern.sync.*} meters in {@code
     * docs/operations.md}): batch sizes, apply latency, retries by class, dead letters, lease changes and the
     * write-to-commit latency per table.
     */
    public SyncWorker(
            SyncSettings settings,
            TableRegistry registry,
            DataSource dataSource,
            AbstractRedisClient redisClient,
            MeterRegistry meters) {
        this(settings, registry, dataSource, redisClient, InstantSource.system(), meters);
    }

    SyncWorker(
            SyncSettings settings,
            TableRegistry registry,
            DataSource dataSource,
            AbstractRedisClient redisClient,
            InstantSource clock) {
        this(settings, registry, dataSource, redisClient, clock, new CompositeMeterRegistry());
    }

    SyncWorker(
            SyncSettings settings,
            TableRegistry registry,
            DataSource dataSource,
            AbstractRedisClient redisClient,
            InstantSource clock,
            MeterRegistry meters) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.registry = new RegistryCache(
                Objects.requireNonNull(registry, "registry"),
                () -> Initializer.registry(dataSource),
                REGISTRY_RELOAD_INTERVAL,
                InstantSource.system());
        this.redisClient = RedisLink.check(redisClient, "redisClient");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.applier = new BatchApplier(dataSource, this.registry, this::publishTables, settings.workerId());
        this.entryFormats = new EntryFormatGate(settings.layout(), settings.workerId(), settings.entryFormat());
        this.fenceTokens = new FenceTokens(dataSource, settings.stallTimeout());
        this.metrics = new SyncMetrics(Objects.requireNonNull(meters, "meters"), this.registry.current());
        this.leaseThread = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform()
                .name("cistern-sync-leases-" + settings.workerId())
                .factory());
        this.retentionThread = settings.deadLetterRetention().isZero()
                ? null
                : Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform()
                        .name("cistern-sync-retention-" + settings.workerId())
                        .daemon(true)
                        .factory());
    }

    /**
     * Publishes a registry reloaded from the catalog to Redis, so writers, readers and the Function see a table or
     * column change without waiting for the next {@code ops/cistern init}. The buffer limits are left as they are.
     */
    private void publishTables(TableRegistry reloaded) {
        try (RedisLink c = RedisLink.open(redisClient)) {
            new RedisRegistry(c.commands(), settings.layout()).publishTables(reloaded);
        } catch (RuntimeException e) {
            LOG.warn("could not publish the reloaded table registry to Redis: {}", e.toString());
        }
    }

    /**
     * Announces {@code pool}, the PostgreSQL pool this worker was given, with every heartbeat until the worker closes
     * (see the class comment). Call before {@link #start()}.
     *
     * @return this worker
     */
    public synchronized SyncWorker announcePool(DatabasePool pool) {
        if (started) {
            throw new IllegalStateException(
                    "sync worker " + settings.workerId() + ": announce its pool before start()");
        }
        this.pool = Objects.requireNonNull(pool, "pool");
        return this;
    }

    /** Starts taking partitions. Returns at once; partitions are taken on the lease thread. */
    public synchronized void start() {
        if (started) {
            throw new IllegalStateException("sync worker " + settings.workerId() + " is already started");
        }
        started = true;
        leaseConnection = RedisLink.open(redisClient);
        leaseThread.scheduleWithFixedDelay(
                this::tendLeases, 0, settings.renewInterval().toMillis(), TimeUnit.MILLISECONDS);
        if (retentionThread != null) {
            retentionThread.scheduleWithFixedDelay(
                    this::purgeResolvedDeadLetters, 0, RETENTION_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
        }
        LOG.info(
                "sync worker {} started: {} partitions, prefix '{}', batches of up to {} with {} ms linger, leases of {}"
                        + " ms",
                settings.workerId(),
                registry.current().partitions(),
                settings.layout().prefix(),
                settings.batchSize(),
                settings.linger().toMillis(),
                settings.leaseTime().toMillis());
    }

    /** The partitions this worker owns right now. */
    public synchronized java.util.Set<Integer> ownedPartitions() {
        return java.util.Set.copyOf(owned.keySet());
    }

    /** How many entries this worker has applied (not counting dead letters) since it started. */
    public long appliedEntries() {
        synchronized (this) {
            return owned.values().stream()
                    .mapToLong(o -> o.loop.appliedEntries())
                    .sum();
        }
    }

    /**
     * Deletes the resolved dead letters past {@link SyncSettings#deadLetterRetention()}, stopping between two chunks
     * when the worker closes. A failure (PostgreSQL unreachable) is logged and left to the next run: nothing is lost by
     * keeping rows an hour longer, and the schedule must survive it.
     */
    private void purgeResolvedDeadLetters() {
        Duration retention = settings.deadLetterRetention();
        try {
            DeadLetterRetention.Purged purged = new DeadLetterRetention(dataSource).purge(retention, () -> !closed);
            metrics.deadLettersPurged(purged.byResolution());
            if (purged.total() > 0) {
                LOG.info(
                        "sync worker {}: deleted {} dead letters resolved more than {} ms ago ({}; {}) in {} statements,"
                                + " {} ms",
                        settings.workerId(),
                        purged.total(),
                        retention.toMillis(),
                        purged.describe(),
                        SyncSettings.DEAD_LETTER_RETENTION_VARIABLE,
                        purged.statements(),
                        purged.took().toMillis());
            }
        } catch (RuntimeException e) {
            LOG.warn(
                    "sync worker {}: purging resolved dead letters failed, next try in {} min: {}",
                    settings.workerId(),
                    RETENTION_INTERVAL.toMinutes(),
                    e.getMessage());
        }
    }

    private void tendLeases() {
        if (closed) {
            return;
        }
        try {
            RedisClusterCommands<String, String> redis = leaseConnection.commands();
            if (roundFailed) {
                // Right before the round rather than after the last one: a promotion that completed in between is seen.
                refreshTopology();
            }
            roundFailed = false;
            if (!readerAnnounced) {
                // Before the first heartbeat: no worker may see this one live before it is seen a reader.
                announceReader(redis);
            }
            List<String> liveWorkers = heartbeatOrLast(redis);
            long live = lastLive;
            updateEntryFormat(redis, liveWorkers);
            announcePool(redis);
            renewLeases(redis, o -> true);
            if (closed) {
                return;
            }
            try {
                reseedUnpartitionedIfLost(redis);
            } catch (RuntimeException failure) {
                roundFailed = true;
                LOG.warn(
                        "sync worker {}: could not check the registry and config in Redis: {}",
                        settings.workerId(),
                        failure.getMessage());
            }
            Map<Integer, Owned> current = snapshot();
            Set<Integer> releasing = new HashSet<>();
            current.forEach((p, o) -> {
                if (o.releasing) {
                    releasing.add(p);
                }
            });
            PartitionShare share =
                    PartitionShare.decide(registry.current().partitions(), (int) live, current.keySet(), releasing);
            for (int p : share.toRelease()) {
                LOG.info(
                        "partition {}: {} live workers, fair share {}, this worker owns {}; draining it for release",
                        p,
                        live,
                        share.fairShare(),
                        current.size());
                Owned o = current.get(p);
                o.releasing = true;
                o.loop.stop();
            }
            int toTake = share.toTake();
            List<Integer> untaken = new java.util.ArrayList<>();
            RuntimeException takeFailure = null;
            for (int p = 0; p < registry.current().partitions() && toTake > 0 && !closed; p++) {
                if (current.containsKey(p)) {
                    continue;
                }
                try {
                    if (tryTake(redis, p)) {
                        toTake--;
                    }
                    // A take waits for its fencing token, which waits for a previous owner's open transaction: a round
                    // of slow takes must not outlast the leases it already holds.
                    renewLeases(redis, this::renewalDue);
                } catch (RuntimeException failure) {
                    // Its master is unreachable (or failing over): the others may still be taken.
                    roundFailed = true;
                    untaken.add(p);
                    takeFailure = takeFailure == null ? failure : takeFailure;
                }
            }
            if (takeFailure != null) {
                LOG.warn(
                        "sync worker {}: could not try to take partitions {} this round: {}",
                        settings.workerId(),
                        untaken,
                        takeFailure.getMessage());
            }
        } catch (RuntimeException e) {
            // Redis unreachable: loops keep going until their leases would have expired; the fence guards commits.
            LOG.warn("sync worker {}: tending leases failed: {}", settings.workerId(), e.getMessage());
            roundFailed = true;
            expireUnrenewed();
        }
    }

    /**
     * Renews the owned leases {@code which} selects, one partition at a time: on a Redis Cluster each partition's keys
     * live on its slot's master, and a master that is down (failing over) must cost only its own partitions their
     * renewals, never the others'.
     */
    private void renewLeases(RedisClusterCommands<String, String> redis, java.util.function.Predicate<Owned> which) {
        List<Integer> unrenewed = new java.util.ArrayList<>();
        RuntimeException firstFailure = null;
        for (Map.Entry<Integer, Owned> e : snapshot().entrySet()) {
            if (!which.test(e.getValue())) {
                continue;
            }
            try {
                renew(redis, e.getKey(), e.getValue());
            } catch (RuntimeException failure) {
                roundFailed = true;
                unrenewed.add(e.getKey());
                firstFailure = firstFailure == null ? failure : firstFailure;
                renewalFailed(e.getKey(), e.getValue(), failure);
            }
        }
        if (firstFailure != null) {
            // One line a round, not one a partition: a Redis that is down fails them all.
            LOG.warn(
                    "sync worker {}: leases of partitions {} not renewed this round (their loops go on until the"
                            + " leases would have expired): {}",
                    settings.workerId(),
                    unrenewed,
                    firstFailure.getMessage());
        }
    }

    /** Whether a lease was last renewed (or taken) at least one renew interval ago. */
    private boolean renewalDue(Owned o) {
        Instant renewedAt = o.validUntil.minus(settings.leaseTime());
        return !clock.instant().isBefore(renewedAt.plus(settings.renewInterval()));
    }

    /**
     * On a Redis Cluster, before a round that follows one in which some master could not be reached: asks the cluster
     * for its topology at once, so that this round (and every partition loop, whose connections share the client's view) reaches a
     * promoted replica or a slot's new master without waiting for the client's periodic refresh. Nothing off a cluster.
     */
    private void refreshTopology() {
        try {
            leaseConnection.refreshIfCluster();
        } catch (RuntimeException e) {
            LOG.debug("sync worker {}: topology refresh failed: {}", settings.workerId(), e.getMessage());
        }
    }

    /**
     * This round's heartbeat: the live workers, with {@link #lastLive} set to their count; null (and the count as last
     * seen) when the master holding the set cannot be reached.
     */
    private List<String> heartbeatOrLast(RedisClusterCommands<String, String> redis) {
        try {
            List<String> live = heartbeat(redis);
            lastLive = Math.max(1, live.size());
            return live;
        } catch (RuntimeException e) {
            roundFailed = true;
            LOG.warn(
                    "sync worker {}: heartbeat failed ({}); counting {} live workers as last seen",
                    settings.workerId(),
                    e.getMessage(),
                    lastLive);
        }
        return null;
    }

    /** Announces this worker in the format readers' set; false when that failed (said at debug level). */
    private List<String> announceReader(RedisClusterCommands<String, String> redis) {
        try {
            List<String> readers = entryFormats.announce(redis, settings.leaseTime());
            readerAnnounced = true;
            return readers;
        } catch (RuntimeException e) {
            roundFailed = true;
            LOG.debug("sync worker {}: announcing the entry formats it reads failed: {}", settings.workerId(), e);
            return null;
        }
    }

    /**
     * Decides which change-entry format the Function may write ({@link EntryFormatGate}) from this round's heartbeat
     * and the readers' set read after it; a round that could not read both keeps the last decision.
     */
    private void updateEntryFormat(RedisClusterCommands<String, String> redis, List<String> liveWorkers) {
        List<String> readers = announceReader(redis);
        if (liveWorkers == null || readers == null) {
            return;
        }
        try {
            entryFormats.update(redis, registry.current().partitions(), liveWorkers, readers);
        } catch (RuntimeException e) {
            roundFailed = true;
            LOG.warn(
                    "sync worker {}: could not set the change-entry format of every partition (tried again next"
                            + " round): {}",
                    settings.workerId(),
                    e.getMessage());
        }
    }

    /**
     * Opens partition {@code p}'s entry-format gate at takeover when this worker's last decision is format 2 (every
     * renewal does it too, in the renewal's script, so a partition whose meta Redis lost gets it back). Best effort: a
     * partition left on format 1 costs only speed.
     */
    private void openEntryFormat(RedisClusterCommands<String, String> redis, int partition) {
        if (entryFormats.decided() < ChangeEntry.FORMAT_2) {
            return;
        }
        try {
            entryFormats.set(redis, partition, entryFormats.decided());
        } catch (RuntimeException e) {
            LOG.debug("partition {}: could not set its change-entry format: {}", partition, e.getMessage());
        }
    }

    /** A renewal that failed (its partition's master unreachable): the loop goes on until the lease would have expired. */
    private void renewalFailed(int partition, Owned o, RuntimeException failure) {
        if (clock.instant().isAfter(o.validUntil)) {
            LOG.warn(
                    "partition {}: lease expired without renewal ({}); stopping its loop",
                    partition,
                    failure.getMessage());
            metrics.leaseChanged(partition, SyncMetrics.LeaseChange.LOST);
            drop(partition, o, false);
        } else {
            LOG.debug("partition {}: lease not renewed this round: {}", partition, failure.getMessage());
        }
    }

    /**
     * Re-seeds the keys without a partition tag (the registry and the config hash) when they are gone while partition
     * floors may still exist: on a Redis Cluster they live on one master, whose loss (a failover to a replica that had
     * not received them, a flushed node) leaves the other masters' partitions intact, so {@link #reseedIfFloorMissing}
     * never runs for them. Published from the catalog with this worker's buffer limits, as a re-seed does.
     */
    private void reseedUnpartitionedIfLost(RedisClusterCommands<String, String> redis) {
        KeyLayout layout = settings.layout();
        boolean configLost = !Boolean.TRUE.equals(redis.hexists(layout.config(), ConfigFields.PARTITIONS));
        boolean registryLost = !registry.current().tables().isEmpty() && redis.exists(layout.registry()) == 0;
        if (!configLost && !registryLost) {
            return;
        }
        LOG.warn(
                "sync worker {}: {} lost on the Redis master serving it ({}); re-seeding the registry and config from"
                        + " PostgreSQL",
                settings.workerId(),
                configLost ? layout.config() : layout.registry(),
                leaseConnection
                        .masterFor(configLost ? layout.config() : layout.registry())
                        .address());
        new RedisRegistry(redis, layout).publish(Initializer.registry(dataSource), settings.limits());
    }

    /** Announces this worker for one more lease time; returns the live workers, this one included. */
    private List<String> heartbeat(RedisClusterCommands<String, String> redis) {
        List<String> live =
                LiveSet.touch(redis, settings.layout().workers(), settings.workerId(), settings.leaseTime(), true);
        return live.isEmpty() ? List.of(settings.workerId()) : live;
    }

    /** Announces the pool for one lease time; a failure only costs doctor's count, never a lease renewal. */
    private void announcePool(RedisClusterCommands<String, String> redis) {
        DatabasePool p = pool;
        if (p == null) {
            return;
        }
        try {
            new PoolRegistry(redis, settings.layout()).announce(p, settings.leaseTime());
        } catch (RuntimeException e) {
            LOG.debug("sync worker {}: announcing its pool failed: {}", settings.workerId(), e.getMessage());
        }
    }

    private synchronized Map<Integer, Owned> snapshot() {
        return new TreeMap<>(owned);
    }

    private void renew(RedisClusterCommands<String, String> redis, int partition, Owned o) {
        if (o.loop.isFinished()) {
            LOG.info(
                    "partition {}: loop ended{}; releasing the lease",
                    partition,
                    o.releasing ? " (above this worker's fair share)" : "");
            drop(partition, o, true);
            return;
        }
        Instant now = clock.instant();
        Long renewed = redis.eval(
                RENEW,
                ScriptOutputType.INTEGER,
                new String[] {leaseKey(partition), settings.layout().meta(partition)},
                settings.workerId(),
                Long.toString(settings.leaseTime().toMillis()),
                entryFormats.decided() >= ChangeEntry.FORMAT_2 ? Integer.toString(entryFormats.decided()) : "");
        if (renewed != null && renewed == 1) {
            o.validUntil = now.plus(settings.leaseTime());
            confirmFloor(redis, partition, o.loop.floorBound());
        } else {
            LOG.warn(
                    "partition {}: lease lost (taken by another worker, or Redis lost its data); stopping its loop",
                    partition);
            metrics.leaseChanged(partition, SyncMetrics.LeaseChange.LOST);
            drop(partition, o, false);
        }
    }

    /** Takes a free partition: lease, fencing token, re-seed if Redis lost the floor, consumer group, loop. */
    private boolean tryTake(RedisClusterCommands<String, String> redis, int partition) {
        String ok = redis.set(
                leaseKey(partition),
                settings.workerId(),
                SetArgs.Builder.nx().px(settings.leaseTime().toMillis()));
        if (!"OK".equals(ok)) {
            return false;
        }
        Instant validUntil = clock.instant().plus(settings.leaseTime());
        FenceTokens.Grant grant;
        try {
            grant = fenceTokens.grant(partition);
        } catch (SQLException | RuntimeException e) {
            LOG.warn(
                    "partition {}: cannot take a fencing token ({}); giving the lease back", partition, e.getMessage());
            release(redis, partition);
            return false;
        }
        try {
            reseedIfFloorMissing(redis, partition, grant.versionFloor());
            confirmFloor(redis, partition, grant.versionFloor());
        } catch (RuntimeException e) {
            LOG.warn(
                    "partition {}: cannot re-seed its version floor ({}); giving the lease back",
                    partition,
                    e.getMessage());
            release(redis, partition);
            return false;
        }
        try {
            redis.xgroupCreate(
                    XReadArgs.StreamOffset.from(settings.layout().stream(partition), "0"),
                    PartitionLoop.GROUP,
                    XGroupCreateArgs.Builder.mkstream());
        } catch (RedisBusyException e) {
            // BUSYGROUP: the group exists, as it should.
        }
        recordTakeover(redis, partition, grant.token());
        openEntryFormat(redis, partition);
        RedisLink connection = RedisLink.open(redisClient, StreamReplyCodec.INSTANCE);
        PartitionLoop loop = new PartitionLoop(
                partition,
                grant.token(),
                grant.versionFloor(),
                grant.appliedWatermark(),
                settings,
                applier,
                connection,
                clock,
                new Backoff(settings.backoffInitial(), settings.backoffMax(), Duration.ZERO),
                metrics);
        Thread thread = Thread.ofPlatform()
                .name("cistern-sync-p" + partition + "-" + settings.workerId())
                .start(loop);
        synchronized (this) {
            owned.put(partition, new Owned(loop, thread, grant.token(), validUntil));
        }
        metrics.leaseChanged(partition, SyncMetrics.LeaseChange.ACQUIRED);
        return true;
    }

    /**
     * Re-seeds a partition whose meta hash has no version floor (invariant 6): the Function library when it is
     * missing, then the registry and limits. The floor itself comes last, from {@link #confirmFloor}, called right
     * after this, because the floor is what lets writes in.
     */
    private void reseedIfFloorMissing(RedisClusterCommands<String, String> redis, int partition, long versionFloor) {
        String meta = settings.layout().meta(partition);
        if (redis.hget(meta, MetaFields.FLOOR) != null) {
            return;
        }
        LOG.warn(
                "partition {}: {} has no version floor (Redis lost its data, or Cistern was never initialised with prefix"
                        + " '{}'); re-seeding it from PostgreSQL with floor {}",
                partition,
                meta,
                settings.layout().prefix(),
                versionFloor);
        loadLibraryIfMissing(meta);
        // The registry as the catalog holds it now, never the copy this worker loaded at start: a table registered or
        // changed since must not be published older than PostgreSQL's catalog.
        new RedisRegistry(redis, settings.layout()).publish(Initializer.registry(dataSource), settings.limits());
    }

    /**
     * Raises the partition's floor on the Redis server to {@code floorBound} (the highest version PostgreSQL may hold,
     * as this owner knows it) and confirms it there, so that the server issues versions above everything PostgreSQL
     * holds (invariant 1). Called when the partition is taken and at every lease renewal, while the lease is valid:
     * a server that restarted, failed over or reloaded the library refuses writes to the partition ({@code
     * CISTERN_UNCONFIRMED}) until then. A server whose meta had issued fewer versions than that is a shorter history:
     * said loudly, counted, and mended by the same call.
     */
    private void confirmFloor(RedisClusterCommands<String, String> redis, int partition, long floorBound) {
        String meta = settings.layout().meta(partition);
        List<Object> r;
        try {
            r = redis.fcall(
                    FunctionLibrary.CONFIRM_FUNCTION,
                    ScriptOutputType.MULTI,
                    new String[] {meta},
                    Long.toString(floorBound));
        } catch (RedisException e) {
            if (!RedisReplies.isFunctionNotFound(e.getMessage())) {
                throw e;
            }
            // The master serving the partition's slot lacks the library (a new node, a reshard target, a replica
            // promoted without it): writers fail there until it is loaded, so load it now and confirm again. The
            // client's
            // view of the topology is refreshed first: the master that answered may be one it does not know yet.
            refreshTopology();
            loadLibraryIfMissing(meta);
            r = redis.fcall(
                    FunctionLibrary.CONFIRM_FUNCTION,
                    ScriptOutputType.MULTI,
                    new String[] {meta},
                    Long.toString(floorBound));
        }
        long floor = ((Number) r.get(0)).longValue();
        boolean wasConfirmed = ((Number) r.get(2)).longValue() == 1;
        // The highest version this history had issued: writes take max(seq, floor) + 1.
        long issued = Math.max(((Number) r.get(1)).longValue(), ((Number) r.get(3)).longValue());
        if (issued < floorBound) {
            LOG.warn(
                    "partition {}: Redis holds a shorter history than PostgreSQL: its meta had issued versions up to {},"
                            + " PostgreSQL may hold up to {} (a replica promoted before it received the last writes, a"
                            + " restart from an AOF that lost its last second, or a restored snapshot); versions now"
                            + " continue above {}",
                    partition,
                    issued,
                    floorBound,
                    floor);
            metrics.floorConfirmed(partition, true);
        } else if (!wasConfirmed) {
            LOG.info(
                    "partition {}: confirmed version floor {} on a Redis server that had not confirmed it (it restarted,"
                            + " failed over or reloaded Cistern's library); writes to the partition are accepted again",
                    partition,
                    floor);
            metrics.floorConfirmed(partition, false);
        }
    }

    /**
     * Loads the Function library on the master serving {@code key}'s slot when that master lacks it (or holds an older
     * revision): a Function lives on each server, so on a Redis Cluster a master that joined, received slots or was
     * promoted without it fails every write to its partitions with {@code ERR Function not found} until a worker
     * notices. Says which node it loaded.
     */
    private void loadLibraryIfMissing(String key) {
        RedisLink.Node master = leaseConnection.masterFor(key);
        int installed = FunctionLibrary.installedRevision(master.commands());
        if (installed < FunctionLibrary.REVISION) {
            FunctionLibrary.install(master.commands());
            LOG.warn(
                    "sync worker {}: the Redis master {} (serving {}) had {} of Cistern's Function library; loaded"
                            + " revision {} there",
                    settings.workerId(),
                    master.address(),
                    key,
                    installed < 0 ? "no revision" : "revision " + installed,
                    FunctionLibrary.REVISION);
        }
    }

    /** For operators ({@code ops/cistern leases}): who took the partition, when, with which token. Best effort. */
    private void recordTakeover(RedisClusterCommands<String, String> redis, int partition, long token) {
        try {
            new PartitionControl(redis, settings.layout()).recordTakeover(partition, settings.workerId(), token);
        } catch (RedisException e) {
            LOG.debug("partition {}: takeover not recorded for operators: {}", partition, e.getMessage());
        }
    }

    private void expireUnrenewed() {
        Instant now = clock.instant();
        snapshot().forEach((p, o) -> {
            if (now.isAfter(o.validUntil)) {
                LOG.warn("partition {}: lease expired without renewal; stopping its loop", p);
                metrics.leaseChanged(p, SyncMetrics.LeaseChange.LOST);
                drop(p, o, false);
            }
        });
    }

    /**
     * Stops a loop without waiting for it (the lease thread must keep renewing the other leases); the loop closes its
     * own connection when it exits. Releases the lease if asked, which only a loop that has already ended may ask.
     */
    private void drop(int partition, Owned o, boolean releaseLease) {
        o.loop.stop();
        synchronized (this) {
            owned.remove(partition);
        }
        if (releaseLease) {
            try {
                release(leaseConnection.commands(), partition);
                metrics.leaseChanged(partition, SyncMetrics.LeaseChange.RELEASED);
            } catch (RedisException e) {
                LOG.warn("partition {}: lease not released ({}); it expires by itself", partition, e.getMessage());
            }
        }
    }

    /**
     * Stops the retention thread: no new run starts, a run in progress stops after its current statement (it checks
     * {@code closed}), waited for a few seconds; a statement that outlasts that ends with the pool.
     */
    private void stopRetention() {
        if (retentionThread == null) {
            return;
        }
        retentionThread.shutdown();
        try {
            if (!retentionThread.awaitTermination(5, TimeUnit.SECONDS)) {
                LOG.warn("sync worker {}: a dead-letter purge is still running; leaving it", settings.workerId());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void release(RedisClusterCommands<String, String> redis, int partition) {
        redis.eval(RELEASE, ScriptOutputType.INTEGER, new String[] {leaseKey(partition)}, settings.workerId());
    }

    /** {@code <prefix>:{p}:lease}, in the partition's hash slot. */
    String leaseKey(int partition) {
        return settings.layout().lease(partition);
    }

    /**
     * For tests: stops this worker as if its process froze or died: no more renewals or heartbeats, loops stopped, and
     * nothing released, so its leases and its heartbeat expire on their own. {@link #close()} does nothing after it.
     */
    void halt() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        leaseThread.shutdownNow();
        try {
            leaseThread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        stopRetention();
        Map<Integer, Owned> all = snapshot();
        all.values().forEach(o -> o.loop.stop());
        if (leaseConnection != null) {
            leaseConnection.close();
        }
        LOG.warn("sync worker {} halted without releasing partitions {}", settings.workerId(), all.keySet());
    }

    /**
     * Stops taking partitions, leaves the live workers (so the others take its share at once), lets every loop commit
     * and acknowledge its batch in hand (up to {@code drainTimeout}), releases the leases and closes the connections.
     * Idempotent.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        leaseThread.shutdown();
        try {
            if (!leaseThread.awaitTermination(settings.drainTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                leaseThread.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            leaseThread.shutdownNow();
        }
        stopRetention();
        if (leaseConnection != null) {
            try {
                leaseConnection.commands().zrem(settings.layout().workers(), settings.workerId());
                if (pool != null) {
                    new PoolRegistry(leaseConnection.commands(), settings.layout()).withdraw(pool);
                }
            } catch (RedisException e) {
                LOG.warn(
                        "sync worker {}: could not leave the live workers ({}); its heartbeat expires by itself",
                        settings.workerId(),
                        e.getMessage());
            }
        }
        Map<Integer, Owned> all = snapshot();
        all.values().forEach(o -> o.loop.stop());
        Instant drainDeadline = clock.instant().plus(settings.drainTimeout());
        all.forEach((p, o) -> {
            try {
                Duration left = Duration.between(clock.instant(), drainDeadline);
                if (!o.loop.awaitFinished(left.isNegative() ? Duration.ZERO : left)) {
                    LOG.warn("partition {}: batch in hand not committed within the drain timeout; it stays pending", p);
                    o.thread.interrupt();
                    o.loop.awaitFinished(Duration.ofSeconds(5));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            drop(p, o, true);
        });
        if (leaseConnection != null) {
            leaseConnection.close();
        }
        LOG.info("sync worker {} stopped; released partitions {}", settings.workerId(), all.keySet());
    }
}
