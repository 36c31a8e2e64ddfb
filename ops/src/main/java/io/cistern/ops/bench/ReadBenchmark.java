package io.cistern.ops.bench;

import com.zaxxer.hikari.HikariDataSource;
import io.cistern.connections.DataSources;
import io.cistern.connections.DatabaseSettings;
import io.cistern.connections.RedisClients;
import io.cistern.connections.RedisDeployment;
import io.cistern.connections.RedisSettings;
import io.cistern.reader.CachedReader;
import io.cistern.reader.ReadResult;
import io.cistern.reader.ReaderSettings;
import io.cistern.reader.Tier;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.keys.StreamEntryId;
import io.cistern.schema.registry.TableRegistry;
import io.cistern.sync.SyncSettings;
import io.cistern.sync.SyncWorker;
import io.cistern.writer.RecordKey;
import io.cistern.writer.RecordWriter;
import io.cistern.writer.Write;
import io.cistern.writer.WriteReceipt;
import io.cistern.writer.WriterSettings;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.IntConsumer;

/**
 * The {@code read} scenario: {@link CachedReader} reads on a Zipf key mix, beside the same key mix read by a minimal
 * loop of plain Lettuce {@code HGETALL}s of the same record hashes (the Redis ceiling: one round trip per read) and a
 * minimal loop of plain JDBC primary-key {@code SELECT}s (the PostgreSQL ceiling), alternating, in the same run.
 *
 * <p>Setup: {@code keys} records of the sync scenarios' payload are written through Cistern and synced into PostgreSQL
 * by one in-process worker; then the record hashes of every other key are deleted, as if their synced-hash TTL had
 * passed, so those records live in PostgreSQL only (until a read fills them back into Redis). The reader's local cache
 * holds {@code localCacheEntries} records, by default a tenth of the key space, so the Zipf tail goes to Redis and
 * PostgreSQL.
 *
 * <p>A round draws {@code reads} key indices from a Zipf generator seeded for that round; all three loops read that
 * very sequence, one read at a time on one thread, each through its own connection of the same Redis client or the
 * same database pool; the order of the three rotates from round to round. A warm-up (not measured) comes first: the
 * reader over a whole round's draws (JIT, connections, the local cache reaching its steady state), the baselines over
 * a tenth of them. Latency is timed per read with {@code System.nanoTime()}; the reader's answers are grouped by the tier
 * that answered ({@link ReadResult#tier()}), which gives the share of reads that reached PostgreSQL and the local-hit
 * latency.
 */
final class ReadBenchmark {
    static final String TABLE = "source_documents";
    private static final int BATCH = 1_000;
    private static final Duration DRAIN_TIMEOUT = Duration.ofMinutes(5);
    private static final String SELECT = "SELECT * FROM " + TABLE + " WHERE document_uuid = ?";

    /** What to run. */
    record Options(int keys, int reads, double zipfExponent, int valueBytes, int partitions, int rounds) {
        Options {
            if (keys < 1 || reads < 1 || valueBytes < 1 || partitions < 1 || rounds < 1) {
                throw new IllegalArgumentException("keys, reads, value bytes, partitions and rounds must be positive");
            }
        }

        /** The local cache holds a tenth of the key space (at least 100 records). */
        long localCacheEntries() {
            return Math.max(100, keys / 10);
        }
    }

    /** One loop's rate, latencies in microseconds, and where the CPU went meanwhile (null when not measured). */
    record Loop(double readsPerSecond, double p50Micros, double p99Micros, CpuMeter.Use cpu) {
        Loop(double readsPerSecond, double p50Micros, double p99Micros) {
            this(readsPerSecond, p50Micros, p99Micros, null);
        }

        static Loop of(int reads, long nanos, double[] micros, CpuMeter.Use cpu) {
            return new Loop(reads / (nanos / 1e9), Stats.percentile(micros, 50), Stats.percentile(micros, 99), cpu);
        }
    }

    /** One round: the reader, its tiers, and both baselines. */
    record Round(
            Loop reader,
            Map<Tier, Integer> tiers,
            long databaseQueries,
            double localHitP99Micros,
            Loop hgetall,
            Loop jdbc) {
        double databaseShare() {
            int total = tiers.values().stream().mapToInt(Integer::intValue).sum();
            return total == 0 ? 0 : tiers.getOrDefault(Tier.DATABASE, 0) / (double) total;
        }

        /**
         * PostgreSQL queries the reader made per read: the database tier's reads, and the completions of synced hashes
         * that lack database defaults (answered by the Redis tier, but only after a query of their row).
         */
        double databaseQueriesPerRead() {
            int total = tiers.values().stream().mapToInt(Integer::intValue).sum();
            return total == 0 ? 0 : databaseQueries / (double) total;
        }

        double share(Tier tier) {
            int total = tiers.values().stream().mapToInt(Integer::intValue).sum();
            return total == 0 ? 0 : tiers.getOrDefault(tier, 0) / (double) total;
        }
    }

    record Result(Options options, List<Round> rounds, String postgresVersion, String redisVersion) {
        double readerMedian() {
            return Stats.median(
                    rounds.stream().map(r -> r.reader().readsPerSecond()).toList());
        }

        double hgetallMedian() {
            return Stats.median(
                    rounds.stream().map(r -> r.hgetall().readsPerSecond()).toList());
        }

        double jdbcMedian() {
            return Stats.median(
                    rounds.stream().map(r -> r.jdbc().readsPerSecond()).toList());
        }

        double ratio() {
            return readerMedian() / hgetallMedian();
        }

        double jdbcRatio() {
            return readerMedian() / jdbcMedian();
        }

        double median(java.util.function.ToDoubleFunction<Round> f) {
            return Stats.median(rounds.stream().map(r -> f.applyAsDouble(r)).toList());
        }
    }

    private final RedisSettings redisSettings;
    private final DatabaseSettings databaseSettings;

    ReadBenchmark(RedisSettings redis, DatabaseSettings database) {
        this.redisSettings = redis;
        this.databaseSettings = database;
    }

    /** Steps reported to {@code progress}: setup, warm-up, one per round. */
    static int steps(Options o) {
        return 2 + o.rounds();
    }

    Result run(Options o, IntConsumer progress) {
        KeyLayout layout = BenchRedis.scratchLayout();
        // A RedisClusterClient for a redis-cluster:// URL: the worker and the plain loop then reach each key's master.
        AbstractRedisClient client = RedisClients.createAny(redisSettings);
        try (BenchDatabase db = BenchDatabase.create(databaseSettings);
                RedisDeployment admin = RedisDeployment.open(redisSettings)) {
            try {
                return execute(o, db, layout, client, admin, progress);
            } finally {
                BenchRedis.deleteKeys(admin, layout.allKeysPattern());
            }
        } finally {
            client.shutdown();
        }
    }

    private Result execute(
            Options o,
            BenchDatabase db,
            KeyLayout layout,
            AbstractRedisClient client,
            RedisDeployment admin,
            IntConsumer progress) {
        RedisClusterCommands<String, String> redis = admin.sync();
        TableRegistry registry = db.init(admin, layout, o.partitions());
        String[] keys = new String[o.keys()];
        String[] hashKeys = new String[o.keys()];
        UUID[] uuids = new UUID[o.keys()];
        Map<Integer, StreamEntryId> targets = new HashMap<>();
        try (RecordWriter writer =
                RecordWriter.connect(new WriterSettings(redisSettings, layout, Duration.ofSeconds(2)))) {
            List<Write> batch = new ArrayList<>(BATCH);
            int first = 0;
            for (int i = 0; i < o.keys(); i++) {
                uuids[i] = UUID.randomUUID();
                batch.add(Write.put(TABLE, RecordKey.of(uuids[i]), MemoryBenchmark.columns(i, o.valueBytes())));
                if (batch.size() == BATCH || i == o.keys() - 1) {
                    List<WriteReceipt> receipts = writer.writeAll(batch).orThrow();
                    for (int j = 0; j < receipts.size(); j++) {
                        WriteReceipt r = receipts.get(j);
                        keys[first + j] = r.key();
                        hashKeys[first + j] = layout.record(r.partition(), TABLE, r.key());
                        targets.merge(
                                r.partition(), StreamEntryId.parse(r.entryId()), (a, b) -> a.compareTo(b) >= 0 ? a : b);
                    }
                    first += receipts.size();
                    batch.clear();
                }
            }
        }
        try (HikariDataSource pool = DataSources.create(db.settings(Math.max(2, o.partitions())), "bench-read")) {
            try (SyncWorker worker = new SyncWorker(
                    SyncSettings.defaults(layout)
                            .mutate()
                            .workerId("bench-read")
                            .build(),
                    registry,
                    pool,
                    client)) {
                worker.start();
                BenchRedis.awaitApplied(redis, layout, targets, DRAIN_TIMEOUT, "read");
            }
            // Every other record lives in PostgreSQL only, as if its synced hash had expired.
            List<String> expired = new ArrayList<>();
            for (int i = 1; i < keys.length; i += 2) {
                expired.add(hashKeys[i]);
                if (expired.size() == BATCH) {
                    redis.del(expired.toArray(String[]::new));
                    expired.clear();
                }
            }
            if (!expired.isEmpty()) {
                redis.del(expired.toArray(String[]::new));
            }
            progress.accept(1);
            ReaderSettings settings = ReaderSettings.defaults()
                    .mutate()
                    .layout(layout)
                    .localCacheEntries(o.localCacheEntries())
                    .localCacheTtl(ReaderSettings.DEFAULT_LOCAL_CACHE_TTL)
                    .build();
            List<Round> rounds = new ArrayList<>();
            SimpleMeterRegistry meters = new SimpleMeterRegistry();
            // On a cluster the reader opens its cluster connection from the settings (each key read on its master,
            // tracking on every master); on one server it shares the plain loop's client, as before.
            try (CachedReader reader = client instanceof RedisClient single
                            ? CachedReader.create(settings, single, pool, meters)
                            : CachedReader.create(settings, redisSettings, pool, meters);
                    RedisDeployment plain = RedisDeployment.connect(client, redisSettings);
                    Connection jdbc = pool.getConnection();
                    PreparedStatement select = jdbc.prepareStatement(SELECT)) {
                Loops loops =
                        new Loops(reader, meters, plain.sync(), select, keys, hashKeys, uuids, new CpuMeter(admin));
                long seed = ThreadLocalRandom.current().nextLong();
                // Warm-up: the reader over a whole round's draws, so its local cache reaches its steady state;
                // the baselines over a tenth (their code paths are the same client's and pool's).
                int[] warmUp = draws(o, seed);
                loops.readerLoop(warmUp, new EnumMap<>(Tier.class), new double[warmUp.length], new int[1]);
                int[] tenth = Arrays.copyOf(warmUp, Math.max(1, warmUp.length / 10));
                loops.hgetallLoop(tenth);
                loops.jdbcLoop(tenth);
                progress.accept(2);
                for (int r = 0; r < o.rounds(); r++) {
                    rounds.add(loops.round(draws(o, seed + 1 + r), r + 1));
                    progress.accept(3 + r);
                }
            } catch (SQLException e) {
                throw new IllegalStateException("bench read: " + e.getMessage(), e);
            }
            return new Result(
                    o,
                    rounds,
                    db.serverVersion(),
                    SyncBenchmark.redisVersion(admin.masters().getFirst().sync()));
        }
    }

    private static int[] draws(Options o, long seed) {
        ZipfGenerator zipf = new ZipfGenerator(o.keys(), o.zipfExponent(), seed);
        int[] draws = new int[o.reads()];
        for (int i = 0; i < draws.length; i++) {
            draws[i] = zipf.next();
        }
        return draws;
    }

    /** The three read loops over one key sequence. Confined to the calling thread. */
    private record Loops(
            CachedReader reader,
            MeterRegistry meters,
            RedisClusterCommands<String, String> redis,
            PreparedStatement select,
            String[] keys,
            String[] hashKeys,
            UUID[] uuids,
            CpuMeter meter) {

        /** Runs the three loops in an order that rotates with the round. */
        Round round(int[] draws, int round) {
            Loop readerLoop = null;
            Loop hgetall = null;
            Loop jdbc = null;
            Map<Tier, Integer> tiers = new EnumMap<>(Tier.class);
            double[] local = new double[draws.length];
            int[] localCount = new int[1];
            long queries = 0;
            for (int i = 0; i < 3; i++) {
                switch ((round + i) % 3) {
                    case 0 -> {
                        long before = databaseQueries();
                        readerLoop = readerLoop(draws, tiers, local, localCount);
                        queries = databaseQueries() - before;
                    }
                    case 1 -> hgetall = hgetallLoop(draws);
                    default -> jdbc = jdbcLoop(draws);
                }
            }
            double localP99 =
                    localCount[0] == 0 ? Double.NaN : Stats.percentile(Arrays.copyOf(local, localCount[0]), 99);
            return new Round(readerLoop, tiers, queries, localP99, hgetall, jdbc);
        }

        /** The PostgreSQL queries the reader has made so far (its {@code cistern.proxy.database.queries} timers). */
        long databaseQueries() {
            return meters.find("cistern.proxy.database.queries").timers().stream()
                    .mapToLong(Timer::count)
                    .sum();
        }

        Loop readerLoop(int[] draws, Map<Tier, Integer> tiers, double[] local, int[] localCount) {
            double[] micros = new double[draws.length];
            int[] counts = new int[Tier.values().length];
            CpuMeter.Snapshot before = meter.take();
            long start = System.nanoTime();
            for (int i = 0; i < draws.length; i++) {
                long t0 = System.nanoTime();
                ReadResult r = reader.get(TABLE, keys[draws[i]]);
                long t = System.nanoTime() - t0;
                micros[i] = t / 1e3;
                counts[r.tier().ordinal()]++;
                if (!r.found()) {
                    throw new IllegalStateException("bench read: record " + keys[draws[i]] + " read as absent");
                }
                if (r.tier() == Tier.LOCAL) {
                    local[localCount[0]++] = t / 1e3;
                }
            }
            long elapsed = System.nanoTime() - start;
            CpuMeter.Use cpu = meter.since(before);
            for (Tier tier : Tier.values()) {
                tiers.put(tier, counts[tier.ordinal()]);
            }
            return Loop.of(draws.length, elapsed, micros, cpu);
        }

        Loop hgetallLoop(int[] draws) {
            double[] micros = new double[draws.length];
            CpuMeter.Snapshot before = meter.take();
            long start = System.nanoTime();
            for (int i = 0; i < draws.length; i++) {
                long t0 = System.nanoTime();
                Map<String, String> hash = redis.hgetall(hashKeys[draws[i]]);
                micros[i] = (System.nanoTime() - t0) / 1e3;
                if (hash == null) {
                    throw new IllegalStateException("bench read: HGETALL answered nothing");
                }
            }
            long elapsed = System.nanoTime() - start;
            return Loop.of(draws.length, elapsed, micros, meter.since(before));
        }

        Loop jdbcLoop(int[] draws) {
            double[] micros = new double[draws.length];
            CpuMeter.Snapshot before = meter.take();
            long start = System.nanoTime();
            try {
                for (int i = 0; i < draws.length; i++) {
                    long t0 = System.nanoTime();
                    select.setObject(1, uuids[draws[i]]);
                    try (ResultSet rs = select.executeQuery()) {
                        if (!rs.next()) {
                            throw new IllegalStateException("bench read: row " + uuids[draws[i]] + " not found");
                        }
                        int columns = rs.getMetaData().getColumnCount();
                        for (int c = 1; c <= columns; c++) {
                            rs.getString(c);
                        }
                    }
                    micros[i] = (System.nanoTime() - t0) / 1e3;
                }
            } catch (SQLException e) {
                throw new IllegalStateException("bench read: the JDBC baseline failed: " + e.getMessage(), e);
            }
            long elapsed = System.nanoTime() - start;
            return Loop.of(draws.length, elapsed, micros, meter.since(before));
        }
    }
}
