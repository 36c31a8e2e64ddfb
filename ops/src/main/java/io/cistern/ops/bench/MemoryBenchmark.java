package io.cistern.ops.bench;

import com.sun.management.GarbageCollectionNotificationInfo;
import com.zaxxer.hikari.HikariDataSource;
import io.cistern.connections.DataSources;
import io.cistern.connections.DatabaseSettings;
import io.cistern.connections.RedisClients;
import io.cistern.connections.RedisDeployment;
import io.cistern.connections.RedisSettings;
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
import io.lettuce.core.LettuceFutures;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;
import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * The {@code memory} scenario: what a buffered record costs in Redis, beside the same payload stored the plain way, and
 * what the sync worker's heap holds while it drains a backlog at full rate.
 *
 * <p><b>Redis.</b> A round buffers {@code records} puts of the sync scenarios' payload ({@code source_documents}: two
 * text columns of {@code valueBytes}, a status and two integers) with {@code RecordWriter.writeAll} and no worker
 * running: one record hash and one change entry each. The baseline stores the same column values as a plain hash
 * ({@code HSET key column value ...}, no version, state, {@code c:} prefixes or JSON quoting) and a plain stream entry
 * ({@code XADD} of the same fields, no table, key, operation or version), over as many streams as there are
 * partitions, pipelined 1,000 at a time. Both are measured two ways: the {@code INFO memory used_memory} delta over the
 * round divided by the records (everything: key names, the main dictionary, stream nodes; noisy on a shared server),
 * and {@code MEMORY USAGE} of 200 sampled hashes plus every stream ({@code SAMPLES 0}) per record (exact for what it
 * covers, blind to the dictionary growth). Each side is deleted before the next; rounds alternate which goes first.
 *
 * <p><b>Heap.</b> Then a backlog of {@code records} is buffered again and one in-process sync worker drains it. Heap
 * used after a collection is taken from the JVM's GC notifications; a sampler forces a collection every 500 ms of the
 * drain, and once more when it ends (the worker still running, idle), so that the live set is seen even when the drain
 * fits between two natural collections. Reported: the live
 * heap after a forced GC before the drain (the harness and the idle worker), the largest live heap after a GC during
 * the drain, and the peak heap used (live data and garbage, which depends on the heap size more than on Cistern).
 */
final class MemoryBenchmark {
    static final String TABLE = "source_documents";
    private static final int BATCH = 1_000;
    private static final int SAMPLED_HASHES = 200;
    private static final Duration DRAIN_TIMEOUT = Duration.ofMinutes(5);
    private static final long FORCED_GC_EVERY_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    /** What to run. */
    record Options(int records, int valueBytes, int partitions, int batchSize, int rounds) {
        Options {
            if (records < 1 || valueBytes < 1 || partitions < 1 || batchSize < 1 || rounds < 1) {
                throw new IllegalArgumentException(
                        "records, value bytes, partitions, batch size and rounds must be positive");
            }
        }
    }

    /** Bytes per record of one side in one round. */
    record Footprint(double infoBytes, double hashBytes, double streamEntryBytes) {
        /** {@code MEMORY USAGE}: a record hash plus its share of the stream. */
        double usageBytes() {
            return hashBytes + streamEntryBytes;
        }
    }

    /** The worker's heap during a drain, in bytes. */
    record Heap(
            long liveBeforeDrain,
            long maxLiveDuringDrain,
            long peakUsed,
            long maxHeap,
            int collections,
            double entriesPerSecond) {
        /** Live heap the drain added: what the worker holds at full rate beyond the idle process. */
        long liveGrowth() {
            return Math.max(0, maxLiveDuringDrain - liveBeforeDrain);
        }
    }

    record Result(Options options, List<Footprint> cistern, List<Footprint> plain, Heap heap, String redisVersion) {
        double usageMedian() {
            return Stats.median(cistern.stream().map(Footprint::usageBytes).toList());
        }

        double plainUsageMedian() {
            return Stats.median(plain.stream().map(Footprint::usageBytes).toList());
        }

        double infoMedian() {
            return Stats.median(cistern.stream().map(Footprint::infoBytes).toList());
        }

        double plainInfoMedian() {
            return Stats.median(plain.stream().map(Footprint::infoBytes).toList());
        }

        /** Cistern's bytes per record as a multiple of the plain layout's ({@code MEMORY USAGE}); lower is better. */
        double ratio() {
            return usageMedian() / plainUsageMedian();
        }

        double infoRatio() {
            return infoMedian() / plainInfoMedian();
        }
    }

    private final RedisSettings redisSettings;
    private final DatabaseSettings databaseSettings;

    MemoryBenchmark(RedisSettings redis, DatabaseSettings database) {
        this.redisSettings = redis;
        this.databaseSettings = database;
    }

    /** Steps reported to {@code progress}: two per round and the drain. */
    static int steps(Options o) {
        return 2 * o.rounds() + 1;
    }

    Result run(Options o, IntConsumer progress) {
        KeyLayout layout = BenchRedis.scratchLayout();
        // The worker's client: a RedisClusterClient for a redis-cluster:// URL.
        AbstractRedisClient client = RedisClients.createAny(redisSettings);
        try (BenchDatabase db = BenchDatabase.create(databaseSettings);
                RedisDeployment admin = RedisDeployment.open(redisSettings)) {
            try {
                RedisClusterCommands<String, String> redis = admin.sync();
                TableRegistry registry = db.init(admin, layout, o.partitions());
                BenchRedis.openEntryFormat(admin, layout, o.partitions());
                List<Footprint> cistern = new ArrayList<>();
                List<Footprint> plain = new ArrayList<>();
                try (RecordWriter writer =
                        RecordWriter.connect(new WriterSettings(redisSettings, layout, Duration.ofSeconds(2)))) {
                    // Warm-up, not measured: JIT, connections, and every stream and consumer group created once.
                    bufferCistern(writer, Math.min(o.records(), 2_000), o.valueBytes());
                    deleteRecords(admin, layout, o);
                    for (int r = 0; r < o.rounds(); r++) {
                        if (r % 2 == 0) {
                            cistern.add(cisternRound(writer, admin, layout, o));
                            progress.accept(2 * r + 1);
                            plain.add(plainRound(admin, layout, o));
                        } else {
                            plain.add(plainRound(admin, layout, o));
                            progress.accept(2 * r + 1);
                            cistern.add(cisternRound(writer, admin, layout, o));
                        }
                        progress.accept(2 * r + 2);
                    }
                    Map<Integer, StreamEntryId> targets = bufferCistern(writer, o.records(), o.valueBytes());
                    Heap heap = drain(o, db, layout, registry, client, redis, targets);
                    progress.accept(steps(o));
                    return new Result(
                            o,
                            cistern,
                            plain,
                            heap,
                            SyncBenchmark.redisVersion(
                                    admin.masters().getFirst().sync()));
                }
            } finally {
                BenchRedis.deleteKeys(admin, layout.allKeysPattern());
            }
        } finally {
            client.shutdown();
        }
    }

    // ---- Redis bytes per record ---------------------------------------------------------------------------------

    private Footprint cisternRound(RecordWriter writer, RedisDeployment redis, KeyLayout layout, Options o) {
        long before = BenchRedis.usedMemory(redis);
        List<WriteReceipt> receipts = new ArrayList<>(o.records());
        Map<Integer, StreamEntryId> unused = new HashMap<>();
        bufferCistern(writer, o.records(), o.valueBytes(), receipts, unused);
        long after = BenchRedis.usedMemory(redis);
        List<String> sample = new ArrayList<>();
        int step = Math.max(1, receipts.size() / SAMPLED_HASHES);
        for (int i = 0; i < receipts.size() && sample.size() < SAMPLED_HASHES; i += step) {
            WriteReceipt r = receipts.get(i);
            sample.add(layout.record(r.partition(), r.table(), r.key()));
        }
        List<String> streams = new ArrayList<>();
        for (int p = 0; p < o.partitions(); p++) {
            streams.add(layout.stream(p));
        }
        Footprint f = footprint(redis.sync(), after - before, o.records(), sample, streams);
        deleteRecords(redis, layout, o);
        return f;
    }

    private Footprint plainRound(RedisDeployment deployment, KeyLayout layout, Options o) {
        RedisClusterAsyncCommands<String, String> async = deployment.async();
        RedisClusterCommands<String, String> redis = deployment.sync();
        String base = layout.prefix() + ":plain:";
        long before = BenchRedis.usedMemory(deployment);
        List<RedisFuture<?>> pending = new ArrayList<>(2 * BATCH);
        List<String> keys = new ArrayList<>(o.records());
        for (int i = 0; i < o.records(); i++) {
            String key = base + TABLE + ":" + UUID.randomUUID();
            keys.add(key);
            Map<String, String> fields = plainColumns(i, o.valueBytes());
            pending.add(async.hset(key, fields));
            pending.add(async.xadd(base + "s:" + (i % o.partitions()), fields));
            if (pending.size() >= 2 * BATCH || i == o.records() - 1) {
                if (!LettuceFutures.awaitAll(Duration.ofSeconds(30), pending.toArray(RedisFuture[]::new))) {
                    throw new IllegalStateException("bench memory: the plain baseline's writes timed out");
                }
                pending.clear();
            }
        }
        long after = BenchRedis.usedMemory(deployment);
        List<String> sample = new ArrayList<>();
        int step = Math.max(1, keys.size() / SAMPLED_HASHES);
        for (int i = 0; i < keys.size() && sample.size() < SAMPLED_HASHES; i += step) {
            sample.add(keys.get(i));
        }
        List<String> streams = new ArrayList<>();
        for (int p = 0; p < o.partitions(); p++) {
            streams.add(base + "s:" + p);
        }
        Footprint f = footprint(redis, after - before, o.records(), sample, streams);
        for (int from = 0; from < keys.size(); from += BATCH) {
            redis.del(keys.subList(from, Math.min(keys.size(), from + BATCH)).toArray(String[]::new));
        }
        redis.del(streams.toArray(String[]::new));
        return f;
    }

    private static Footprint footprint(
            RedisClusterCommands<String, String> redis,
            long delta,
            int records,
            List<String> sample,
            List<String> streams) {
        double hashes = 0;
        for (String key : sample) {
            hashes += memoryUsage(redis, key);
        }
        double stream = 0;
        for (String key : streams) {
            stream += memoryUsage(redis, key);
        }
        return new Footprint((double) delta / records, hashes / sample.size(), stream / records);
    }

    /**
     * {@code MEMORY USAGE key SAMPLES 0}: every element counted, key name and dictionary entry included. On a cluster the
     * command is routed by its key, to the master serving it.
     */
    private static long memoryUsage(RedisClusterCommands<String, String> redis, String key) {
        Long bytes = redis.dispatch(
                io.lettuce.core.protocol.CommandType.MEMORY,
                new io.lettuce.core.output.IntegerOutput<>(io.lettuce.core.codec.StringCodec.UTF8),
                new io.lettuce.core.protocol.CommandArgs<>(io.lettuce.core.codec.StringCodec.UTF8)
                        .add("USAGE")
                        .addKey(key)
                        .add("SAMPLES")
                        .add(0));
        return bytes == null ? 0 : bytes;
    }

    /** Deletes the record hashes and empties the streams; the streams and their consumer group stay. */
    private static void deleteRecords(RedisDeployment redis, KeyLayout layout, Options o) {
        for (int p = 0; p < o.partitions(); p++) {
            BenchRedis.deleteKeys(redis, layout.record(p, TABLE, "*"));
            redis.sync().xtrim(layout.stream(p), 0);
        }
    }

    private Map<Integer, StreamEntryId> bufferCistern(RecordWriter writer, int records, int valueBytes) {
        Map<Integer, StreamEntryId> last = new HashMap<>();
        bufferCistern(writer, records, valueBytes, null, last);
        return last;
    }

    /** Puts {@code records} new records in batches; collects the receipts and each partition's last entry. */
    private static void bufferCistern(
            RecordWriter writer,
            int records,
            int valueBytes,
            List<WriteReceipt> receipts,
            Map<Integer, StreamEntryId> last) {
        List<Write> batch = new ArrayList<>(BATCH);
        for (int i = 0; i < records; i++) {
            batch.add(Write.put(TABLE, RecordKey.of(UUID.randomUUID()), columns(i, valueBytes)));
            if (batch.size() == BATCH || i == records - 1) {
                for (WriteReceipt r : writer.writeAll(batch).orThrow()) {
                    if (receipts != null) {
                        receipts.add(r);
                    }
                    last.merge(r.partition(), StreamEntryId.parse(r.entryId()), (a, b) -> a.compareTo(b) >= 0 ? a : b);
                }
                batch.clear();
            }
        }
    }

    /** The payload of the sync scenarios: the values {@code RecordWriter} encodes. */
    static Map<String, Object> columns(int i, int valueBytes) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("filename", pad("doc-" + i + "-", valueBytes));
        c.put("page_count", i % 1_000);
        c.put("size_bytes", 1_000_000L + i);
        c.put("status", "done");
        c.put("storage_uri", pad("s3://bench/" + i + "/", valueBytes));
        return c;
    }

    /** The same values as plain strings, as an application without Cistern would store them. */
    static Map<String, String> plainColumns(int i, int valueBytes) {
        Map<String, String> c = new LinkedHashMap<>();
        columns(i, valueBytes).forEach((k, v) -> c.put(k, String.valueOf(v)));
        return c;
    }

    private static String pad(String prefix, int width) {
        return prefix.length() >= width ? prefix.substring(0, width) : prefix + "x".repeat(width - prefix.length());
    }

    // ---- the worker's heap --------------------------------------------------------------------------------------

    private Heap drain(
            Options o,
            BenchDatabase db,
            KeyLayout layout,
            TableRegistry registry,
            AbstractRedisClient client,
            RedisClusterCommands<String, String> redis,
            Map<Integer, StreamEntryId> targets) {
        var memory = ManagementFactory.getMemoryMXBean();
        AtomicLong maxLive = new AtomicLong();
        AtomicInteger collections = new AtomicInteger();
        NotificationListener listener = (Notification n, Object handback) -> {
            if (GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) {
                var info = GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData());
                long live = info.getGcInfo().getMemoryUsageAfterGc().entrySet().stream()
                        .filter(e -> isHeapPool(e.getKey()))
                        .mapToLong(e -> e.getValue().getUsed())
                        .sum();
                maxLive.accumulateAndGet(live, Math::max);
                collections.incrementAndGet();
            }
        };
        System.gc();
        long liveBefore = memory.getHeapMemoryUsage().getUsed();
        int poolSize = Math.max(2, o.partitions());
        List<NotificationEmitter> emitters = new ArrayList<>();
        HikariDataSource dataSource = DataSources.create(db.settings(poolSize), "bench-memory");
        AtomicLong peak = new AtomicLong();
        Thread sampler = null;
        try (SyncWorker worker = new SyncWorker(
                SyncSettings.defaults(layout)
                        .mutate()
                        .batchSize(o.batchSize())
                        .workerId("bench-memory")
                        .entryFormat(BenchRedis.entryFormat())
                        .build(),
                registry,
                dataSource,
                client)) {
            for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
                if (gc instanceof NotificationEmitter emitter) {
                    emitter.addNotificationListener(listener, null, null);
                    emitters.add(emitter);
                }
            }
            sampler = Thread.ofPlatform().name("cistern-bench-heap-sampler").start(() -> {
                long nextGc = System.nanoTime() + FORCED_GC_EVERY_NANOS;
                while (!Thread.currentThread().isInterrupted()) {
                    MemoryUsage heap = memory.getHeapMemoryUsage();
                    peak.accumulateAndGet(heap.getUsed(), Math::max);
                    if (System.nanoTime() >= nextGc) {
                        System.gc();
                        nextGc = System.nanoTime() + FORCED_GC_EVERY_NANOS;
                    }
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
                }
            });
            long start = System.nanoTime();
            worker.start();
            BenchRedis.awaitApplied(redis, layout, targets, DRAIN_TIMEOUT, "memory");
            double seconds = (System.nanoTime() - start) / 1e9;
            sampler.interrupt();
            sampler.join();
            System.gc();
            // GC notifications arrive on a JDK service thread: wait (briefly) for the last one.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            while (maxLive.get() == 0 && System.nanoTime() < deadline) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
            }
            return new Heap(
                    liveBefore,
                    maxLive.get(),
                    peak.get(),
                    memory.getHeapMemoryUsage().getMax(),
                    collections.get(),
                    o.records() / seconds);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("bench memory interrupted", e);
        } finally {
            if (sampler != null) {
                sampler.interrupt();
            }
            for (NotificationEmitter emitter : emitters) {
                try {
                    emitter.removeNotificationListener(listener);
                } catch (javax.management.ListenerNotFoundException ignored) {
                    // Never added to this one.
                }
            }
            dataSource.close();
        }
    }

    /** The heap pools of HotSpot's collectors (G1, Parallel, Serial, ZGC, Shenandoah); code cache and metaspace are not. */
    private static boolean isHeapPool(String pool) {
        return ManagementFactory.getMemoryPoolMXBeans().stream()
                .anyMatch(p -> p.getName().equals(pool) && p.getType() == java.lang.management.MemoryType.HEAP);
    }
}
