package io.cistern.reader;

import com.github.benmanes.caffeine.cache.Ticker;
import io.cistern.connections.RedisDeployment;
import io.cistern.connections.RedisSettings;
import io.cistern.schema.failure.CisternException;
import io.cistern.schema.failure.InvalidRecordException;
import io.cistern.schema.failure.InvalidRecordException.Reason;
import io.cistern.schema.failure.PermanentException;
import io.cistern.schema.failure.RedisReplies;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.keys.RecordAddress;
import io.cistern.schema.registry.ClosestName;
import io.cistern.schema.registry.RedisRegistry;
import io.cistern.schema.registry.RegistryCache;
import io.cistern.schema.registry.TableDef;
import io.cistern.schema.registry.TableRegistry;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.LettuceFutures;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reader's engine: local cache, then the Redis record hash, then PostgreSQL. It owns the connections and threads
 * and does the I/O; what to do at each step is decided elsewhere, by small parts each tested on its own:
 *
 * <ul>
 *   <li>{@link TierPolicy} (pure) decides each step from what a tier said: whether the local copy is new enough,
 *       whether a record hash answers, must be reserved for a fill, or needs the PostgreSQL row (and merges a partial
 *       hash over it), and whether an answer may be cached;
 *   <li>{@link SingleFlight} lets a read join a load of the same key already in flight in this process;
 *   <li>{@link DatabaseBulkhead} bounds PostgreSQL reads in number and in time;
 *   <li>{@link RedisFills} reserves and fills record hashes; {@link LocalCache} and {@link Invalidations} keep the
 *       local tier coherent; {@link io.cistern.schema.registry.RegistryCache} holds the table registry.
 * </ul>
 *
 * <p><b>One read, in order</b> (the same sequence, {@code load}, serves {@code get} and {@code getAll}). (1) The local
 * cache answers if tracking is on and its copy is at least {@code minVersion}. (2) Otherwise a single read joins a load
 * of the same key already in flight, or starts one; a batch loads its misses together. (3) {@code HGETALL} of the
 * record hashes on the tracking connection of each key's master (which also registers the keys for invalidation; a
 * batch is one pipeline per master). A full hash or a delete marker answers. (4) No hash: the load reserves it
 * ({@link RedisFills}) and reads PostgreSQL; a
 * partial hash or another reader's reservation: it reads PostgreSQL without reserving. One query serves every key of
 * the load that Redis could not answer; a full hash that lacks a database-defaulted column is sent there too once its
 * TTL shows the sync worker released it (synced), else it answers with those columns pending. (5) The row (merged
 * under the partial hash, if any) answers; a reserved load copies it into Redis if no write came first, and a full
 * hash completed with the row's defaults keeps them ({@link RedisFills#completeDefaults}). (6) The answer goes into the local cache unless an invalidation of the
 * key overtook the load ({@link LocalCache}) or a write came before the fill.
 *
 * <p><b>Bounds.</b> PostgreSQL reads run on virtual threads, at most {@link ReaderSettings#maxConcurrentFills()} at a
 * time; a read waits for a slot, the connection and the query for at most {@link ReaderSettings#databaseTimeout()} in
 * total, then fails with {@code DATABASE_UNAVAILABLE}. A query that outlives its reader's wait keeps its slot until it
 * ends, so a stalled database cannot take more than that many pool connections ({@link DatabaseBulkhead}).
 *
 * <p>Thread-safe. The Redis connection is shared by every thread (Lettuce multiplexes it).
 */
final class LettuceCachedReader implements CachedReader {
    private static final Logger log = LoggerFactory.getLogger(LettuceCachedReader.class);
    private static final Duration REGISTRY_REFRESH = Duration.ofSeconds(1);
    /**
     * On a Redis Cluster, how often the reader asks for the topology (on the registry follower's thread) and compares
     * the slot map: the bound on how long a copy of a key whose slot changed master can be served.
     */
    static final Duration TOPOLOGY_REFRESH = REGISTRY_REFRESH;

    static final String CLIENT_NAME = "cistern-reader";

    private final ReaderSettings settings;
    private final KeyLayout layout;
    /** The masters' connections: each key is read and filled on its master's, which Redis tracks it on. */
    private final RedisNodes redis;

    private final LocalCache local;
    private final Invalidations invalidations;
    private final RedisFills fills;
    private final DatabaseRows database;
    private final TierPolicy policy;
    private final DatabaseBulkhead bulkhead;
    private final ScheduledExecutorService heartbeat;
    /** Runs {@link #followRegistry} every {@link #REGISTRY_REFRESH}. */
    private final ScheduledExecutorService registryFollower;
    /** Where the registry is published, for its publication counter ({@link #followRegistry}). */
    private final RedisRegistry registrySource;
    /**
     * The publication counter the registry was last loaded at: set once before the follower starts, then read and
     * written by the follower thread only.
     */
    private long registryVersion;

    private final ReaderMetrics metrics;
    private final SingleFlight<ReadResult> loads;
    private final RegistryCache registry;
    private final Hooks hooks;
    private volatile boolean closed;

    /** Points where tests stop a read to force a race. Called on the reading thread. */
    interface Hooks {
        Hooks NONE = new Hooks() {};

        /** After PostgreSQL answered a load of {@code recordKey} and before the load fills Redis or the cache. */
        default void afterDatabaseRead(String recordKey) {}
    }

    private LettuceCachedReader(
            ReaderSettings settings,
            RedisNodes redis,
            RegistryCache registry,
            DataSource dataSource,
            MeterRegistry meters,
            Ticker ticker,
            Hooks hooks) {
        this.settings = settings;
        this.hooks = hooks;
        this.layout = settings.layout();
        this.redis = redis;
        this.registry = registry;
        this.local = new LocalCache(
                settings.localCacheEntries(), settings.localCacheTtl(), settings.negativeCacheTtl(), ticker);
        this.metrics = new ReaderMetrics(meters, local::size);
        this.invalidations = new Invalidations(local, metrics, CLIENT_NAME + "[" + layout.prefix() + "]");
        // A reservation outlives any PostgreSQL read that may still fill it: the wait, plus slack for the fill itself.
        this.fills = settings.redisFillTtl().isZero()
                ? null
                : new RedisFills(settings.databaseTimeout().plusSeconds(5), settings.redisFillTtl());
        this.database = new DatabaseRows(dataSource, settings.databaseTimeout());
        this.policy = new TierPolicy(fills != null);
        this.bulkhead = new DatabaseBulkhead(settings.maxConcurrentFills(), settings.databaseTimeout(), metrics::query);
        this.loads = new SingleFlight<>(
                redis.timeout().multipliedBy(3).plus(settings.databaseTimeout()), metrics::coalesced);
        this.registrySource = new RedisRegistry(redis.sync(), settings.layout());
        this.heartbeat = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name("cistern-reader-heartbeat").factory());
        // Its own thread: a registry read blocks for up to the command timeout when Redis is silent, and must never
        // hold back the heartbeat that notices that silence.
        this.registryFollower = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name("cistern-reader-registry").factory());
    }

    static CachedReader create(ReaderSettings settings, RedisClient redis, DataSource database, MeterRegistry meters) {
        return create(settings, redis, database, meters, Ticker.systemTicker(), Hooks.NONE);
    }

    static CachedReader create(
            ReaderSettings settings,
            RedisClient client,
            DataSource database,
            MeterRegistry meters,
            Ticker ticker,
            Hooks hooks) {
        Objects.requireNonNull(client, "redis client");
        return connecting(() -> RedisNodes.of(client.connect()), settings, database, meters, ticker, hooks);
    }

    /** A reader on a deployment of its own, opened from {@code redis} (any topology), which it closes. */
    static CachedReader create(
            ReaderSettings settings,
            RedisSettings redis,
            DataSource database,
            MeterRegistry meters,
            Ticker ticker,
            Hooks hooks) {
        Objects.requireNonNull(redis, "redis settings");
        return connecting(() -> RedisNodes.of(RedisDeployment.open(redis)), settings, database, meters, ticker, hooks);
    }

    /**
     * A reader on a connection opened from {@code client} (any topology), which the caller keeps owning; {@code redis}
     * only names it in messages.
     */
    static CachedReader create(
            ReaderSettings settings,
            AbstractRedisClient client,
            RedisSettings redis,
            DataSource database,
            MeterRegistry meters,
            Ticker ticker,
            Hooks hooks) {
        Objects.requireNonNull(client, "redis client");
        Objects.requireNonNull(redis, "redis settings");
        return connecting(
                () -> RedisNodes.of(RedisDeployment.connect(client, redis)), settings, database, meters, ticker, hooks);
    }

    /** A reader on the nodes {@code connect} opens, its failure to connect reported as a reader failure. */
    private static CachedReader connecting(
            java.util.function.Supplier<RedisNodes> connect,
            ReaderSettings settings,
            DataSource database,
            MeterRegistry meters,
            Ticker ticker,
            Hooks hooks) {
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(meters, "meters");
        RedisNodes nodes;
        try {
            nodes = connect.get();
        } catch (RuntimeException e) {
            throw ReadFailures.redis("connecting the reader to Redis", e);
        }
        return create(settings, nodes, database, meters, ticker, hooks);
    }

    private static CachedReader create(
            ReaderSettings settings,
            RedisNodes redis,
            DataSource database,
            MeterRegistry meters,
            Ticker ticker,
            Hooks hooks) {
        try {
            // Read before the registry it counts, so a publication during the load is seen as a move at the next tick.
            long registryVersion = new RedisRegistry(redis.sync(), settings.layout()).version();
            RegistryCache registry =
                    RegistryCache.fromRedis(redis.sync(), settings.layout(), REGISTRY_REFRESH, InstantSource.system());
            DatabaseRows.warmUp(registry.current().tables());
            LettuceCachedReader reader =
                    new LettuceCachedReader(settings, redis, registry, database, meters, ticker, hooks);
            reader.registryVersion = registryVersion;
            try {
                reader.invalidations.topology(redis.topology());
                for (StatefulRedisConnection<String, String> master : redis.masters()) {
                    reader.invalidations.track(master);
                }
                long every = Invalidations.HEARTBEAT.toMillis();
                reader.heartbeat.scheduleWithFixedDelay(reader::heartbeat, every, every, TimeUnit.MILLISECONDS);
                long refresh = REGISTRY_REFRESH.toMillis();
                reader.registryFollower.scheduleWithFixedDelay(
                        reader::followRegistry, refresh, refresh, TimeUnit.MILLISECONDS);
            } catch (RuntimeException e) {
                reader.heartbeat.shutdownNow();
                reader.registryFollower.shutdownNow();
                reader.bulkhead.close();
                if (!(e instanceof IllegalStateException
                        || RedisReplies.classify(e).isErrorReply())) {
                    throw ReadFailures.redis("switching on Redis client tracking", e);
                }
                throw new PermanentException(
                        "TRACKING_UNAVAILABLE",
                        "the reader could not switch on Redis client tracking (" + e.getMessage()
                                + "); it needs Redis 6 or newer and a RESP3 connection (Lettuce negotiates RESP3 by"
                                + " default: do not force ProtocolVersion.RESP2)",
                        e);
            }
            log.info(
                    "{}: reading {} tables over {} partitions; local cache {} entries, TTL {} ms; Redis fills {}",
                    CLIENT_NAME,
                    registry.current().tables().size(),
                    registry.current().partitions(),
                    settings.localCacheEntries(),
                    settings.localCacheTtl().toMillis(),
                    reader.fills == null
                            ? "off"
                            : "TTL " + settings.redisFillTtl().toMillis() + " ms");
            return reader;
        } catch (RuntimeException e) {
            redis.close();
            throw e instanceof CisternException ce ? ce : ReadFailures.redis("starting the reader", e);
        }
    }

    // ------------------------------------------------------------------------------------------------ reads

    @Override
    public ReadResult get(String table, String key) {
        return get(table, key, 0);
    }

    @Override
    public ReadResult get(String table, String key, long minVersion) {
        requireOpen();
        TableDef def = table(table);
        KeyRead read = new KeyRead(key, recordKey(def, key));
        ReadResult result = fromLocal(read, minVersion);
        if (result == null) {
            // A read joins a load of the same key in flight, or runs one; a retry after a too-old shared answer runs
            // its own load, so each load gets a fresh KeyRead.
            result = loads.load(
                    read.recordKey,
                    what(def, key),
                    () -> load(def, List.of(new KeyRead(key, read.recordKey))).get(0).answer,
                    shared -> TierPolicy.sharedAnswers(shared, minVersion));
        }
        metrics.answered(result.tier());
        return result;
    }

    @Override
    public List<ReadResult> getAll(String table, List<String> keys) {
        requireOpen();
        Objects.requireNonNull(keys, "keys");
        if (keys.size() > settings.maxBatchKeys()) {
            throw new IllegalArgumentException("a batch may ask for at most " + settings.maxBatchKeys()
                    + " keys (maxBatchKeys, PROXY_MAX_BATCH_KEYS), got " + keys.size() + "; split it");
        }
        TableDef def = table(table);
        ReadResult[] answers = new ReadResult[keys.size()];
        Map<String, KeyRead> misses = new LinkedHashMap<>(); // by encoded key: a key asked twice is read once
        for (int i = 0; i < keys.size(); i++) {
            KeyRead read = new KeyRead(keys.get(i), recordKey(def, keys.get(i)));
            answers[i] = fromLocal(read, 0);
            if (answers[i] == null) {
                misses.putIfAbsent(read.key, read);
            }
        }
        if (!misses.isEmpty()) {
            load(def, List.copyOf(misses.values()));
            for (int i = 0; i < answers.length; i++) {
                if (answers[i] == null) {
                    answers[i] = misses.get(keys.get(i)).answer;
                }
            }
        }
        for (ReadResult r : answers) {
            metrics.answered(r.tier());
        }
        return List.of(answers);
    }

    /** One key being read: its names, and what the tiers have said about it so far. Confined to the reading thread. */
    private static final class KeyRead {
        final String key;
        final String recordKey;
        /** What the record hash held, once Redis was asked. */
        RecordHash hash = RecordHash.NONE;
        /** The fill reservation this read holds, if any. */
        String token;
        /** The answer, once a tier gave it. */
        ReadResult answer;
        /** Whether {@link #node} has been looked up. */
        boolean routed;
        /**
         * The tracked connection of the key's master, which reads and fills it; null when the key had to be read
         * through the routed connection (no known master, or a redirect during a failover or migration): then nothing
         * read is tracked, and the answer is not cached.
         */
        StatefulRedisConnection<String, String> node;

        KeyRead(String key, String recordKey) {
            this.key = key;
            this.recordKey = recordKey;
        }
    }

    private ReadResult fromLocal(KeyRead read, long minVersion) {
        ReadResult cached = TierPolicy.fromLocal(local.get(read.recordKey), minVersion);
        metrics.localLookup(cached != null);
        return cached;
    }

    /**
     * The tier sequence after the local cache, for one key or a batch of them: the record hashes (one pipeline), fill
     * reservations, one PostgreSQL query for every key Redis cannot answer, fills, then the local cache. Sets each
     * read's answer; {@link TierPolicy} decides each step.
     */
    private List<KeyRead> load(TableDef def, List<KeyRead> reads) {
        long begun = local.begin();
        List<RecordHash> hashes = readHashes(def, reads);
        List<TierPolicy.Step> steps = new ArrayList<>(reads.size());
        List<Integer> lackingDefaults = new ArrayList<>();
        for (int i = 0; i < reads.size(); i++) {
            KeyRead read = reads.get(i);
            TierPolicy.Step step = policy.afterHash(def, read.key, hashes.get(i));
            metrics.redisLookup(
                    step instanceof TierPolicy.Step.Answer || hashes.get(i).kind() == RecordHash.Kind.FULL);
            if (step instanceof TierPolicy.Step.Reserve) {
                step = reserve(def, read);
            }
            if (step instanceof TierPolicy.Step.ReadDatabase r && r.hash().kind() == RecordHash.Kind.FULL) {
                lackingDefaults.add(i);
            }
            steps.add(step);
        }
        if (!lackingDefaults.isEmpty()) {
            // Full hashes lacking database defaults: the row has them only once the put is synced, which the hash's
            // TTL tells (one PTTL each, pipelined for a batch).
            List<Long> ttls =
                    readTtls(def, lackingDefaults.stream().map(reads::get).toList());
            for (int j = 0; j < lackingDefaults.size(); j++) {
                int i = lackingDefaults.get(j);
                TierPolicy.Step.ReadDatabase r = (TierPolicy.Step.ReadDatabase) steps.get(i);
                steps.set(i, TierPolicy.afterTtl(def, reads.get(i).key, r.hash(), ttls.get(j)));
            }
        }
        List<KeyRead> toDatabase = new ArrayList<>();
        for (int i = 0; i < reads.size(); i++) {
            KeyRead read = reads.get(i);
            switch (steps.get(i)) {
                case TierPolicy.Step.Answer a -> answer(read, a.result(), begun);
                case TierPolicy.Step.ReadDatabase r -> {
                    read.hash = r.hash();
                    if (r.filledElsewhere()) {
                        metrics.fillElsewhere();
                    }
                    toDatabase.add(read);
                }
                case TierPolicy.Step.Reserve r -> throw new IllegalStateException("reserved twice");
            }
        }
        if (!toDatabase.isEmpty()) {
            readDatabase(def, toDatabase, begun);
        }
        return reads;
    }

    /** {@code HGETALL} of each record hash: one command for one key, a pipeline for more. */
    private List<RecordHash> readHashes(TableDef def, List<KeyRead> reads) {
        return perKey(def, reads, RedisClusterCommands::hgetall, RedisClusterAsyncCommands::hgetall).stream()
                .map(RecordHash::parse)
                .toList();
    }

    /** {@code PTTL} of each record hash, in ms (negative: no TTL, or no hash). */
    private List<Long> readTtls(TableDef def, List<KeyRead> reads) {
        return perKey(def, reads, RedisClusterCommands::pttl, RedisClusterAsyncCommands::pttl);
    }

    /**
     * One Redis command per record hash, on the connection of its master: sent alone for one key, pipelined for more
     * (on a cluster the keys of a batch go to their masters' connections, each pipelined: one round trip per master).
     * A key its master's connection redirects (the client's topology is behind a failover or a migration) is read again
     * through the routed connection, which follows the redirect, and its answer is not cached.
     */
    private <T> List<T> perKey(
            TableDef def,
            List<KeyRead> reads,
            BiFunction<RedisClusterCommands<String, String>, String, T> one,
            BiFunction<RedisClusterAsyncCommands<String, String>, String, RedisFuture<T>> many) {
        String what = what(def, reads);
        if (reads.size() == 1) {
            KeyRead read = reads.get(0);
            return Collections.singletonList(redisCall(what, () -> {
                StatefulRedisConnection<String, String> node = node(read);
                if (node == null) {
                    return one.apply(redis.sync(), read.recordKey);
                }
                try {
                    return one.apply(node.sync(), read.recordKey);
                } catch (RedisException e) {
                    if (!RedisReplies.isRedirect(e)) {
                        throw e;
                    }
                    read.node = null;
                    return one.apply(redis.sync(), read.recordKey);
                }
            }));
        }
        List<RedisFuture<T>> pending = new ArrayList<>(reads.size());
        for (KeyRead read : reads) {
            StatefulRedisConnection<String, String> node = redisCall(what, () -> node(read));
            pending.add(many.apply(node == null ? redis.async() : node.async(), read.recordKey));
        }
        awaitAll(what, pending);
        List<T> replies = new ArrayList<>(reads.size());
        for (int i = 0; i < reads.size(); i++) {
            KeyRead read = reads.get(i);
            RedisFuture<T> f = pending.get(i);
            replies.add(redisCall(what, () -> {
                try {
                    return f.get();
                } catch (ExecutionException e) {
                    if (!RedisReplies.isRedirect(e)) {
                        throw e;
                    }
                    read.node = null;
                    return one.apply(redis.sync(), read.recordKey);
                }
            }));
        }
        return replies;
    }

    /**
     * The tracked connection of the read's master (looked up once per read, tracking switched on at its first use), or
     * null when the client knows no master for the key's slot now.
     */
    private StatefulRedisConnection<String, String> node(KeyRead read) {
        if (!read.routed) {
            read.routed = true;
            try {
                read.node = redis.nodeFor(read.recordKey);
            } catch (IllegalStateException e) {
                read.node = null;
                return null;
            }
            invalidations.track(read.node);
        }
        return read.node;
    }

    /** The commands that reserve and fill the read's record hash: on the connection that read it. */
    private RedisClusterCommands<String, String> fillCommands(KeyRead read) {
        return read.node != null ? read.node.sync() : redis.sync();
    }

    /** Reserves the record hash for a fill; the step after the reservation. */
    private TierPolicy.Step reserve(TableDef def, KeyRead read) {
        RedisFills.Reservation reservation;
        try {
            reservation = fills.reserve(fillCommands(read), read.recordKey);
        } catch (RuntimeException e) {
            // Not filling Redis costs only a later PostgreSQL read; the read itself goes on.
            log.debug("{}: could not reserve {} for a fill: {}", CLIENT_NAME, read.recordKey, e.toString());
            return new TierPolicy.Step.ReadDatabase(RecordHash.NONE, false);
        }
        if (reservation.reserved()) {
            read.token = reservation.token();
            return new TierPolicy.Step.ReadDatabase(RecordHash.NONE, false);
        }
        // A write (or another reader's reservation) came between HGETALL and the reservation.
        return policy.afterReservation(def, read.key, RecordHash.parse(reservation.found()));
    }

    /** One PostgreSQL query for every read Redis could not answer; then each fills Redis and the local cache. */
    private void readDatabase(TableDef def, List<KeyRead> reads, long begun) {
        List<String> keys =
                List.copyOf(new LinkedHashSet<>(reads.stream().map(r -> r.key).toList()));
        DatabaseRows.Rows rows;
        try {
            rows = bulkhead.call(what(def, reads) + " from PostgreSQL", () -> database.read(def, keys));
        } catch (RuntimeException e) {
            for (KeyRead read : reads) {
                if (read.token != null) {
                    release(fillCommands(read), read.recordKey, read.token);
                }
            }
            if (reads.stream().allMatch(r -> r.hash.kind() == RecordHash.Kind.FULL)) {
                // Only database defaults were asked for: the hash answers without them (pending), uncached, so a
                // read keeps working from Redis while PostgreSQL is down.
                for (KeyRead read : reads) {
                    read.answer = TierPolicy.fromDatabase(def, read.key, read.hash, null, 0);
                }
                log.debug(
                        "{}: {} answered without its database defaults: {}",
                        CLIENT_NAME,
                        what(def, reads),
                        e.toString());
                return;
            }
            throw e;
        }
        for (KeyRead read : reads) {
            ReadResult answer = TierPolicy.fromDatabase(
                    def,
                    read.key,
                    read.hash,
                    rows.rows().get(read.key),
                    rows.tombstones().getOrDefault(read.key, 0L));
            hooks.afterDatabaseRead(read.recordKey);
            Map<String, String> defaults = TierPolicy.completedDefaults(read.hash, answer);
            if (!defaults.isEmpty() && fills != null) {
                completeDefaults(fillCommands(read), read.recordKey, answer.version(), defaults);
            }
            boolean reserved = read.token != null;
            if (TierPolicy.cacheAfterFill(
                    reserved, reserved ? fill(fillCommands(read), read.recordKey, read.token, answer) : null)) {
                answer(read, answer, begun);
            } else {
                read.answer = answer;
            }
        }
    }

    /** Sets the read's answer and offers it to the local cache, if what was read is tracked. */
    private void answer(KeyRead read, ReadResult answer, long begun) {
        read.answer = answer;
        if (read.node == null) {
            return;
        }
        local.install(read.recordKey, new LocalCache.Entry(answer, TierPolicy.negative(answer)), begun);
    }

    // ------------------------------------------------------------------------------------------------ Redis fills

    private RedisFills.Outcome fill(
            RedisClusterCommands<String, String> redis, String recordKey, String token, ReadResult answer) {
        try {
            RedisFills.Outcome outcome = answer instanceof ReadResult.Found found
                    ? fills.fill(redis, recordKey, token, found.version(), found.columns())
                    : fills.fill(redis, recordKey, token, -1, Map.of());
            metrics.fill(outcome);
            return outcome;
        } catch (RuntimeException e) {
            log.debug("{}: could not fill {}: {}", CLIENT_NAME, recordKey, e.toString());
            // Unknown whether a write came first: do not cache what was read.
            return RedisFills.Outcome.SUPERSEDED;
        }
    }

    private void completeDefaults(
            RedisClusterCommands<String, String> redis, String recordKey, long version, Map<String, String> defaults) {
        try {
            fills.completeDefaults(redis, recordKey, version, defaults);
        } catch (RuntimeException e) {
            // The answer stands; the next read of the hash asks PostgreSQL again.
            log.debug("{}: could not add the database defaults to {}: {}", CLIENT_NAME, recordKey, e.toString());
        }
    }

    private void release(RedisClusterCommands<String, String> redis, String recordKey, String token) {
        try {
            fills.fill(redis, recordKey, token, -1, Map.of());
        } catch (RuntimeException e) {
            log.debug("{}: could not release the reservation of {}: {}", CLIENT_NAME, recordKey, e.toString());
        }
    }

    // ------------------------------------------------------------------------------------------------ keys, tables

    @Override
    public String key(String table, Object... keyValues) {
        return RecordAddress.of(table(table), Arrays.asList(keyValues)).key();
    }

    /** The record hash key of {@code key}, after checking that it is the canonical encoding of a key of the table. */
    private String recordKey(TableDef def, String key) {
        return RecordAddress.parse(def, key)
                .recordKey(layout, registry.current().partitions());
    }

    /**
     * Every {@link #REGISTRY_REFRESH}, on a thread of its own: one {@code HGET} of the registry's publication counter
     * ({@link RedisRegistry#version()}); when it moved, the registry is loaded again, so a column retyped or dropped
     * and registered again is read by its new definition within a second, without waiting for a miss. Never on the
     * path of a read. A failure is left to the next tick (reads go on with the registry they have).
     */
    private void followRegistry() {
        if (redis.isCluster()) {
            try {
                redis.refreshTopology();
                invalidations.topology(redis.topology());
            } catch (RuntimeException e) {
                log.debug("refreshing the Redis Cluster topology failed; trying again: {}", e.toString());
            }
        }
        try {
            long version = registrySource.version();
            if (version != registryVersion && registry.reloadPast(registry.current())) {
                registryVersion = version;
            }
        } catch (RuntimeException e) {
            log.debug(
                    "following the table registry failed; trying again in {} ms: {}",
                    REGISTRY_REFRESH.toMillis(),
                    e.toString());
        }
    }

    private TableDef table(String name) {
        Objects.requireNonNull(name, "table");
        TableDef def = registry.table(name).orElse(null);
        if (def != null) {
            return def;
        }
        try {
            registry.reloadOnMiss();
        } catch (RuntimeException e) {
            throw ReadFailures.redis("reloading the table registry", e);
        }
        TableRegistry current = registry.current();
        return current.table(name)
                .orElseThrow(() -> new InvalidRecordException(
                        Reason.UNKNOWN_TABLE,
                        name,
                        null,
                        "table '" + name + "' is not registered with Cistern"
                                + ClosestName.among(
                                                current.tables().stream()
                                                        .map(TableDef::name)
                                                        .toList(),
                                                name)
                                        .map(closest -> "; did you mean '" + closest + "'?")
                                        .orElse(" (register it with `ops/cistern init --table " + name + "`)")));
    }

    @Override
    public TableRegistry registry() {
        return registry.current();
    }

    @Override
    public ReaderStatus status() {
        return new ReaderStatus(local.active(), local.size(), metrics.invalidatedKeys(), metrics.clearCount());
    }

    // ------------------------------------------------------------------------------------------------ plumbing

    private static String what(TableDef def, String key) {
        return "reading record " + key + " of table '" + def.name() + "'";
    }

    private static String what(TableDef def, List<KeyRead> reads) {
        return reads.size() == 1
                ? what(def, reads.get(0).key)
                : "reading " + reads.size() + " records of table '" + def.name() + "'";
    }

    private <T> T redisCall(String what, Callable<T> call) {
        try {
            return call.call();
        } catch (Exception e) {
            throw ReadFailures.redis(what, e);
        }
    }

    private void awaitAll(String what, java.util.Collection<? extends RedisFuture<?>> futures) {
        boolean done;
        try {
            done = LettuceFutures.awaitAll(redis.timeout(), futures.toArray(RedisFuture[]::new));
        } catch (RuntimeException e) {
            throw ReadFailures.redis(what, e);
        }
        if (!done) {
            throw ReadFailures.redis(what, RedisReplies.noReplyWithin(redis.timeout()));
        }
    }

    /** Every {@link Invalidations#HEARTBEAT}: pings every master's tracked connection. */
    private void heartbeat() {
        try {
            invalidations.heartbeat(redis.masters());
        } catch (RuntimeException e) {
            log.debug("{}: heartbeat failed: {}", CLIENT_NAME, e.toString());
        }
    }

    @FunctionalInterface
    private interface Callable<T> {
        T call() throws Exception;
    }

    private void requireOpen() {
        if (closed) {
            throw ReadFailures.closed();
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        heartbeat.shutdownNow();
        registryFollower.shutdownNow();
        invalidations.close();
        bulkhead.close();
        redis.close();
    }
}
