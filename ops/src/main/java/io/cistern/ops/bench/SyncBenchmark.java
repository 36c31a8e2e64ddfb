package io.cistern.ops.bench;

import com.zaxxer.hikari.HikariDataSource;
import io.cistern.connections.DataSources;
import io.cistern.connections.DatabaseSettings;
import io.cistern.connections.RedisClients;
import io.cistern.connections.RedisDeployment;
import io.cistern.connections.RedisSettings;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.keys.StreamEntryId;
import io.cistern.schema.registry.TableDef;
import io.cistern.schema.registry.TableRegistry;
import io.cistern.schema.wire.MetaFields;
import io.cistern.sync.SyncSettings;
import io.cistern.sync.SyncWorker;
import io.cistern.writer.RecordKey;
import io.cistern.writer.RecordWriter;
import io.cistern.writer.Write;
import io.cistern.writer.WriteReceipt;
import io.cistern.writer.WriterSettings;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.LettuceFutures;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * The {@code sync-insert} and {@code sync-update} scenarios: how fast sync workers drain a preloaded backlog into
 * PostgreSQL, beside the raw {@code unnest} upsert ceiling ({@link UnnestUpsertBaseline}) on the same rows, alternating
 * rounds in the same run; then the write-to-commit latency at a share of the sustained rate (half by default).
 *
 * <p>Isolation: each run creates its own database ({@link BenchDatabase}) and key prefix, initialises Cistern there
 * with the demo tables, and drops both at the end. The payload is the demo table {@code source_documents}: a put of
 * {@code filename} and {@code storage_uri} ({@code valueBytes} each), {@code status}, {@code size_bytes} and {@code
 * page_count}.
 *
 * <p>A round: reset the table (truncate; for updates, insert the hot keys at version 0, as rows that existed before
 * Cistern), preload the backlog with {@code RecordWriter.writeAll} while no worker runs, then start the workers and
 * time until every partition's published watermark (meta hash field {@code applied}) reaches the last preloaded entry.
 * The baseline round resets the table the same way and upserts the same rows. The order of the two alternates.
 *
 * <p>On a Redis Cluster ({@code redis-cluster://}) the writer, the workers and the harness's own commands go to each
 * partition's master, and every round also records each master's share: the entries written to and applied from its
 * partitions, and its Redis CPU ({@code INFO cpu}) while the backlog was written and while it was drained ({@link
 * MasterWork}).
 *
 * <p>Rows written (inserted or updated tuples) are read from {@code pg_stat_user_tables} after the workers' pool is
 * closed (a backend flushes its statistics when it exits). For updates they are fewer than entries: the worker merges
 * the entries of one key in a batch into one row operation.
 */
final class SyncBenchmark {
    static final String TABLE = "source_documents";
    /** The columns of the put, sorted by name as the worker orders them. */
    static final List<String> COLUMNS = List.of("filename", "page_count", "size_bytes", "status", "storage_uri");

    private static final int PRELOAD_BATCH = 1_000;
    private static final int BASELINE_BATCH = 1_000;
    private static final int BASELINE_CONNECTIONS = 2;
    private static final int LATENCY_WINDOW = 256;
    private static final Duration DRAIN_TIMEOUT = Duration.ofMinutes(5);
    /**
     * Every partition's published watermark in one command, so that the latency phase's poller (1,000 polls a second)
     * adds one small command to Redis per poll instead of one per partition. One server only: a Redis Cluster refuses a
     * script whose keys span slots ({@code CROSSSLOT}), and every partition has a slot of its own, so there the poller
     * sends one {@code HGET} per partition, pipelined (see {@code Run.poll}).
     */
    private static final String WATERMARKS_SCRIPT =
            "local r = {} for i, k in ipairs(KEYS) do r[i] = redis.call('HGET', k, 'applied') or '' end return r";

    private static final double SETTLED_COMPILE_SHARE = 0.02;

    enum Kind {
        INSERT("sync-insert"),
        UPDATE("sync-update");

        final String scenario;

        Kind(String scenario) {
            this.scenario = scenario;
        }
    }

    /**
     * What to run.
     *
     * @param records entries preloaded per round
     * @param keys the hot keys of {@code sync-update} (ignored by {@code sync-insert}, where every record is new)
     * @param valueBytes the width of {@code filename} and {@code storage_uri}
     * @param duration how long the paced producer of the latency phase runs
     * @param maxWarmUpPairs at most this many unmeasured pairs of rounds (see {@code Run.warmUp})
     * @param latencyShare the share of the sustained drain rate the latency phase offers
     */
    record Options(
            Kind kind,
            int records,
            int keys,
            int valueBytes,
            int partitions,
            int workers,
            int batchSize,
            int rounds,
            Duration duration,
            int maxWarmUpPairs,
            double latencyShare) {
        Options {
            if (records < 1
                    || keys < 1
                    || valueBytes < 1
                    || partitions < 1
                    || workers < 1
                    || batchSize < 1
                    || rounds < 1
                    || maxWarmUpPairs < 1) {
                throw new IllegalArgumentException("records, keys, value bytes, partitions, workers, batch size, rounds"
                        + " and warm-up pairs must be positive");
            }
            if (kind == Kind.UPDATE && keys < BASELINE_CONNECTIONS) {
                throw new IllegalArgumentException("sync-update needs at least 2 keys, was " + keys);
            }
            if (duration.isNegative() || duration.isZero()) {
                throw new IllegalArgumentException("duration must be positive, was " + duration);
            }
            if (!(latencyShare > 0 && latencyShare <= 1)) {
                throw new IllegalArgumentException("latency share must be above 0 and at most 1, was " + latencyShare);
            }
        }

        /**
         * With at most {@value BenchSettings#DEFAULT_MAX_WARM_UP_PAIRS} warm-up pairs and the latency phase at {@value
         * BenchSettings#DEFAULT_LATENCY_SHARE} of the sustained rate.
         */
        Options(
                Kind kind,
                int records,
                int keys,
                int valueBytes,
                int partitions,
                int workers,
                int batchSize,
                int rounds,
                Duration duration) {
            this(
                    kind,
                    records,
                    keys,
                    valueBytes,
                    partitions,
                    workers,
                    batchSize,
                    rounds,
                    duration,
                    BenchSettings.DEFAULT_MAX_WARM_UP_PAIRS,
                    BenchSettings.DEFAULT_LATENCY_SHARE);
        }
    }

    /**
     * One Cistern round: entries and rows per second of the drain, and where the CPU went meanwhile; the rate at which
     * the backlog was written ({@code writesPerSecond}, {@code RecordWriter.writeAll} in batches of 1,000 over every
     * partition) and the CPU of that write phase; and each master's part ({@code masters}, one entry off a cluster).
     */
    record CisternRound(
            double entriesPerSecond,
            double rowsPerSecond,
            long rowsWritten,
            CpuMeter.Use cpu,
            double writesPerSecond,
            CpuMeter.Use writeCpu,
            List<MasterWork> masters) {}

    /**
     * One master's part of a round: the partitions whose slots it serves, the entries written to them (every one is
     * applied before the round ends), and the CPU seconds its Redis spent while the backlog was written and while it was
     * drained.
     */
    record MasterWork(String master, int partitions, long entries, double writeRedisSeconds, double drainRedisSeconds) {
        /** Its Redis CPU per entry written to its partitions, in microseconds. */
        double writeMicrosPerEntry() {
            return entries == 0 ? Double.NaN : 1e6 * writeRedisSeconds / entries;
        }

        /** Its Redis CPU per entry applied from its partitions, in microseconds. */
        double drainMicrosPerEntry() {
            return entries == 0 ? Double.NaN : 1e6 * drainRedisSeconds / entries;
        }
    }

    /** One baseline round. */
    record BaselineRound(double rowsPerSecond, long rowsWritten, CpuMeter.Use cpu) {}

    /**
     * Write-to-commit latency at an offered rate: from the time each write was due ({@code p50Ms}, {@code p99Ms}, {@code
     * maxMs}, the headline), and, to tell a producer that fell behind from a slow commit, from the time Redis
     * acknowledged it ({@code ackedP50Ms}, {@code ackedP99Ms}); and where the CPU went meanwhile.
     */
    record Latency(
            double offeredPerSecond,
            double achievedPerSecond,
            int writes,
            int failedWrites,
            double p50Ms,
            double p99Ms,
            double maxMs,
            double ackedP50Ms,
            double ackedP99Ms,
            CpuMeter.Use cpu) {}

    /**
     * The unmeasured rounds before the measured ones.
     *
     * @param pairs pairs of rounds (Cistern and baseline, full size)
     * @param compileShare the JIT compilers' time over the wall time of the last pair
     */
    record WarmUp(int pairs, double compileShare) {}

    record Result(
            Options options,
            WarmUp warmUp,
            List<CisternRound> cistern,
            List<BaselineRound> baseline,
            Latency latency,
            String baselineSql,
            String postgresVersion,
            String redisVersion) {
        double entriesMedian() {
            return Stats.median(
                    cistern.stream().map(CisternRound::entriesPerSecond).toList());
        }

        double rowsMedian() {
            return Stats.median(
                    cistern.stream().map(CisternRound::rowsPerSecond).toList());
        }

        double baselineMedian() {
            return Stats.median(
                    baseline.stream().map(BaselineRound::rowsPerSecond).toList());
        }

        /** The headline: rows/s for inserts (one entry is one row), entries/s for updates (see the class comment). */
        double headline() {
            return options.kind() == Kind.INSERT ? rowsMedian() : entriesMedian();
        }

        double ratio() {
            return headline() / baselineMedian();
        }

        double rowsRatio() {
            return rowsMedian() / baselineMedian();
        }

        /** The median over the rounds of the write phase's rate (entries written per second, every partition). */
        double writesMedian() {
            return Stats.median(
                    cistern.stream().map(CisternRound::writesPerSecond).toList());
        }

        /**
         * The median over the rounds of one process's CPU ({@code cores} of the drain's {@link CpuMeter.Use}) per row
         * applied in the drain, in microseconds; per {@code perEntry} entry instead of per row written when asked.
         */
        double drainMicros(java.util.function.ToDoubleFunction<CpuMeter.Use> cores, boolean perEntry) {
            return Stats.median(cistern.stream()
                    .map(c ->
                            1e6 * cores.applyAsDouble(c.cpu()) / (perEntry ? c.entriesPerSecond() : c.rowsPerSecond()))
                    .toList());
        }

        /** The median over the baseline rounds of one process's CPU per row upserted, in microseconds. */
        double baselineMicrosPerRow(java.util.function.ToDoubleFunction<CpuMeter.Use> cores) {
            return Stats.median(baseline.stream()
                    .map(b -> 1e6 * cores.applyAsDouble(b.cpu()) / b.rowsPerSecond())
                    .toList());
        }

        /** The median over the rounds of one process's CPU per entry written in the write phase, in microseconds. */
        double writeMicrosPerWrite(java.util.function.ToDoubleFunction<CpuMeter.Use> cores) {
            return Stats.median(cistern.stream()
                    .map(c -> 1e6 * cores.applyAsDouble(c.writeCpu()) / c.writesPerSecond())
                    .toList());
        }

        /** Whether every measured round read the CPU of a PostgreSQL server the bench started itself. */
        boolean privatePostgres() {
            return cistern.stream().allMatch(c -> c.cpu().hasPrivatePostgres())
                    && baseline.stream().allMatch(b -> b.cpu().hasPrivatePostgres());
        }

        /**
         * Redis {@code INFO commandstats} of the drain per row applied, medians over the rounds, by command: {calls,
         * microseconds} per row (a command absent from a round counts 0 there).
         */
        Map<String, double[]> drainCommandsPerRow() {
            java.util.Set<String> names = new java.util.TreeSet<>();
            cistern.forEach(c -> names.addAll(c.cpu().commands().keySet()));
            Map<String, double[]> perRow = new LinkedHashMap<>();
            for (String name : names) {
                List<Double> calls = new ArrayList<>();
                List<Double> usec = new ArrayList<>();
                for (CisternRound c : cistern) {
                    CpuMeter.CommandStat s = c.cpu().commands().getOrDefault(name, new CpuMeter.CommandStat(0, 0));
                    double rows = Math.max(1, c.rowsWritten());
                    calls.add(s.calls() / rows);
                    usec.add(s.usec() / rows);
                }
                perRow.put(name, new double[] {Stats.median(calls), Stats.median(usec)});
            }
            return perRow;
        }

        /** The masters, as the first round saw them (the bench does not change the topology). */
        List<String> masters() {
            return cistern.getFirst().masters().stream().map(MasterWork::master).toList();
        }

        /** The median over the rounds of {@code metric} of {@code master}'s part. */
        double masterMedian(String master, java.util.function.ToDoubleFunction<MasterWork> metric) {
            return Stats.median(cistern.stream()
                    .flatMap(c -> c.masters().stream())
                    .filter(m -> m.master().equals(master))
                    .map(metric::applyAsDouble)
                    .toList());
        }

        /** The median over the rounds of {@code master}'s share of the entries written and applied. */
        double entryShare(String master) {
            return Stats.median(cistern.stream()
                    .map(c -> {
                        long all = c.masters().stream()
                                .mapToLong(MasterWork::entries)
                                .sum();
                        return c.masters().stream()
                                        .filter(m -> m.master().equals(master))
                                        .mapToLong(MasterWork::entries)
                                        .sum()
                                / (double) all;
                    })
                    .toList());
        }

        /** The median over the rounds of {@code master}'s share of all masters' Redis CPU, write and drain phases. */
        double cpuShare(String master) {
            return Stats.median(cistern.stream()
                    .map(c -> {
                        double all = c.masters().stream()
                                .mapToDouble(m -> m.writeRedisSeconds() + m.drainRedisSeconds())
                                .sum();
                        return c.masters().stream()
                                        .filter(m -> m.master().equals(master))
                                        .mapToDouble(m -> m.writeRedisSeconds() + m.drainRedisSeconds())
                                        .sum()
                                / all;
                    })
                    .toList());
        }
    }

    private final RedisSettings redisSettings;
    private final DatabaseSettings databaseSettings;
    private final java.util.OptionalLong postmasterPid;

    /**
     * @param postmasterPid the postmaster of the PostgreSQL the bench started itself ({@code bench --pin}), whose
     *     processes' CPU is then measured alone; empty against a shared server
     */
    SyncBenchmark(RedisSettings redis, DatabaseSettings database, java.util.OptionalLong postmasterPid) {
        this.redisSettings = redis;
        this.databaseSettings = database;
        this.postmasterPid = postmasterPid;
    }

    /** Steps reported to {@code progress}: a warm-up, two per round, and the latency phase. */
    static int steps(Options o) {
        return 2 + 2 * o.rounds();
    }

    Result run(Options o, IntConsumer progress) {
        KeyLayout layout = BenchRedis.scratchLayout();
        // The workers' client: a RedisClusterClient for a redis-cluster:// URL, so each partition is read on its
        // master.
        AbstractRedisClient client = RedisClients.createAny(redisSettings);
        try (BenchDatabase db = BenchDatabase.create(databaseSettings);
                RedisDeployment admin = RedisDeployment.open(redisSettings)) {
            try {
                return new Run(o, db, layout, client, admin).execute(progress);
            } finally {
                BenchRedis.deleteKeys(admin, layout.allKeysPattern());
            }
        } finally {
            client.shutdown();
        }
    }

    /** One run's state. Confined to the calling thread, apart from the latency phase's poller. */
    private final class Run {
        final Options o;
        final BenchDatabase db;
        final KeyLayout layout;
        final AbstractRedisClient client;
        final RedisDeployment admin;
        final RedisClusterCommands<String, String> redis;
        final CpuMeter cpu;
        /** The master serving each partition's slot, by address; the bench does not change the topology. */
        final List<String> masterOfPartition = new ArrayList<>();

        final long salt = ThreadLocalRandom.current().nextLong();
        TableRegistry registry;
        TableDef table;
        UnnestUpsertBaseline baseline;
        int roundNumber;

        Run(Options o, BenchDatabase db, KeyLayout layout, AbstractRedisClient client, RedisDeployment admin) {
            this.o = o;
            this.db = db;
            this.layout = layout;
            this.client = client;
            this.admin = admin;
            this.redis = admin.sync();
            this.cpu = new CpuMeter(admin, postmasterPid);
        }

        Result execute(IntConsumer progress) {
            registry = db.init(admin, layout, o.partitions());
            BenchRedis.openEntryFormat(admin, layout, o.partitions());
            for (int p = 0; p < o.partitions(); p++) {
                masterOfPartition.add(admin.masterFor(layout.meta(p)).address());
            }
            table = registry.table(TABLE).orElseThrow();
            baseline = new UnnestUpsertBaseline(db, table, COLUMNS);
            List<CisternRound> cistern = new ArrayList<>();
            List<BaselineRound> baselines = new ArrayList<>();
            try (RecordWriter writer = RecordWriter.connect(
                    new WriterSettings(redisSettings, layout, WriterSettings.DEFAULT_REGISTRY_REFRESH))) {
                WarmUp warmUp = warmUp(writer, o);
                progress.accept(1);
                for (int r = 0; r < o.rounds(); r++) {
                    if (r % 2 == 0) {
                        cistern.add(cisternRound(writer, o));
                        progress.accept(2 + 2 * r);
                        baselines.add(baselineRound(o));
                    } else {
                        baselines.add(baselineRound(o));
                        progress.accept(2 + 2 * r);
                        cistern.add(cisternRound(writer, o));
                    }
                    progress.accept(3 + 2 * r);
                }
                double sustained = Stats.median(cistern.stream()
                        .map(c -> o.kind() == Kind.INSERT ? c.rowsPerSecond() : c.entriesPerSecond())
                        .toList());
                Latency latency = latency(writer, sustained * o.latencyShare());
                progress.accept(steps(o));
                return new Result(
                        o,
                        warmUp,
                        cistern,
                        baselines,
                        latency,
                        baseline.sql(),
                        db.serverVersion(),
                        redisVersion(admin.masters().getFirst().sync()));
            }
        }

        /**
         * Full-size rounds of both sides, not measured, until the JIT has settled: a worker runs for days, so the
         * sustained rate is the compiled code's. A pair of rounds counts as settled when the JIT compilers spent under
         * {@value #SETTLED_COMPILE_SHARE} of its wall time compiling (on 2 cores, C2 compiling the worker's code took
         * a third of a core during the first rounds and slowed them by a quarter).
         */
        WarmUp warmUp(RecordWriter writer, Options options) {
            CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
            double share = Double.NaN;
            int pairs = 0;
            while (pairs < options.maxWarmUpPairs() && !(share < SETTLED_COMPILE_SHARE)) {
                long compiledBefore = jit.getTotalCompilationTime();
                long start = System.nanoTime();
                cisternRound(writer, options);
                baselineRound(options);
                pairs++;
                share = (jit.getTotalCompilationTime() - compiledBefore) / ((System.nanoTime() - start) / 1e6);
            }
            return new WarmUp(pairs, share);
        }

        // ---- the data -------------------------------------------------------------------------------------------

        UUID key(int round, int index) {
            return o.kind() == Kind.INSERT ? new UUID(salt + round, index) : new UUID(salt, index);
        }

        /** The column values of the i-th write: the writer's values, and their texts as the worker binds them. */
        Map<String, Object> columns(int i) {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("filename", pad("doc-" + i + "-", o.valueBytes()));
            c.put("page_count", i % 1_000);
            c.put("size_bytes", 1_000_000L + i);
            c.put("status", "done");
            c.put("storage_uri", pad("s3://bench/" + i + "/", o.valueBytes()));
            return c;
        }

        /** The i-th entry of a round: its key index and version (updates cycle over the hot keys). */
        int keyIndex(int i, Options options) {
            return options.kind() == Kind.INSERT ? i : i % options.keys();
        }

        void resetTable(Options options) {
            db.execute("TRUNCATE " + TABLE + ", entities, cistern_tombstone");
            if (options.kind() == Kind.UPDATE) {
                String[] keys = new String[options.keys()];
                for (int k = 0; k < keys.length; k++) {
                    keys[k] = key(0, k).toString();
                }
                try (Connection c = db.connect();
                        PreparedStatement ps = c.prepareStatement("INSERT INTO " + TABLE
                                + " (document_uuid, filename, cistern_version) SELECT k::uuid, 'existing', 0 FROM"
                                + " unnest(?::text[]) AS k")) {
                    ps.setArray(1, c.createArrayOf("text", keys));
                    ps.executeUpdate();
                } catch (java.sql.SQLException e) {
                    throw new IllegalStateException("bench: cannot insert the hot keys: " + e.getMessage(), e);
                }
            }
            db.execute("VACUUM ANALYZE " + TABLE);
        }

        // ---- Cistern --------------------------------------------------------------------------------------------

        CisternRound cisternRound(RecordWriter writer, Options options) {
            int round = ++roundNumber;
            resetTable(options);
            long[] entries = new long[options.partitions()];
            CpuMeter.Snapshot writeBefore = cpu.take();
            long writeStart = System.nanoTime();
            Map<Integer, StreamEntryId> targets = preload(writer, options, round, entries);
            long writeElapsed = System.nanoTime() - writeStart;
            CpuMeter.Use writeUse = cpu.since(writeBefore);
            long rowsBefore = stableTupleWrites();
            int poolSize = Math.max(2, (options.partitions() + options.workers() - 1) / options.workers());
            HikariDataSource dataSource = DataSources.create(db.settings(poolSize), "bench-sync");
            List<SyncWorker> workers = new ArrayList<>();
            CpuMeter.Use use;
            long elapsed;
            // The workers' own count of committed entries tells when the drain is nearly done without asking Redis:
            // polling 64 partitions' watermarks every few milliseconds for the whole drain cost Redis a sizeable part
            // of the CPU the drain is measured by.
            io.micrometer.core.instrument.simple.SimpleMeterRegistry meters =
                    new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
            try {
                for (int w = 0; w < options.workers(); w++) {
                    workers.add(new SyncWorker(workerSettings(options, w), registry, dataSource, client, meters));
                }
                CpuMeter.Snapshot before = cpu.take();
                long start = System.nanoTime();
                workers.forEach(SyncWorker::start);
                awaitCommitted(meters, options.records(), DRAIN_TIMEOUT);
                awaitApplied(targets, DRAIN_TIMEOUT);
                elapsed = System.nanoTime() - start;
                use = cpu.since(before);
            } finally {
                workers.forEach(SyncWorker::close);
                dataSource.close();
            }
            long rows = stableTupleWrites() - rowsBefore;
            verify(options);
            trimStreams();
            return new CisternRound(
                    options.records() / (elapsed / 1e9),
                    rows / (elapsed / 1e9),
                    rows,
                    use,
                    options.records() / (writeElapsed / 1e9),
                    writeUse,
                    masterWork(entries, writeUse, use));
        }

        /** Each master's part of a round, from the entries each partition received and the two phases' CPU. */
        List<MasterWork> masterWork(long[] entries, CpuMeter.Use write, CpuMeter.Use drain) {
            Map<String, long[]> byMaster = new TreeMap<>();
            for (int p = 0; p < entries.length; p++) {
                long[] m = byMaster.computeIfAbsent(masterOfPartition.get(p), k -> new long[2]);
                m[0]++;
                m[1] += entries[p];
            }
            List<MasterWork> work = new ArrayList<>();
            byMaster.forEach((master, m) -> work.add(
                    new MasterWork(master, (int) m[0], m[1], write.redisSeconds(master), drain.redisSeconds(master))));
            return work;
        }

        SyncSettings workerSettings(Options options, int w) {
            return SyncSettings.defaults(layout)
                    .mutate()
                    .batchSize(options.batchSize())
                    .workerId("bench-" + layout.prefix() + "-w" + w + "-" + roundNumber)
                    .entryFormat(BenchRedis.entryFormat())
                    .build();
        }

        /**
         * Writes the round's entries in pipelined batches, counting each partition's in {@code entries}; returns the last
         * entry ID of each partition.
         */
        Map<Integer, StreamEntryId> preload(RecordWriter writer, Options options, int round, long[] entries) {
            Map<Integer, StreamEntryId> last = new HashMap<>();
            List<Write> batch = new ArrayList<>(PRELOAD_BATCH);
            for (int i = 0; i < options.records(); i++) {
                batch.add(Write.put(TABLE, RecordKey.of(key(round, keyIndex(i, options))), columns(i)));
                if (batch.size() == PRELOAD_BATCH || i == options.records() - 1) {
                    for (WriteReceipt r : writer.writeAll(batch).orThrow()) {
                        entries[r.partition()]++;
                        last.merge(
                                r.partition(), StreamEntryId.parse(r.entryId()), (a, b) -> a.compareTo(b) >= 0 ? a : b);
                    }
                    batch.clear();
                }
            }
            return last;
        }

        /**
         * Waits, in this JVM only, until the workers have committed {@code entries} entries (meter {@code
         * cistern.sync.entries}, every outcome); the caller then confirms with the published watermarks.
         */
        void awaitCommitted(io.micrometer.core.instrument.MeterRegistry meters, long entries, Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (meters.find("cistern.sync.entries").counters().stream()
                                    .mapToDouble(io.micrometer.core.instrument.Counter::count)
                                    .sum()
                            < entries
                    && System.nanoTime() < deadline) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
        }

        void awaitApplied(Map<Integer, StreamEntryId> targets, Duration timeout) {
            Map<Integer, StreamEntryId> remaining = new TreeMap<>(targets);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!remaining.isEmpty()) {
                remaining
                        .entrySet()
                        .removeIf(e -> parseOrZero(redis.hget(layout.meta(e.getKey()), MetaFields.APPLIED))
                                .isAtOrAfter(e.getValue()));
                if (remaining.isEmpty()) {
                    return;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("bench: partitions " + remaining.keySet()
                            + " did not reach their last entry within " + timeout.toSeconds() + " s");
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
            }
        }

        /** Every entry applied, none pending, none dead-lettered, and the table holds what was written. */
        void verify(Options options) {
            for (int p = 0; p < options.partitions(); p++) {
                long pending = redis.xpending(layout.stream(p), "sync").getCount();
                long dead = redis.exists(layout.deadLetters(p)) == 0 ? 0 : redis.xlen(layout.deadLetters(p));
                if (pending != 0 || dead != 0) {
                    throw new IllegalStateException("bench: partition " + p + " has " + pending
                            + " pending entries and " + dead + " dead letters after the drain");
                }
            }
            long expected =
                    options.kind() == Kind.INSERT ? options.records() : Math.min(options.keys(), options.records());
            long synced = db.queryLong("SELECT count(*) FROM " + TABLE + " WHERE cistern_version > 0");
            if (synced != expected) {
                throw new IllegalStateException(
                        "bench: expected " + expected + " synced rows in " + TABLE + ", found " + synced);
            }
        }

        /** All entries are applied and acknowledged: empty the streams so Redis memory stays flat across rounds. */
        void trimStreams() {
            for (int p = 0; p < o.partitions(); p++) {
                redis.xtrim(layout.stream(p), 0);
            }
        }

        /** Inserted plus updated tuples of the table, once the statistics collector has settled. */
        long stableTupleWrites() {
            String q = "SELECT coalesce(sum(n_tup_ins + n_tup_upd), 0) FROM pg_stat_user_tables WHERE relname = '"
                    + TABLE + "'";
            long previous = db.queryLong(q);
            for (int i = 0; i < 40; i++) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(150));
                long now = db.queryLong(q);
                if (now == previous) {
                    return now;
                }
                previous = now;
            }
            return previous;
        }

        // ---- baseline -------------------------------------------------------------------------------------------

        BaselineRound baselineRound(Options options) {
            int round = ++roundNumber;
            resetTable(options);
            List<List<UnnestUpsertBaseline.Batch>> perThread = batches(options, round);
            long rowsBefore = stableTupleWrites();
            AtomicLong rows = new AtomicLong();
            UnnestUpsertBaseline.Outcome outcome = baseline.run(perThread, rows, cpu);
            long elapsed = outcome.nanos();
            CpuMeter.Use use = outcome.cpu();
            long written = stableTupleWrites() - rowsBefore;
            if (written != rows.get()) {
                // The statements' own counts are exact; the statistics are only a cross-check.
                written = rows.get();
            }
            if (rows.get() != options.records()) {
                throw new IllegalStateException(
                        "bench baseline: wrote " + rows.get() + " rows, expected " + options.records());
            }
            return new BaselineRound(options.records() / (elapsed / 1e9), written, use);
        }

        /**
         * The same rows as the Cistern round, in 1,000-row batches sorted by key. Inserts: consecutive chunks, dealt to
         * the connections in turn. Updates: each connection owns half the hot keys (as partitions do, so the two never
         * wait on each other's row locks) and applies every update of its keys, one version after another, in batches
         * of up to 1,000 distinct keys (one statement cannot update a row twice).
         */
        List<List<UnnestUpsertBaseline.Batch>> batches(Options options, int round) {
            List<List<UnnestUpsertBaseline.Batch>> perThread = new ArrayList<>();
            for (int t = 0; t < BASELINE_CONNECTIONS; t++) {
                perThread.add(new ArrayList<>());
            }
            if (options.kind() == Kind.INSERT) {
                int n = 0;
                for (int from = 0; from < options.records(); from += BASELINE_BATCH) {
                    int to = Math.min(options.records(), from + BASELINE_BATCH);
                    List<int[]> rows = new ArrayList<>();
                    for (int i = from; i < to; i++) {
                        rows.add(new int[] {i, i, 1});
                    }
                    perThread.get(n++ % BASELINE_CONNECTIONS).add(batch(rows, round));
                }
            } else {
                int keys = Math.min(options.keys(), options.records());
                for (int t = 0; t < BASELINE_CONNECTIONS; t++) {
                    List<int[]> pending = new ArrayList<>();
                    for (int i = 0; i < options.records(); i++) {
                        int k = i % keys;
                        if (k % BASELINE_CONNECTIONS != t) {
                            continue;
                        }
                        int version = i / keys + 1;
                        if (!pending.isEmpty()
                                && (pending.size() == BASELINE_BATCH || pending.getLast()[2] != version)) {
                            perThread.get(t).add(batch(pending, round));
                            pending = new ArrayList<>();
                        }
                        pending.add(new int[] {i, k, version});
                    }
                    if (!pending.isEmpty()) {
                        perThread.get(t).add(batch(pending, round));
                    }
                }
            }
            return perThread;
        }

        /** Rows of {entry index, key index, version}, sorted by key (primary-key order, as the worker sorts). */
        UnnestUpsertBaseline.Batch batch(List<int[]> rows, int round) {
            record Row(String key, int entry, int version) {}
            List<Row> sorted = new ArrayList<>();
            for (int[] r : rows) {
                sorted.add(new Row(key(round, r[1]).toString(), r[0], r[2]));
            }
            sorted.sort((a, b) -> a.key().compareTo(b.key()));
            int n = sorted.size();
            String[] keys = new String[n];
            String[][] values = new String[COLUMNS.size()][n];
            Long[] versions = new Long[n];
            for (int i = 0; i < n; i++) {
                Row r = sorted.get(i);
                keys[i] = r.key();
                Map<String, Object> c = columns(r.entry());
                for (int col = 0; col < COLUMNS.size(); col++) {
                    values[col][i] = String.valueOf(c.get(COLUMNS.get(col)));
                }
                versions[i] = (long) r.version();
            }
            return new UnnestUpsertBaseline.Batch(keys, new String[][] {keys.clone()}, values, versions);
        }

        // ---- latency --------------------------------------------------------------------------------------------

        /**
         * Offers puts at {@code rate} for the configured duration with the workers running, and measures for each write
         * the time from when it was due to be sent (so a producer falling behind counts against the latency) until the
         * partition's published watermark passed its entry ID; the worker publishes it right after commit.
         */
        Latency latency(RecordWriter writer, double rate) {
            int round = ++roundNumber;
            resetTable(o);
            int poolSize = Math.max(2, (o.partitions() + o.workers() - 1) / o.workers());
            HikariDataSource dataSource = DataSources.create(db.settings(poolSize), "bench-sync");
            List<SyncWorker> workers = new ArrayList<>();
            int total = (int) Math.max(
                    1, Math.min(Integer.MAX_VALUE - 1, rate * o.duration().toNanos() / 1e9));
            double[] latencies = new double[total];
            Arrays.fill(latencies, Double.NaN);
            double[] sinceAcked = new double[total];
            Arrays.fill(sinceAcked, Double.NaN);
            // The writes are made before the clock starts: making the test data is the harness's work, not the
            // producer's, and on two shared cores it would take CPU from the system under test.
            List<Write> writes = new ArrayList<>(total);
            for (int i = 0; i < total; i++) {
                writes.add(Write.put(TABLE, RecordKey.of(key(round, keyIndex(i, o))), columns(i)));
            }
            List<ConcurrentLinkedQueue<long[]>> sent = new ArrayList<>();
            for (int p = 0; p < o.partitions(); p++) {
                sent.add(new ConcurrentLinkedQueue<>());
            }
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicLong failed = new AtomicLong();
            AtomicLong observed = new AtomicLong();
            try (RedisDeployment pollConnection = RedisDeployment.connect(client, redisSettings)) {
                for (int w = 0; w < o.workers(); w++) {
                    SyncWorker worker = new SyncWorker(workerSettings(o, w), registry, dataSource, client);
                    workers.add(worker);
                    worker.start();
                }
                awaitOwnership(workers);
                Thread poller = Thread.ofPlatform()
                        .name("cistern-bench-watermark-poller")
                        .start(() -> poll(pollConnection, sent, latencies, sinceAcked, observed, total));
                CpuMeter.Snapshot cpuBefore = cpu.take();
                java.util.concurrent.Semaphore inFlight = new java.util.concurrent.Semaphore(LATENCY_WINDOW);
                long start = System.nanoTime();
                double interval = 1e9 / rate;
                for (int i = 0; i < total && failed.get() <= total / 2; i++) {
                    long due = start + (long) (i * interval);
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        LockSupport.parkNanos(wait);
                    }
                    // A bounded window, as a producer service has: an unbounded one piles up thousands of FCALLs
                    // behind a stall of the shared Redis and they all time out together. A producer held back by
                    // the window still counts against latency, which runs from the time the write was due.
                    inFlight.acquireUninterruptibly();
                    int index = i;
                    writer.writeAsync(writes.get(i)).whenComplete((receipt, t) -> {
                        inFlight.release();
                        if (t != null) {
                            // A write that timed out on a starved machine is counted and reported, not measured.
                            failed.incrementAndGet();
                            failure.compareAndSet(null, t);
                        } else {
                            StreamEntryId id = StreamEntryId.parse(receipt.entryId());
                            sent.get(receipt.partition())
                                    .add(new long[] {id.millis(), id.sequence(), due, index, System.nanoTime()});
                        }
                    });
                }
                double achieved = total / ((System.nanoTime() - start) / 1e9);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (observed.get() + failed.get() < total && System.nanoTime() < deadline) {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
                }
                CpuMeter.Use use = cpu.since(cpuBefore);
                poller.interrupt();
                poller.join();
                if (failed.get() > total / 2) {
                    throw new IllegalStateException(
                            "bench: " + failed.get() + " of " + total + " writes failed, first: " + failure.get(),
                            failure.get());
                }
                if (observed.get() + failed.get() < total) {
                    throw new IllegalStateException("bench: only " + observed.get() + " of " + total
                            + " writes were committed within 60 s after the producer stopped");
                }
                double[] measured =
                        Arrays.stream(latencies).filter(v -> !Double.isNaN(v)).toArray();
                double[] acked =
                        Arrays.stream(sinceAcked).filter(v -> !Double.isNaN(v)).toArray();
                return new Latency(
                        rate,
                        achieved,
                        total,
                        (int) failed.get(),
                        Stats.percentile(measured, 50),
                        Stats.percentile(measured, 99),
                        Arrays.stream(measured).max().orElse(0),
                        Stats.percentile(acked, 50),
                        Stats.percentile(acked, 99),
                        use);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("bench interrupted", e);
            } finally {
                workers.forEach(SyncWorker::close);
                dataSource.close();
                trimStreams();
            }
        }

        void awaitOwnership(List<SyncWorker> workers) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (workers.stream().mapToInt(w -> w.ownedPartitions().size()).sum() < o.partitions()) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(
                            "bench: the workers did not take all " + o.partitions() + " partitions within 30 s");
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
            }
        }

        /**
         * Every millisecond: read every partition's watermark and complete the writes it passed. On one server in one
         * script call; on a cluster one {@code HGET} per partition (each its own slot), all sent before any reply is
         * awaited, so each master gets one pipelined burst per poll.
         */
        void poll(
                RedisDeployment connection,
                List<ConcurrentLinkedQueue<long[]>> sent,
                double[] latencies,
                double[] sinceAcked,
                AtomicLong observed,
                int total) {
            List<PriorityQueue<long[]>> waiting = new ArrayList<>();
            for (int p = 0; p < o.partitions(); p++) {
                waiting.add(new PriorityQueue<>(
                        (a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1])));
            }
            String[] metas = new String[o.partitions()];
            for (int p = 0; p < metas.length; p++) {
                metas[p] = layout.meta(p);
            }
            if (connection.isCluster()) {
                connection.connection().setAutoFlushCommands(false);
            }
            while (!Thread.currentThread().isInterrupted()) {
                List<Object> watermarks;
                try {
                    watermarks = connection.isCluster()
                            ? watermarksPerSlot(connection, metas)
                            : connection.sync().eval(WATERMARKS_SCRIPT, ScriptOutputType.MULTI, metas);
                } catch (io.lettuce.core.RedisCommandInterruptedException e) {
                    return;
                } catch (io.lettuce.core.RedisException e) {
                    continue;
                }
                if (watermarks == null) {
                    return; // interrupted while awaiting the replies
                }
                long now = System.nanoTime();
                for (int p = 0; p < o.partitions(); p++) {
                    PriorityQueue<long[]> queue = waiting.get(p);
                    for (long[] s; (s = sent.get(p).poll()) != null; ) {
                        queue.add(s);
                    }
                    Object raw = watermarks.get(p);
                    StreamEntryId applied = parseOrZero(raw == null || "".equals(raw) ? null : raw.toString());
                    while (!queue.isEmpty()
                            && applied.isAtOrAfter(new StreamEntryId(queue.peek()[0], queue.peek()[1]))) {
                        long[] s = queue.poll();
                        latencies[(int) s[3]] = (now - s[2]) / 1e6;
                        sinceAcked[(int) s[3]] = (now - s[4]) / 1e6;
                        observed.incrementAndGet();
                    }
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
        }
    }

    /**
     * Each partition's published watermark by one {@code HGET} per partition, flushed together (the connection does
     * not flush on its own); {@code null} when interrupted.
     */
    private static List<Object> watermarksPerSlot(RedisDeployment connection, String[] metas) {
        RedisClusterAsyncCommands<String, String> async = connection.async();
        List<RedisFuture<String>> replies = new ArrayList<>(metas.length);
        for (String meta : metas) {
            replies.add(async.hget(meta, MetaFields.APPLIED));
        }
        connection.connection().flushCommands();
        if (!LettuceFutures.awaitAll(Duration.ofSeconds(5), replies.toArray(RedisFuture[]::new))) {
            throw new io.lettuce.core.RedisException("bench: watermark poll timed out after 5 s");
        }
        List<Object> watermarks = new ArrayList<>(metas.length);
        for (RedisFuture<String> reply : replies) {
            try {
                watermarks.add(reply.get());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            } catch (java.util.concurrent.ExecutionException e) {
                throw new io.lettuce.core.RedisException("bench: watermark poll failed", e.getCause());
            }
        }
        return watermarks;
    }

    private static String pad(String prefix, int width) {
        return prefix.length() >= width ? prefix.substring(0, width) : prefix + "x".repeat(width - prefix.length());
    }

    static String redisVersion(RedisCommands<String, String> redis) {
        return redis.info("server")
                .lines()
                .filter(l -> l.startsWith("redis_version:"))
                .map(l -> l.substring("redis_version:".length()).strip())
                .findFirst()
                .orElse("?");
    }

    /** A published watermark, or 0-0 when none is published yet. */
    static StreamEntryId parseOrZero(String id) {
        return id == null ? new StreamEntryId(0, 0) : StreamEntryId.parse(id);
    }
}
