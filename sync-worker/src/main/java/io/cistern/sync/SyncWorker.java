package io.cistern.sync;

import io.cistern.connections.Backoff;
import io.cistern.schema.registry.TableRegistry;
import io.lettuce.core.RedisBusyException;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Map;
import java.util.Objects;
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
 * <p>Threads: one lease thread ({@code cistern-sync-leases-<workerId>}) and one thread per owned partition ({@code
 * cistern-sync-p<n>-<workerId>}), each with its own Redis connection. {@link #close()} stops taking partitions, lets
 * each loop finish and acknowledge its batch in hand (up to {@code drainTimeout}), then releases the leases.
 *
 * <p>Not yet: spreading partitions evenly across workers (each worker takes every free partition it sees).
 */
public final class SyncWorker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SyncWorker.class);
    private static final String RENEW = "if redis.call('GET', KEYS[1]) == ARGV[1] then"
            + " return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end";
    private static final String RELEASE =
            "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";

    private final SyncSettings settings;
    private final TableRegistry registry;
    private final RedisClient redisClient;
    private final InstantSource clock;
    private final BatchApplier applier;
    private final FenceTokens fenceTokens;
    private final ScheduledExecutorService leaseThread;
    /** Owned partitions. Touched only by the lease thread, and by close() after that thread has ended. */
    private final Map<Integer, Owned> owned = new TreeMap<>();

    private StatefulRedisConnection<String, String> leaseConnection;
    private volatile boolean started;
    private volatile boolean closed;

    private record Owned(PartitionLoop loop, Thread thread, long token, Instant[] validUntil) {}

    public SyncWorker(SyncSettings settings, TableRegistry registry, DataSource dataSource, RedisClient redisClient) {
        this(settings, registry, dataSource, redisClient, InstantSource.system());
    }

    SyncWorker(
            SyncSettings settings,
            TableRegistry registry,
            DataSource dataSource,
            RedisClient redisClient,
            InstantSource clock) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.redisClient = Objects.requireNonNull(redisClient, "redisClient");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.applier = new BatchApplier(Objects.requireNonNull(dataSource, "dataSource"), registry);
        this.fenceTokens = new FenceTokens(dataSource);
        this.leaseThread = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform()
                .name("cistern-sync-leases-" + settings.workerId())
                .factory());
    }

    /** Starts taking partitions. Returns at once; partitions are taken on the lease thread. */
    public synchronized void start() {
        if (started) {
            throw new IllegalStateException("sync worker " + settings.workerId() + " is already started");
        }
        started = true;
        leaseConnection = redisClient.connect();
        leaseThread.scheduleWithFixedDelay(
                this::tendLeases, 0, settings.renewInterval().toMillis(), TimeUnit.MILLISECONDS);
        LOG.info(
                "sync worker {} started: {} partitions, prefix '{}', batches of up to {} with {} ms linger, leases of {}"
                        + " ms",
                settings.workerId(),
                registry.partitions(),
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
                    .mapToLong(o -> o.loop().appliedEntries())
                    .sum();
        }
    }

    private void tendLeases() {
        if (closed) {
            return;
        }
        try {
            RedisCommands<String, String> redis = leaseConnection.sync();
            for (int p = 0; p < registry.partitions(); p++) {
                Owned o;
                synchronized (this) {
                    o = owned.get(p);
                }
                if (o != null) {
                    renew(redis, p, o);
                } else if (!closed) {
                    tryTake(redis, p);
                }
            }
        } catch (RuntimeException e) {
            // Redis unreachable: loops keep going until their leases would have expired; the fence guards commits.
            LOG.warn("sync worker {}: tending leases failed: {}", settings.workerId(), e.getMessage());
            expireUnrenewed();
        }
    }

    private void renew(RedisCommands<String, String> redis, int partition, Owned o) {
        if (o.loop().isFinished()) {
            LOG.info("partition {}: loop ended; releasing the lease", partition);
            drop(partition, o, true);
            return;
        }
        Instant now = clock.instant();
        Long renewed = redis.eval(
                RENEW,
                ScriptOutputType.INTEGER,
                new String[] {leaseKey(partition)},
                settings.workerId(),
                Long.toString(settings.leaseTime().toMillis()));
        if (renewed != null && renewed == 1) {
            o.validUntil()[0] = now.plus(settings.leaseTime());
        } else {
            LOG.warn("partition {}: lease lost to another worker; stopping its loop", partition);
            drop(partition, o, false);
        }
    }

    private void tryTake(RedisCommands<String, String> redis, int partition) {
        String ok = redis.set(
                leaseKey(partition),
                settings.workerId(),
                SetArgs.Builder.nx().px(settings.leaseTime().toMillis()));
        if (!"OK".equals(ok)) {
            return;
        }
        Instant validUntil = clock.instant().plus(settings.leaseTime());
        long token;
        try {
            token = fenceTokens.next(partition);
        } catch (SQLException | RuntimeException e) {
            LOG.warn(
                    "partition {}: cannot take a fencing token ({}); giving the lease back", partition, e.getMessage());
            release(redis, partition);
            return;
        }
        try {
            redis.xgroupCreate(
                    XReadArgs.StreamOffset.from(settings.layout().stream(partition), "0"),
                    PartitionLoop.GROUP,
                    XGroupCreateArgs.Builder.mkstream());
        } catch (RedisBusyException e) {
            // BUSYGROUP: the group exists, as it should.
        }
        StatefulRedisConnection<String, String> connection = redisClient.connect();
        PartitionLoop loop = new PartitionLoop(
                partition,
                token,
                settings,
                applier,
                connection,
                clock,
                new Backoff(settings.backoffInitial(), settings.backoffMax(), Duration.ZERO));
        Thread thread = Thread.ofPlatform()
                .name("cistern-sync-p" + partition + "-" + settings.workerId())
                .start(loop);
        synchronized (this) {
            owned.put(partition, new Owned(loop, thread, token, new Instant[] {validUntil}));
        }
    }

    private void expireUnrenewed() {
        Instant now = clock.instant();
        Map<Integer, Owned> snapshot;
        synchronized (this) {
            snapshot = new TreeMap<>(owned);
        }
        snapshot.forEach((p, o) -> {
            if (now.isAfter(o.validUntil()[0])) {
                LOG.warn("partition {}: lease expired without renewal; stopping its loop", p);
                drop(p, o, false);
            }
        });
    }

    /**
     * Stops a loop without waiting for it (the lease thread must keep renewing the other leases); the loop closes its
     * own connection when it exits. Releases the lease if asked, which only a loop that has already ended may ask.
     */
    private void drop(int partition, Owned o, boolean releaseLease) {
        o.loop().stop();
        synchronized (this) {
            owned.remove(partition);
        }
        if (releaseLease) {
            try {
                release(leaseConnection.sync(), partition);
            } catch (RedisException e) {
                LOG.warn("partition {}: lease not released ({}); it expires by itself", partition, e.getMessage());
            }
        }
    }

    private void release(RedisCommands<String, String> redis, int partition) {
        redis.eval(RELEASE, ScriptOutputType.INTEGER, new String[] {leaseKey(partition)}, settings.workerId());
    }

    /** {@code <prefix>:{p}:lease}, in the partition's hash slot. */
    String leaseKey(int partition) {
        return settings.layout().lease(partition);
    }

    /**
     * Stops taking partitions, lets every loop commit and acknowledge its batch in hand (up to {@code drainTimeout}),
     * releases the leases and closes the connections. Idempotent.
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
        Map<Integer, Owned> all;
        synchronized (this) {
            all = new TreeMap<>(owned);
        }
        all.values().forEach(o -> o.loop().stop());
        Instant drainDeadline = clock.instant().plus(settings.drainTimeout());
        all.forEach((p, o) -> {
            try {
                Duration left = Duration.between(clock.instant(), drainDeadline);
                if (!o.loop().awaitFinished(left.isNegative() ? Duration.ZERO : left)) {
                    LOG.warn("partition {}: batch in hand not committed within the drain timeout; it stays pending", p);
                    o.thread().interrupt();
                    o.loop().awaitFinished(Duration.ofSeconds(5));
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
