package io.cistern.proxy;

import com.github.benmanes.caffeine.cache.Ticker;
import io.cistern.schema.codec.ValueCodec;
import io.cistern.schema.failure.CisternException;
import io.cistern.schema.failure.InvalidRecordException;
import io.cistern.schema.failure.InvalidRecordException.Reason;
import io.cistern.schema.failure.PermanentException;
import io.cistern.schema.failure.RetryableException;
import io.cistern.schema.keys.KeyEncoding;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.keys.Partitioner;
import io.cistern.schema.registry.ClosestName;
import io.cistern.schema.registry.ColumnDef;
import io.cistern.schema.registry.RegistryCache;
import io.cistern.schema.registry.TableDef;
import io.cistern.schema.registry.TableRegistry;
import io.lettuce.core.LettuceFutures;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reader's engine: local cache, then the Redis record hash, then PostgreSQL.
 *
 * <p><b>One read, in order.</b> (1) The local cache answers if tracking is on and its copy is at least {@code
 * minVersion}. (2) Otherwise the read joins a load of the same key already in flight in this process, or starts one:
 * {@code HGETALL} of the record hash on the tracking connection (which also registers the key for invalidation). A full
 * hash or a delete marker answers. (3) No hash: the load reserves it ({@link RedisFills}) and reads PostgreSQL; a
 * partial hash or another reader's reservation: it reads PostgreSQL without reserving. (4) The row (merged under the
 * partial hash, if any) answers; a reserved load copies it into Redis if no write came first. (5) The answer goes into
 * the local cache unless an invalidation of the key overtook the load ({@link LocalCache}).
 *
 * <p><b>Bounds.</b> PostgreSQL reads run on virtual threads, at most {@link ReaderSettings#maxConcurrentFills()} at a
 * time; a read waits for a slot, the connection and the query for at most {@link ReaderSettings#databaseTimeout()} in
 * total, then fails with {@code DATABASE_UNAVAILABLE}. A query that outlives its reader's wait keeps its slot until it
 * ends, so a stalled database cannot take more than that many pool connections.
 *
 * <p>Thread-safe. The Redis connection is shared by every thread (Lettuce multiplexes it).
 */
final class LettuceCachedReader implements CachedReader {
    private static final Logger log = LoggerFactory.getLogger(LettuceCachedReader.class);
    private static final Duration REGISTRY_REFRESH = Duration.ofSeconds(1);
    private static final String CLIENT_NAME = "cistern-reader";

    private final ReaderSettings settings;
    private final KeyLayout layout;
    private final StatefulRedisConnection<String, String> connection;
    private final RedisCommands<String, String> redis;
    private final LocalCache local;
    private final Invalidations invalidations;
    private final RedisFills fills;
    private final DatabaseRows database;
    private final Semaphore fillSlots;
    private final ExecutorService databaseThreads;
    private final ScheduledExecutorService heartbeat;
    private final ReaderMetrics metrics;
    private final ConcurrentHashMap<String, CompletableFuture<ReadResult>> loads = new ConcurrentHashMap<>();
    private final Duration joinTimeout;
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
            StatefulRedisConnection<String, String> connection,
            RegistryCache registry,
            DataSource dataSource,
            MeterRegistry meters,
            Ticker ticker,
            Hooks hooks) {
        this.settings = settings;
        this.hooks = hooks;
        this.layout = settings.layout();
        this.connection = connection;
        this.redis = connection.sync();
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
        this.fillSlots = new Semaphore(settings.maxConcurrentFills());
        this.databaseThreads = Executors.newThreadPerTaskExecutor(
                Thread.ofVirtual().name("cistern-reader-db-", 0).factory());
        this.joinTimeout = connection.getTimeout().multipliedBy(3).plus(settings.databaseTimeout());
        this.heartbeat = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name("cistern-reader-heartbeat").factory());
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
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(client, "redis client");
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(meters, "meters");
        StatefulRedisConnection<String, String> connection;
        try {
            connection = client.connect();
        } catch (RuntimeException e) {
            throw ReadFailures.redis("connecting the reader to Redis", e);
        }
        try {
            RegistryCache registry = RegistryCache.fromRedis(
                    connection.sync(), settings.layout(), REGISTRY_REFRESH, InstantSource.system());
            DatabaseRows.warmUp(registry.current().tables());
            connection.sync().clientSetname(CLIENT_NAME);
            LettuceCachedReader reader =
                    new LettuceCachedReader(settings, connection, registry, database, meters, ticker, hooks);
            try {
                reader.invalidations.start(connection);
                long every = Invalidations.HEARTBEAT.toMillis();
                reader.heartbeat.scheduleWithFixedDelay(
                        reader.invalidations::heartbeat, every, every, TimeUnit.MILLISECONDS);
            } catch (RuntimeException e) {
                reader.heartbeat.shutdownNow();
                reader.databaseThreads.shutdown();
                if (!(e instanceof IllegalStateException
                        || e instanceof io.lettuce.core.RedisCommandExecutionException)) {
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
            connection.close();
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
        String recordKey = recordKey(def, key);
        LocalCache.Entry cached = local.get(recordKey);
        if (cached != null && cached.result().version() >= minVersion) {
            metrics.localLookup(true);
            metrics.answered(Tier.LOCAL);
            return withTier(cached.result(), Tier.LOCAL);
        }
        metrics.localLookup(false);
        ReadResult result = loadShared(def, key, recordKey, minVersion);
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
        Map<String, String> misses = new LinkedHashMap<>(); // encoded key -> record key
        List<String> recordKeys = new ArrayList<>(keys.size());
        for (int i = 0; i < keys.size(); i++) {
            String key = keys.get(i);
            String recordKey = recordKey(def, key);
            recordKeys.add(recordKey);
            LocalCache.Entry cached = local.get(recordKey);
            if (cached != null) {
                metrics.localLookup(true);
                answers[i] = withTier(cached.result(), Tier.LOCAL);
            } else {
                metrics.localLookup(false);
                misses.put(key, recordKey);
            }
        }
        if (!misses.isEmpty()) {
            Map<String, ReadResult> loaded = loadBatch(def, misses);
            for (int i = 0; i < answers.length; i++) {
                if (answers[i] == null) {
                    answers[i] = loaded.get(keys.get(i));
                }
            }
        }
        for (ReadResult r : answers) {
            metrics.answered(r.tier());
        }
        return List.of(answers);
    }

    /** Joins a load of the same key in flight in this process, or runs one (single flight). */
    private ReadResult loadShared(TableDef def, String key, String recordKey, long minVersion) {
        CompletableFuture<ReadResult> mine = new CompletableFuture<>();
        CompletableFuture<ReadResult> running = loads.putIfAbsent(recordKey, mine);
        if (running != null) {
            metrics.coalesced();
            ReadResult shared = join(running, def, key);
            // A load that began before the caller's own write may answer older than it: load again, unshared.
            return shared.version() >= minVersion ? shared : load(def, key, recordKey);
        }
        try {
            ReadResult result = load(def, key, recordKey);
            mine.complete(result);
            return result;
        } catch (RuntimeException e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            loads.remove(recordKey, mine);
        }
    }

    private ReadResult join(CompletableFuture<ReadResult> running, TableDef def, String key) {
        try {
            return running.get(joinTimeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw ReadFailures.redis(what(def, key), e.getCause());
        } catch (TimeoutException e) {
            throw new RetryableException(
                    "READ_TIMEOUT",
                    what(def, key) + " waited " + joinTimeout.toMillis() + " ms for the same read in flight; retry",
                    ReadFailures.RETRY_AFTER,
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RetryableException("INTERRUPTED", what(def, key) + " was interrupted", Duration.ZERO, e);
        }
    }

    private ReadResult load(TableDef def, String key, String recordKey) {
        long begun = local.begin();
        RecordHash hash = RecordHash.parse(redisCall(what(def, key), () -> redis.hgetall(recordKey)));
        ReadResult answer = fromRedis(def, key, hash);
        if (answer != null) {
            metrics.redisLookup(true);
            local.install(recordKey, new LocalCache.Entry(answer, false), begun);
            return answer;
        }
        metrics.redisLookup(false);
        String token = null;
        if (hash.kind() == RecordHash.Kind.NONE && fills != null) {
            RedisFills.Reservation reservation = reserve(def, key, recordKey);
            if (reservation != null && reservation.reserved()) {
                token = reservation.token();
            } else if (reservation != null) {
                // A write (or another reader's reservation) came between HGETALL and the reservation.
                hash = RecordHash.parse(reservation.found());
                answer = fromRedis(def, key, hash);
                if (answer != null) {
                    local.install(recordKey, new LocalCache.Entry(answer, false), begun);
                    return answer;
                }
            }
        }
        if (hash.kind() == RecordHash.Kind.RESERVED) {
            metrics.fillElsewhere();
        }
        DatabaseRows.Rows rows;
        try {
            rows = queryDatabase(def, List.of(key));
        } catch (RuntimeException e) {
            if (token != null) {
                release(recordKey, token);
            }
            throw e;
        }
        answer = fromDatabase(def, key, hash, rows);
        hooks.afterDatabaseRead(recordKey);
        boolean superseded = false;
        if (token != null) {
            superseded = fill(recordKey, token, answer) == RedisFills.Outcome.SUPERSEDED;
        }
        if (!superseded) {
            local.install(recordKey, new LocalCache.Entry(answer, !answer.found()), begun);
        }
        return answer;
    }

    /** A batch of local misses: one Redis pipeline, one PostgreSQL query for what Redis cannot answer. */
    private Map<String, ReadResult> loadBatch(TableDef def, Map<String, String> misses) {
        long begun = local.begin();
        String what = "reading " + misses.size() + " records of table '" + def.name() + "'";
        Map<String, RedisFuture<Map<String, String>>> reads = new LinkedHashMap<>();
        misses.forEach((key, recordKey) -> reads.put(key, connection.async().hgetall(recordKey)));
        awaitAll(what, reads.values());
        Map<String, ReadResult> answers = new LinkedHashMap<>();
        Map<String, RecordHash> needDatabase = new LinkedHashMap<>();
        for (Map.Entry<String, RedisFuture<Map<String, String>>> read : reads.entrySet()) {
            String key = read.getKey();
            RecordHash hash =
                    RecordHash.parse(redisCall(what, () -> read.getValue().get()));
            ReadResult answer = fromRedis(def, key, hash);
            metrics.redisLookup(answer != null);
            if (answer != null) {
                answers.put(key, answer);
                local.install(misses.get(key), new LocalCache.Entry(answer, false), begun);
            } else {
                needDatabase.put(key, hash);
            }
        }
        if (needDatabase.isEmpty()) {
            return answers;
        }
        Map<String, String> tokens = new LinkedHashMap<>();
        if (fills != null) {
            for (Map.Entry<String, RecordHash> e : needDatabase.entrySet()) {
                if (e.getValue().kind() == RecordHash.Kind.NONE) {
                    RedisFills.Reservation r = reserve(def, e.getKey(), misses.get(e.getKey()));
                    if (r != null && r.reserved()) {
                        tokens.put(e.getKey(), r.token());
                    } else if (r != null) {
                        e.setValue(RecordHash.parse(r.found()));
                    }
                }
            }
        }
        DatabaseRows.Rows rows;
        try {
            rows = queryDatabase(def, needDatabase.keySet());
        } catch (RuntimeException e) {
            tokens.forEach((key, token) -> release(misses.get(key), token));
            throw e;
        }
        for (Map.Entry<String, RecordHash> e : needDatabase.entrySet()) {
            String key = e.getKey();
            RecordHash hash = e.getValue();
            ReadResult answer = fromRedis(def, key, hash);
            if (answer == null) {
                answer = fromDatabase(def, key, hash, rows);
            }
            String token = tokens.get(key);
            boolean superseded = token != null && fill(misses.get(key), token, answer) == RedisFills.Outcome.SUPERSEDED;
            if (!superseded) {
                local.install(misses.get(key), new LocalCache.Entry(answer, !answer.found()), begun);
            }
            answers.put(key, answer);
        }
        return answers;
    }

    /** The answer a record hash gives on its own, or null when PostgreSQL is needed. */
    private static ReadResult fromRedis(TableDef def, String key, RecordHash hash) {
        return switch (hash.kind()) {
            case FULL -> new ReadResult.Found(def, key, hash.version(), Tier.REDIS, hash.recordColumns(def));
            case DELETED -> new ReadResult.Absent(def.name(), key, hash.version(), Tier.REDIS);
            case NONE, PARTIAL, RESERVED -> null;
        };
    }

    /** The answer from the PostgreSQL row, completed by a partial hash when there is one. */
    private static ReadResult fromDatabase(TableDef def, String key, RecordHash hash, DatabaseRows.Rows rows) {
        DatabaseRows.Row row = rows.rows().get(key);
        if (row == null) {
            // A partial hash over no row: patches of an absent record, which the sync worker dead-letters.
            long deleted = rows.tombstones().getOrDefault(key, 0L);
            return new ReadResult.Absent(def.name(), key, deleted, Tier.DATABASE);
        }
        if (hash.kind() == RecordHash.Kind.PARTIAL) {
            return new ReadResult.Found(
                    def,
                    key,
                    Math.max(hash.version(), row.version()),
                    Tier.DATABASE,
                    hash.mergeOver(def, row.columns()));
        }
        return new ReadResult.Found(def, key, row.version(), Tier.DATABASE, row.columns());
    }

    // ------------------------------------------------------------------------------------------------ PostgreSQL

    private DatabaseRows.Rows queryDatabase(TableDef def, java.util.Collection<String> keys) {
        String what = keys.size() == 1
                ? what(def, keys.iterator().next()) + " from PostgreSQL"
                : "reading " + keys.size() + " records of table '" + def.name() + "' from PostgreSQL";
        long timeout = settings.databaseTimeout().toNanos();
        long start = System.nanoTime();
        try {
            if (!fillSlots.tryAcquire(timeout, TimeUnit.NANOSECONDS)) {
                metrics.query("rejected", Duration.ofNanos(System.nanoTime() - start));
                throw ReadFailures.unavailable(
                        what + " found all " + settings.maxConcurrentFills()
                                + " database slots (maxConcurrentFills) busy for "
                                + settings.databaseTimeout().toMillis() + " ms: PostgreSQL is slow or down",
                        null);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RetryableException("INTERRUPTED", what + " was interrupted", Duration.ZERO, e);
        }
        List<String> keyList = List.copyOf(new LinkedHashSet<>(keys));
        Future<DatabaseRows.Rows> query;
        try {
            query = databaseThreads.submit(() -> {
                try {
                    return database.read(def, keyList);
                } finally {
                    fillSlots.release();
                }
            });
        } catch (RejectedExecutionException e) {
            fillSlots.release();
            throw closedException();
        }
        try {
            long remaining = timeout - (System.nanoTime() - start);
            DatabaseRows.Rows rows = query.get(Math.max(0, remaining), TimeUnit.NANOSECONDS);
            metrics.query("ok", Duration.ofNanos(System.nanoTime() - start));
            return rows;
        } catch (TimeoutException e) {
            // The query keeps its slot (and its connection) until it ends: the bound on fills holds.
            metrics.query("timeout", Duration.ofNanos(System.nanoTime() - start));
            throw ReadFailures.unavailable(
                    what + " got no answer within " + settings.databaseTimeout().toMillis()
                            + " ms (databaseTimeout, PROXY_DATABASE_TIMEOUT_MS)",
                    e);
        } catch (ExecutionException e) {
            metrics.query("failed", Duration.ofNanos(System.nanoTime() - start));
            throw ReadFailures.database(what, e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RetryableException("INTERRUPTED", what + " was interrupted", Duration.ZERO, e);
        }
    }

    // ------------------------------------------------------------------------------------------------ Redis fills

    private RedisFills.Reservation reserve(TableDef def, String key, String recordKey) {
        try {
            return fills.reserve(redis, recordKey);
        } catch (RuntimeException e) {
            // Not filling Redis costs only a later PostgreSQL read; the read itself goes on.
            log.debug("{}: could not reserve {} for a fill: {}", CLIENT_NAME, recordKey, e.toString());
            return null;
        }
    }

    private RedisFills.Outcome fill(String recordKey, String token, ReadResult answer) {
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

    private void release(String recordKey, String token) {
        try {
            fills.fill(redis, recordKey, token, -1, Map.of());
        } catch (RuntimeException e) {
            log.debug("{}: could not release the reservation of {}: {}", CLIENT_NAME, recordKey, e.toString());
        }
    }

    // ------------------------------------------------------------------------------------------------ keys, tables

    @Override
    public String key(String table, Object... keyValues) {
        TableDef def = table(table);
        List<ColumnDef> keyColumns = def.keyColumns();
        if (keyValues.length != keyColumns.size()) {
            throw new InvalidRecordException(
                    keyValues.length < keyColumns.size() ? Reason.MISSING_KEY : Reason.MALFORMED_KEY,
                    def.name(),
                    "key",
                    "table '" + def.name() + "' has primary key " + def.primaryKey() + " (" + keyColumns.size()
                            + " values), got " + keyValues.length + ": " + Arrays.toString(keyValues));
        }
        List<String> texts = new ArrayList<>(keyValues.length);
        for (int i = 0; i < keyValues.length; i++) {
            texts.add(ValueCodec.keyText(def.name(), keyColumns.get(i), keyValues[i]));
        }
        return KeyEncoding.encode(texts);
    }

    /** The record hash key of {@code key}, after checking that it is the canonical encoding of a key of the table. */
    private String recordKey(TableDef def, String key) {
        if (key == null || key.isEmpty()) {
            throw new InvalidRecordException(
                    Reason.MISSING_KEY, def.name(), "key", "a read of table '" + def.name() + "' needs a key");
        }
        List<String> parts;
        try {
            parts = KeyEncoding.decode(key);
        } catch (IllegalArgumentException e) {
            throw new InvalidRecordException(Reason.MALFORMED_KEY, def.name(), "key", e.getMessage(), e);
        }
        List<ColumnDef> keyColumns = def.keyColumns();
        if (parts.size() != keyColumns.size()) {
            throw new InvalidRecordException(
                    parts.size() < keyColumns.size() ? Reason.MISSING_KEY : Reason.MALFORMED_KEY,
                    def.name(),
                    "key",
                    "key '" + key + "' has " + parts.size() + " components; table '" + def.name()
                            + "' has primary key " + def.primaryKey() + " (join the values with ',' after"
                            + " %-encoding each)");
        }
        for (int i = 0; i < parts.size(); i++) {
            String canonical = ValueCodec.keyText(def.name(), keyColumns.get(i), parts.get(i));
            if (!canonical.equals(parts.get(i))) {
                throw new InvalidRecordException(
                        Reason.MALFORMED_KEY,
                        def.name(),
                        keyColumns.get(i).name(),
                        "key column '" + keyColumns.get(i).name() + "' of table '" + def.name() + "' is written '"
                                + parts.get(i) + "'; its canonical form is '" + canonical + "'");
            }
        }
        int partition = Partitioner.partitionOf(
                Partitioner.routingText(key, def.routingColumns()),
                registry.current().partitions());
        return layout.record(partition, def.name(), key);
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

    private static ReadResult withTier(ReadResult r, Tier tier) {
        return switch (r) {
            case ReadResult.Found f -> f.withTier(tier);
            case ReadResult.Absent a ->
                a.tier() == tier ? a : new ReadResult.Absent(a.table(), a.key(), a.version(), tier);
        };
    }

    private static String what(TableDef def, String key) {
        return "reading record " + key + " of table '" + def.name() + "'";
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
            done = LettuceFutures.awaitAll(connection.getTimeout(), futures.toArray(RedisFuture[]::new));
        } catch (RuntimeException e) {
            throw ReadFailures.redis(what, e);
        }
        if (!done) {
            throw ReadFailures.redis(
                    what,
                    new io.lettuce.core.RedisCommandTimeoutException(
                            "no answer within " + connection.getTimeout().toMillis() + " ms"));
        }
    }

    @FunctionalInterface
    private interface Callable<T> {
        T call() throws Exception;
    }

    private void requireOpen() {
        if (closed) {
            throw closedException();
        }
    }

    private static PermanentException closedException() {
        return new PermanentException("READER_CLOSED", "the reader is closed", null);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        heartbeat.shutdownNow();
        invalidations.close();
        databaseThreads.shutdown();
        connection.close();
    }
}
