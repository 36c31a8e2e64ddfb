package io.cistern.ops.bench;

import io.cistern.connections.DatabaseSettings;
import io.cistern.connections.RedisSettings;
import io.cistern.schema.codec.ExactJson;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** Runs the chosen scenarios and reports them as a Markdown table or one JSON object. */
public final class BenchmarkRunner {
    private final RedisSettings redis;
    private final DatabaseSettings database;
    private final PrintWriter out;
    private final PrintWriter err;
    private final java.util.Optional<PinLayout.Pinned> pinned;
    private final java.util.OptionalLong postmasterPid;
    private java.util.Map<String, String> environment = System.getenv();
    private List<String> launcher;

    /** Against shared servers: PostgreSQL's CPU is reported absent from the per-row figures. */
    public BenchmarkRunner(RedisSettings redis, DatabaseSettings database, PrintWriter out, PrintWriter err) {
        this(redis, database, out, err, java.util.Optional.empty());
    }

    /**
     * @param pinned inside {@code bench --pin}'s pinned JVM: the layout and the private servers, whose PostgreSQL's CPU
     *     the sync scenarios then report per row
     */
    public BenchmarkRunner(
            RedisSettings redis,
            DatabaseSettings database,
            PrintWriter out,
            PrintWriter err,
            java.util.Optional<PinLayout.Pinned> pinned) {
        this.redis = redis;
        this.database = database;
        this.out = out;
        this.err = err;
        this.pinned = pinned;
        this.postmasterPid =
                pinned.map(p -> java.util.OptionalLong.of(p.postmasterPid())).orElse(java.util.OptionalLong.empty());
    }

    /**
     * How the {@code http} scenario starts the writer API: with {@code environment} (the bench's, with its connection
     * options) and {@code launcher}, the command that runs a {@code cistern} subcommand in a new JVM ({@code java -jar
     * <launcher jar>}, or {@code java -cp <class path> <main class>}).
     */
    public BenchmarkRunner serverLauncher(java.util.Map<String, String> environment, List<String> launcher) {
        this.environment = java.util.Map.copyOf(environment);
        this.launcher = List.copyOf(launcher);
        return this;
    }

    public int run(BenchSettings s) {
        WriteBenchmark.Result write = null;
        HttpBenchmark.Result http = null;
        List<SyncBenchmark.Result> syncs = new ArrayList<>();
        MemoryBenchmark.Result memory = null;
        ReadBenchmark.Result read = null;
        MachineLoad.Snapshot machineBefore = MachineLoad.take();
        long started = System.nanoTime();
        quietSyncLogs();
        for (String scenario : s.scenarios()) {
            if (scenario.equals("memory")) {
                quietSyncLogs();
                MemoryBenchmark.Options options = new MemoryBenchmark.Options(
                        s.records(), s.valueBytes(), s.partitions(), s.batchSize(), s.syncRounds());
                ProgressBar bar = new ProgressBar(err, "memory", MemoryBenchmark.steps(options));
                memory = new MemoryBenchmark(redis, database).run(options, bar::update);
                bar.done();
            } else if (scenario.equals("read")) {
                quietSyncLogs();
                ReadBenchmark.Options options = new ReadBenchmark.Options(
                        s.readKeys(), s.reads(), s.zipfExponent(), s.valueBytes(), s.partitions(), s.syncRounds());
                ProgressBar bar = new ProgressBar(err, "read", ReadBenchmark.steps(options));
                read = new ReadBenchmark(redis, database).run(options, bar::update);
                bar.done();
            } else if (scenario.equals("http")) {
                if (launcher == null) {
                    throw new IllegalStateException("bench http: no launcher to start the writer API with");
                }
                HttpBenchmark.Options options = new HttpBenchmark.Options(
                        s.httpWrites(),
                        s.httpConnections(),
                        s.httpBatchConnections(),
                        s.httpBatchSize(),
                        s.columns(),
                        s.valueBytes(),
                        s.writeRounds(),
                        HttpBenchmark.serverJvmOptions(environment));
                ProgressBar bar = new ProgressBar(err, "http", HttpBenchmark.steps(options));
                http = new HttpBenchmark(redis, environment, launcher).run(options, bar::update);
                bar.done();
            } else if (scenario.equals("write")) {
                WriteBenchmark.Options options = new WriteBenchmark.Options(
                        s.writes(), s.pipeline(), s.columns(), s.valueBytes(), s.writeRounds(), s.writeLatency());
                ProgressBar bar = new ProgressBar(err, "write", WriteBenchmark.steps(options));
                write = new WriteBenchmark(redis).run(options, bar::update);
                bar.done();
            } else {
                quietSyncLogs();
                SyncBenchmark.Kind kind =
                        scenario.equals("sync-insert") ? SyncBenchmark.Kind.INSERT : SyncBenchmark.Kind.UPDATE;
                SyncBenchmark.Options options = new SyncBenchmark.Options(
                        kind,
                        s.records(),
                        s.keys(),
                        s.valueBytes(),
                        s.partitions(),
                        s.workers(),
                        s.batchSize(),
                        s.syncRounds(),
                        s.duration(),
                        s.maxWarmUpPairs(),
                        s.latencyShare());
                ProgressBar bar = new ProgressBar(err, scenario, SyncBenchmark.steps(options));
                syncs.add(new SyncBenchmark(redis, database, postmasterPid).run(options, bar::update));
                bar.done();
            }
        }
        if (s.json()) {
            ObjectNode root = ExactJson.mapper().createObjectNode();
            if (write != null) {
                writeJson(root, write);
            }
            for (SyncBenchmark.Result r : syncs) {
                syncJson(root, r);
            }
            if (memory != null) {
                memoryJson(root, memory);
            }
            if (read != null) {
                readJson(root, read);
            }
            if (http != null) {
                HttpBenchmark.json(root, http);
            }
            machineJson(root, s, machineBefore, MachineLoad.take(), (System.nanoTime() - started) / 1e9);
            jvmJson((ObjectNode) root.get("machine"));
            pinned.ifPresent(p -> pinJson(root, p));
            out.println(ExactJson.mapper().writeValueAsString(root));
        } else {
            out.printf("| scenario | Cistern | baseline | ratio | baseline is |%n");
            out.printf("|---|---:|---:|---:|---|%n");
            if (write != null) {
                writeRows(write);
            }
            for (SyncBenchmark.Result r : syncs) {
                syncRows(r);
            }
            if (memory != null) {
                memoryRows(memory);
            }
            if (read != null) {
                readRows(read);
            }
            if (http != null) {
                HttpBenchmark.rows(out, http);
            }
            if (write != null) {
                writeNotes(write);
            }
            for (SyncBenchmark.Result r : syncs) {
                syncNotes(r);
            }
            if (memory != null) {
                memoryNotes(memory);
            }
            if (read != null) {
                readNotes(read);
            }
            if (http != null) {
                HttpBenchmark.notes(out, http);
            }
            out.printf(
                    "%nmachine: %s; %.0f s in all%n",
                    MachineLoad.describe(machineBefore, MachineLoad.take()), (System.nanoTime() - started) / 1e9);
            out.printf(
                    "JVM: %d available processor(s), garbage collectors %s, flags %s%n",
                    Runtime.getRuntime().availableProcessors(),
                    garbageCollectors(),
                    ManagementFactory.getRuntimeMXBean().getInputArguments());
            pinned.ifPresent(p -> out.printf(
                    "pinned (%s): PostgreSQL on CPUs %s (postmaster %d, allowed %s), Redis on %s (allowed %s), this JVM"
                            + " on %s (allowed %s)%n",
                    PinLayout.RULE,
                    p.layout().postgresCpus(),
                    p.postmasterPid(),
                    cpusAllowed(Long.toString(p.postmasterPid())),
                    p.layout().pipelineCpus(),
                    cpusAllowed(Long.toString(p.redisPid())),
                    p.layout().pipelineCpus(),
                    cpusAllowed("self")));
        }
        out.flush();
        return 0;
    }

    private void writeRows(WriteBenchmark.Result r) {
        WriteBenchmark.Options o = r.options();
        String shape = o.columns() + " cols x " + o.valueBytes() + " B";
        String baseline = "redis-benchmark -c 1 -P " + o.pipeline() + ", same FCALL";
        out.printf(
                "| write: writeAsync, %d in flight (%s) | %,.0f writes/s | %,.0f writes/s | %.2f | %s |%n",
                o.pipeline(), shape, r.cisternMedian(), r.baselineMedian(), r.ratio(), baseline);
        out.printf(
                "| write: writeAll, batches of %d (%s) | %,.0f writes/s | %,.0f writes/s | %.2f | %s |%n",
                o.pipeline(), shape, r.cisternBatchesMedian(), r.baselineMedian(), r.batchesRatio(), baseline);
        WriteBenchmark.Latency c = r.cisternLatency();
        WriteBenchmark.Latency b = r.baselineLatency();
        out.printf(
                "| write: latency at %,.0f writes/s offered (half the baseline), %d in flight at most | p50 %.2f ms,"
                        + " p99 %.2f ms | p50 %.2f ms, p99 %.2f ms | %.2f (p99) | the same FCALL from a paced Lettuce"
                        + " loop |%n",
                c.offeredPerSecond(), o.pipeline(), c.p50Ms(), c.p99Ms(), b.p50Ms(), b.p99Ms(), c.p99Ms() / b.p99Ms());
    }

    private void writeNotes(WriteBenchmark.Result r) {
        WriteBenchmark.Options o = r.options();
        out.printf(
                "%nwrite: medians of %d alternating rounds of %,d writes each; Redis %s; per round: writeAsync %s,"
                        + " writeAll %s, baseline %s%n",
                o.rounds(),
                o.writes(),
                r.redisVersion(),
                Stats.list(r.cistern()),
                Stats.list(r.cisternBatches()),
                Stats.list(r.baseline()));
    }

    private void syncRows(SyncBenchmark.Result r) {
        SyncBenchmark.Options o = r.options();
        String name = o.kind().scenario;
        String shape = shape(o);
        String baseline = "unnest upsert, same SQL, 1,000-row batches, 2 connections";
        if (o.kind() == SyncBenchmark.Kind.INSERT) {
            out.printf(
                    "| %s: drain %,d new records (%s) | %,.0f rows/s | %,.0f rows/s | %.2f | %s |%n",
                    name, o.records(), shape, r.rowsMedian(), r.baselineMedian(), r.ratio(), baseline);
        } else {
            out.printf(
                    "| %s: drain %,d puts over %,d keys (%s), **entries/s** | %,.0f entries/s | %,.0f rows/s |"
                            + " %.2f | %s, every entry a row |%n",
                    name, o.records(), o.keys(), shape, r.entriesMedian(), r.baselineMedian(), r.ratio(), baseline);
            out.printf(
                    "| %s: same drain, rows written after coalescing | %,.0f rows/s | %,.0f rows/s | %.2f | same |%n",
                    name, r.rowsMedian(), r.baselineMedian(), r.rowsRatio());
        }
        SyncBenchmark.Latency l = r.latency();
        out.printf(
                "| %s: write-to-commit at %,.0f writes/s (half the sustained rate), %d s | p50 %.1f ms, p99 %.1f ms"
                        + " (max %.1f ms) | goal p99 < 250 ms | %s | |%n",
                name,
                l.offeredPerSecond(),
                o.duration().toSeconds(),
                l.p50Ms(),
                l.p99Ms(),
                l.maxMs(),
                l.p99Ms() < 250 ? "met" : "missed");
    }

    private void syncNotes(SyncBenchmark.Result r) {
        SyncBenchmark.Options o = r.options();
        out.printf(
                "%n%s: medians of %d alternating rounds (%,d entries each) after %d unmeasured pair(s) of rounds (JIT"
                        + " compiling %.1f%% of the last pair's time), %d partitions, %d worker(s), batches of %d;"
                        + " PostgreSQL %s, Redis %s%n",
                o.kind().scenario,
                o.rounds(),
                o.records(),
                r.warmUp().pairs(),
                100 * r.warmUp().compileShare(),
                o.partitions(),
                o.workers(),
                o.batchSize(),
                r.postgresVersion(),
                r.redisVersion());
        out.printf(
                "  per round: Cistern entries/s %s, rows/s %s; baseline rows/s %s%n",
                Stats.list(r.cistern().stream()
                        .map(SyncBenchmark.CisternRound::entriesPerSecond)
                        .toList()),
                Stats.list(r.cistern().stream()
                        .map(SyncBenchmark.CisternRound::rowsPerSecond)
                        .toList()),
                Stats.list(r.baseline().stream()
                        .map(SyncBenchmark.BaselineRound::rowsPerSecond)
                        .toList()));
        for (int i = 0; i < r.cistern().size(); i++) {
            out.printf(
                    "  round %d CPU: Cistern %s (%s); baseline %s (%s)%n",
                    i + 1,
                    r.cistern().get(i).cpu().describe(),
                    r.cistern().get(i).cpu().perUnit(r.cistern().get(i).rowsPerSecond(), "row"),
                    r.baseline().get(i).cpu().describe(),
                    r.baseline().get(i).cpu().perUnit(r.baseline().get(i).rowsPerSecond(), "row"));
        }
        out.printf(
                "  write phase (the backlog written with writeAll, batches of 1,000): %s writes/s; CPU %s%n",
                Stats.list(r.cistern().stream()
                        .map(SyncBenchmark.CisternRound::writesPerSecond)
                        .toList()),
                r.cistern().stream()
                        .map(c -> c.writeCpu().perUnit(c.writesPerSecond(), "write"))
                        .toList());
        out.printf(
                java.util.Locale.ROOT,
                "  CPU per applied row, medians: drain worker JVM %.1f µs, Redis %.1f µs, PostgreSQL %s; baseline JVM"
                        + " %.1f µs, PostgreSQL %s; write phase per write: producer JVM %.1f µs, Redis %.1f µs%n",
                r.drainMicros(CpuMeter.Use::jvm, false),
                r.drainMicros(CpuMeter.Use::redis, false),
                r.privatePostgres()
                        ? String.format(
                                java.util.Locale.ROOT, "%.1f µs", r.drainMicros(CpuMeter.Use::privatePostgres, false))
                        : "absent (" + SHARED_POSTGRES + ")",
                r.baselineMicrosPerRow(CpuMeter.Use::jvm),
                r.privatePostgres()
                        ? String.format(
                                java.util.Locale.ROOT, "%.1f µs", r.baselineMicrosPerRow(CpuMeter.Use::privatePostgres))
                        : "absent",
                r.writeMicrosPerWrite(CpuMeter.Use::jvm),
                r.writeMicrosPerWrite(CpuMeter.Use::redis));
        StringBuilder commands = new StringBuilder();
        r.drainCommandsPerRow()
                .forEach((name, v) -> commands.append(String.format(
                        java.util.Locale.ROOT,
                        "%s%s %.3f calls %.2f µs",
                        commands.isEmpty() ? "" : ", ",
                        name,
                        v[0],
                        v[1])));
        out.printf("  Redis commandstats of the drain per applied row, medians: %s%n", commands);
        if (r.masters().size() > 1) {
            out.printf("  per master (medians of the rounds; the entries its partitions received, all applied):%n");
            for (String m : r.masters()) {
                out.printf(
                        java.util.Locale.ROOT,
                        "    %s: %d partitions, %.1f%% of the entries, %.1f%% of the masters' Redis CPU; Redis %.1f µs"
                                + " per entry written, %.1f µs per entry applied%n",
                        m,
                        (int) r.masterMedian(m, SyncBenchmark.MasterWork::partitions),
                        100 * r.entryShare(m),
                        100 * r.cpuShare(m),
                        r.masterMedian(m, SyncBenchmark.MasterWork::writeMicrosPerEntry),
                        r.masterMedian(m, SyncBenchmark.MasterWork::drainMicrosPerEntry));
            }
        }
        out.printf(
                "  latency: %,d writes offered at %,.0f/s (achieved %,.0f/s); %d timed out (left out of the"
                        + " percentiles); from Redis's acknowledgement to commit p50 %.1f ms, p99 %.1f ms; CPU %s%n",
                r.latency().writes(),
                r.latency().offeredPerSecond(),
                r.latency().achievedPerSecond(),
                r.latency().failedWrites(),
                r.latency().ackedP50Ms(),
                r.latency().ackedP99Ms(),
                r.latency().cpu().describe());
    }

    private void memoryRows(MemoryBenchmark.Result r) {
        MemoryBenchmark.Options o = r.options();
        out.printf(
                "| memory: Redis bytes per buffered record, MEMORY USAGE (%s) | %,.0f B | %,.0f B | %.2f | plain HSET"
                        + " + XADD of the same values |%n",
                shape(o.valueBytes()), r.usageMedian(), r.plainUsageMedian(), r.ratio());
        out.printf(
                "| memory: Redis bytes per buffered record, INFO used_memory delta | %,.0f B | %,.0f B | %.2f | same |%n",
                r.infoMedian(), r.plainInfoMedian(), r.infoRatio());
        MemoryBenchmark.Heap h = r.heap();
        out.printf(
                "| memory: worker heap draining %,d records at full rate | live %.1f MiB after GC (+%.1f MiB over"
                        + " idle), peak used %.1f MiB | | | no baseline |%n",
                o.records(), mib(h.maxLiveDuringDrain()), mib(h.liveGrowth()), mib(h.peakUsed()));
    }

    private void memoryNotes(MemoryBenchmark.Result r) {
        MemoryBenchmark.Options o = r.options();
        out.printf(
                "%nmemory: medians of %d alternating rounds of %,d records over %d partitions; Redis %s%n",
                o.rounds(), o.records(), o.partitions(), r.redisVersion());
        for (int i = 0; i < r.cistern().size(); i++) {
            MemoryBenchmark.Footprint c = r.cistern().get(i);
            MemoryBenchmark.Footprint p = r.plain().get(i);
            out.printf(
                    "  round %d: Cistern hash %.0f B + stream entry %.0f B (INFO %.0f B); plain hash %.0f B + stream"
                            + " entry %.0f B (INFO %.0f B)%n",
                    i + 1,
                    c.hashBytes(),
                    c.streamEntryBytes(),
                    c.infoBytes(),
                    p.hashBytes(),
                    p.streamEntryBytes(),
                    p.infoBytes());
        }
        MemoryBenchmark.Heap h = r.heap();
        out.printf(
                "  heap: live %.1f MiB before the drain, at most %.1f MiB during it (%d collections, forced every"
                        + " 500 ms), peak used %.1f MiB of %.0f MiB max; drained at %,.0f entries/s%n",
                mib(h.liveBeforeDrain()),
                mib(h.maxLiveDuringDrain()),
                h.collections(),
                mib(h.peakUsed()),
                mib(h.maxHeap()),
                h.entriesPerSecond());
    }

    static void memoryJson(ObjectNode root, MemoryBenchmark.Result r) {
        MemoryBenchmark.Options o = r.options();
        ObjectNode m = root.putObject("memory");
        m.put("records", o.records())
                .put("valueBytes", o.valueBytes())
                .put("partitions", o.partitions())
                .put("batchSize", o.batchSize())
                .put("rounds", o.rounds())
                .put("redisVersion", r.redisVersion());
        new Headline(
                        "Redis bytes per buffered record (MEMORY USAGE of sampled record hashes plus the streams)",
                        "bytes/record",
                        r.usageMedian(),
                        r.plainUsageMedian(),
                        false,
                        "the same column values as a plain HSET hash and a plain XADD entry, no Cistern metadata",
                        null)
                .putInto(m);
        m.put("cisternUsageBytesPerRecord", round3(r.usageMedian()))
                .put("baselineUsageBytesPerRecord", round3(r.plainUsageMedian()))
                .put("cisternInfoBytesPerRecord", round3(r.infoMedian()))
                .put("baselineInfoBytesPerRecord", round3(r.plainInfoMedian()))
                .put("infoRatio", round3(r.infoRatio()));
        ArrayNode rounds = m.putArray("roundsDetail");
        for (int i = 0; i < r.cistern().size(); i++) {
            ObjectNode round = rounds.addObject();
            footprintJson(round.putObject("cistern"), r.cistern().get(i));
            footprintJson(round.putObject("baseline"), r.plain().get(i));
        }
        MemoryBenchmark.Heap h = r.heap();
        m.putObject("workerHeap")
                .put("liveBeforeDrainBytes", h.liveBeforeDrain())
                .put("maxLiveDuringDrainBytes", h.maxLiveDuringDrain())
                .put("liveGrowthBytes", h.liveGrowth())
                .put("peakUsedBytes", h.peakUsed())
                .put("maxHeapBytes", h.maxHeap())
                .put("collections", h.collections())
                .put("drainEntriesPerSecond", Math.round(h.entriesPerSecond()));
    }

    private static void footprintJson(ObjectNode node, MemoryBenchmark.Footprint f) {
        node.put("hashBytes", round3(f.hashBytes()))
                .put("streamEntryBytes", round3(f.streamEntryBytes()))
                .put("usageBytes", round3(f.usageBytes()))
                .put("infoBytes", round3(f.infoBytes()));
    }

    private void readRows(ReadBenchmark.Result r) {
        ReadBenchmark.Options o = r.options();
        String mix = String.format(
                java.util.Locale.ROOT,
                "Zipf %.2f over %,d keys, local cache %,d",
                o.zipfExponent(),
                o.keys(),
                o.localCacheEntries());
        out.printf(
                "| read: CachedReader, one thread (%s) | %,.0f reads/s | %,.0f reads/s | %.2f | plain HGETALL loop,"
                        + " same keys |%n",
                mix, r.readerMedian(), r.hgetallMedian(), r.ratio());
        out.printf(
                "| read: same reads against the PostgreSQL ceiling | %,.0f reads/s | %,.0f reads/s | %.2f | plain JDBC"
                        + " primary-key SELECT loop |%n",
                r.readerMedian(), r.jdbcMedian(), r.jdbcRatio());
        out.printf(
                "| read: latency p50 / p99 | %.1f / %.1f µs | %.1f / %.1f µs | | HGETALL; JDBC %.1f / %.1f µs |%n",
                r.median(x -> x.reader().p50Micros()),
                r.median(x -> x.reader().p99Micros()),
                r.median(x -> x.hgetall().p50Micros()),
                r.median(x -> x.hgetall().p99Micros()),
                r.median(x -> x.jdbc().p50Micros()),
                r.median(x -> x.jdbc().p99Micros()));
        double localP99 = r.median(ReadBenchmark.Round::localHitP99Micros);
        out.printf(
                "| read: local-hit p99 | %.1f µs | | | goal < 50 µs, %s |%n",
                localP99, localP99 < 50 ? "met" : "missed");
        out.printf(
                "| read: share of reads reaching PostgreSQL | %.2f%% | | | local %.1f%%, Redis %.1f%% |%n",
                100 * r.median(ReadBenchmark.Round::databaseShare),
                100 * r.median(x -> x.share(io.cistern.reader.Tier.LOCAL)),
                100 * r.median(x -> x.share(io.cistern.reader.Tier.REDIS)));
        out.printf(
                "| read: PostgreSQL queries per read | %.2f%% | | | the database tier's reads and the completions of"
                        + " synced hashes lacking database defaults |%n",
                100 * r.median(ReadBenchmark.Round::databaseQueriesPerRead));
    }

    private void readNotes(ReadBenchmark.Result r) {
        ReadBenchmark.Options o = r.options();
        out.printf(
                "%nread: medians of %d rounds of %,d reads (after a warm-up round); PostgreSQL %s, Redis %s%n",
                o.rounds(), o.reads(), r.postgresVersion(), r.redisVersion());
        for (int i = 0; i < r.rounds().size(); i++) {
            ReadBenchmark.Round x = r.rounds().get(i);
            out.printf(
                    "  round %d: CachedReader %,.0f reads/s (tiers %s), HGETALL %,.0f reads/s, JDBC %,.0f reads/s%n",
                    i + 1,
                    x.reader().readsPerSecond(),
                    x.tiers(),
                    x.hgetall().readsPerSecond(),
                    x.jdbc().readsPerSecond());
            out.printf(
                    "  round %d CPU: CachedReader %s; HGETALL %s; JDBC %s%n",
                    i + 1,
                    x.reader().cpu().describe(),
                    x.hgetall().cpu().describe(),
                    x.jdbc().cpu().describe());
        }
    }

    static void readJson(ObjectNode root, ReadBenchmark.Result r) {
        ReadBenchmark.Options o = r.options();
        ObjectNode n = root.putObject("read");
        n.put("keys", o.keys())
                .put("reads", o.reads())
                .put("zipfExponent", o.zipfExponent())
                .put("localCacheEntries", o.localCacheEntries())
                .put("valueBytes", o.valueBytes())
                .put("partitions", o.partitions())
                .put("rounds", o.rounds())
                .put("postgresVersion", r.postgresVersion())
                .put("redisVersion", r.redisVersion());
        new Headline(
                        "CachedReader reads per second, one thread, Zipf key mix",
                        "reads/s",
                        r.readerMedian(),
                        r.hgetallMedian(),
                        true,
                        "the same key sequence read by a minimal loop of plain Lettuce HGETALLs of the same record"
                                + " hashes, one connection of the same client (the Redis ceiling)",
                        null)
                .putInto(n);
        n.put("databaseBaseline", round3(r.jdbcMedian()))
                .put(
                        "databaseBaselineIs",
                        "the same key sequence read by a minimal loop of JDBC primary-key SELECTs,"
                                + " one connection of the same pool (the PostgreSQL ceiling)")
                .put("databaseRatio", round3(r.jdbcRatio()));
        n.put("p50Micros", round3(r.median(x -> x.reader().p50Micros())))
                .put("p99Micros", round3(r.median(x -> x.reader().p99Micros())))
                .put("baselineP50Micros", round3(r.median(x -> x.hgetall().p50Micros())))
                .put("baselineP99Micros", round3(r.median(x -> x.hgetall().p99Micros())))
                .put("databaseBaselineP50Micros", round3(r.median(x -> x.jdbc().p50Micros())))
                .put("databaseBaselineP99Micros", round3(r.median(x -> x.jdbc().p99Micros())));
        double localP99 = r.median(ReadBenchmark.Round::localHitP99Micros);
        if (Double.isNaN(localP99)) {
            n.putNull("localHitP99Micros"); // no read was a local hit
        } else {
            n.put("localHitP99Micros", round3(localP99));
        }
        n.put("goalLocalHitP99Micros", 50).put("localHitGoalMet", localP99 < 50);
        n.put("databaseQueriesPerRead", round3(r.median(ReadBenchmark.Round::databaseQueriesPerRead)));
        n.put("databaseShare", round3(r.median(ReadBenchmark.Round::databaseShare)))
                .put("localShare", round3(r.median(x -> x.share(io.cistern.reader.Tier.LOCAL))))
                .put("redisShare", round3(r.median(x -> x.share(io.cistern.reader.Tier.REDIS))));
        ArrayNode rounds = n.putArray("roundsDetail");
        for (ReadBenchmark.Round x : r.rounds()) {
            ObjectNode round = rounds.addObject();
            round.put("readerReadsPerSecond", Math.round(x.reader().readsPerSecond()))
                    .put("hgetallReadsPerSecond", Math.round(x.hgetall().readsPerSecond()))
                    .put("jdbcReadsPerSecond", Math.round(x.jdbc().readsPerSecond()))
                    .put("databaseShare", round3(x.databaseShare()))
                    .put("databaseQueriesPerRead", round3(x.databaseQueriesPerRead()));
            if (x.reader().cpu() != null) {
                ObjectNode cpu = round.putObject("cpuCores");
                cpuJson(cpu.putObject("reader"), x.reader().cpu());
                cpuJson(cpu.putObject("hgetall"), x.hgetall().cpu());
                cpuJson(cpu.putObject("jdbc"), x.jdbc().cpu());
            }
            if (Double.isNaN(x.localHitP99Micros())) {
                round.putNull("localHitP99Micros");
            } else {
                round.put("localHitP99Micros", round3(x.localHitP99Micros()));
            }
        }
    }

    static void machineJson(
            ObjectNode root, BenchSettings s, MachineLoad.Snapshot before, MachineLoad.Snapshot after, double seconds) {
        ObjectNode m = root.putObject("machine");
        m.put("cores", after.cores())
                .put("loadAverageBefore", round3(before.loadAverage()))
                .put("loadAverageAfter", round3(after.loadAverage()))
                .put("java", after.java())
                .put("elapsedSeconds", Math.round(seconds));
        ArrayNode scenarios = m.putArray("scenarios");
        s.scenarios().forEach(scenarios::add);
    }

    /**
     * The JVM the figures come from: its processors, garbage collectors and flags (a JVM that sees one processor picks
     * the serial collector, so a pinned run's worker is not the unpinned one's).
     */
    static void jvmJson(ObjectNode machine) {
        ObjectNode jvm = machine.putObject("jvm");
        jvm.put("availableProcessors", Runtime.getRuntime().availableProcessors());
        ArrayNode gcs = jvm.putArray("garbageCollectors");
        garbageCollectors().forEach(gcs::add);
        ArrayNode flags = jvm.putArray("inputArguments");
        ManagementFactory.getRuntimeMXBean().getInputArguments().forEach(flags::add);
    }

    /** {@code bench --pin}'s layout, and each process's CPU list as the kernel has it ({@code Cpus_allowed_list}). */
    static void pinJson(ObjectNode root, PinLayout.Pinned p) {
        root.putObject("pin")
                .put("cores", p.layout().cores())
                .put("rule", PinLayout.RULE)
                .put("postgresCpus", p.layout().postgresCpus())
                .put("redisCpus", p.layout().pipelineCpus())
                .put("jvmCpus", p.layout().pipelineCpus())
                .put("postmasterPid", p.postmasterPid())
                .put("postgresCpusAllowed", cpusAllowed(Long.toString(p.postmasterPid())))
                .put("redisPid", p.redisPid())
                .put("redisCpusAllowed", cpusAllowed(Long.toString(p.redisPid())))
                .put("jvmCpusAllowed", cpusAllowed("self"));
    }

    private static List<String> garbageCollectors() {
        return ManagementFactory.getGarbageCollectorMXBeans().stream()
                .map(java.lang.management.GarbageCollectorMXBean::getName)
                .toList();
    }

    /** {@code Cpus_allowed_list} of {@code /proc/<pid>/status}, or "?" when unreadable. */
    static String cpusAllowed(String pid) {
        try {
            return java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc", pid, "status")).stream()
                    .filter(l -> l.startsWith("Cpus_allowed_list:"))
                    .map(l -> l.substring("Cpus_allowed_list:".length()).strip())
                    .findFirst()
                    .orElse("?");
        } catch (java.io.IOException | RuntimeException e) {
            return "?";
        }
    }

    private static double mib(long bytes) {
        return bytes / (1024.0 * 1024.0);
    }

    private static String shape(int valueBytes) {
        return "source_documents, 5 cols, 2 x " + valueBytes + " B text";
    }

    /** The workers log every partition they take and release; in a benchmark only warnings matter. */
    private static void quietSyncLogs() {
        for (String name : List.of(
                "io.cistern.sync",
                "io.cistern.schema",
                "io.cistern.writer",
                "io.cistern.reader",
                "com.zaxxer.hikari",
                "org.flywaydb",
                "org.jooq")) {
            if (org.slf4j.LoggerFactory.getLogger(name) instanceof ch.qos.logback.classic.Logger logger) {
                logger.setLevel(ch.qos.logback.classic.Level.WARN);
            }
        }
    }

    private static String shape(SyncBenchmark.Options o) {
        return "source_documents, 5 cols, 2 x " + o.valueBytes() + " B text";
    }

    private static void writeJson(ObjectNode root, WriteBenchmark.Result r) {
        WriteBenchmark.Options o = r.options();
        ObjectNode w = root.putObject("write");
        w.put("writes", o.writes())
                .put("pipeline", o.pipeline())
                .put("columns", o.columns())
                .put("valueBytes", o.valueBytes())
                .put("rounds", o.rounds())
                .put("redisVersion", r.redisVersion());
        w.put("cisternWritesPerSecond", Math.round(r.cisternMedian()));
        w.put("cisternBatchWritesPerSecond", Math.round(r.cisternBatchesMedian()));
        w.put("baselineWritesPerSecond", Math.round(r.baselineMedian()));
        w.put("ratio", round3(r.ratio()));
        w.put("batchRatio", round3(r.batchesRatio()));
        latencyJson(w.putObject("latency"), r.cisternLatency());
        latencyJson(w.putObject("baselineLatency"), r.baselineLatency());
        rounds(w.putArray("cisternRounds"), r.cistern());
        rounds(w.putArray("cisternBatchRounds"), r.cisternBatches());
        rounds(w.putArray("baselineRounds"), r.baseline());
        new Headline(
                        "writeAsync writes per second, " + o.pipeline() + " in flight",
                        "writes/s",
                        r.cisternMedian(),
                        r.baselineMedian(),
                        true,
                        "redis-benchmark -c 1 -P " + o.pipeline() + " FCALL cistern_put_v1 (same record, same payload)",
                        0.8)
                .putInto(w);
    }

    private static void latencyJson(ObjectNode node, WriteBenchmark.Latency l) {
        node.put("offeredPerSecond", Math.round(l.offeredPerSecond()))
                .put("achievedPerSecond", Math.round(l.achievedPerSecond()))
                .put("writes", l.writes())
                .put("p50Ms", round3(l.p50Ms()))
                .put("p99Ms", round3(l.p99Ms()))
                .put("maxMs", round3(l.maxMs()));
    }

    private static void syncJson(ObjectNode root, SyncBenchmark.Result r) {
        SyncBenchmark.Options o = r.options();
        ObjectNode n = root.putObject(o.kind().scenario);
        n.put("records", o.records());
        if (o.kind() == SyncBenchmark.Kind.UPDATE) {
            n.put("keys", o.keys());
        }
        n.put("valueBytes", o.valueBytes())
                .put("partitions", o.partitions())
                .put("workers", o.workers())
                .put("batchSize", o.batchSize())
                .put("rounds", o.rounds())
                .put("warmUpPairs", r.warmUp().pairs())
                .put("warmUpCompileShare", round3(r.warmUp().compileShare()))
                .put("postgresVersion", r.postgresVersion())
                .put("redisVersion", r.redisVersion());
        n.put("headline", o.kind() == SyncBenchmark.Kind.INSERT ? "cisternRowsPerSecond" : "cisternEntriesPerSecond");
        n.put("cisternEntriesPerSecond", Math.round(r.entriesMedian()));
        n.put("cisternRowsPerSecond", Math.round(r.rowsMedian()));
        n.put("baselineRowsPerSecond", Math.round(r.baselineMedian()));
        n.put("ratio", round3(r.ratio()));
        n.put("rowsRatio", round3(r.rowsRatio()));
        n.put("goalRatio", 0.6);
        rounds(
                n.putArray("cisternEntryRounds"),
                r.cistern().stream()
                        .map(SyncBenchmark.CisternRound::entriesPerSecond)
                        .toList());
        rounds(
                n.putArray("cisternRowRounds"),
                r.cistern().stream()
                        .map(SyncBenchmark.CisternRound::rowsPerSecond)
                        .toList());
        rounds(
                n.putArray("baselineRounds"),
                r.baseline().stream()
                        .map(SyncBenchmark.BaselineRound::rowsPerSecond)
                        .toList());
        n.put("cisternWritesPerSecond", Math.round(r.writesMedian()));
        rounds(
                n.putArray("cisternWriteRounds"),
                r.cistern().stream()
                        .map(SyncBenchmark.CisternRound::writesPerSecond)
                        .toList());
        ArrayNode cpu = n.putArray("cpuCores");
        for (int i = 0; i < r.cistern().size(); i++) {
            ObjectNode c = cpu.addObject();
            cpuJson(c.putObject("cistern"), r.cistern().get(i).cpu());
            cpuJson(c.putObject("cisternWrite"), r.cistern().get(i).writeCpu());
            cpuJson(c.putObject("baseline"), r.baseline().get(i).cpu());
        }
        costPerRowJson(n, r);
        mastersJson(n, r);
        SyncBenchmark.Latency l = r.latency();
        ObjectNode latency = n.putObject("latency");
        latency.put("offeredPerSecond", Math.round(l.offeredPerSecond()))
                .put("achievedPerSecond", Math.round(l.achievedPerSecond()))
                .put("writes", l.writes())
                .put("failedWrites", l.failedWrites())
                .put("durationSeconds", o.duration().toSeconds())
                .put("p50Ms", round3(l.p50Ms()))
                .put("p99Ms", round3(l.p99Ms()))
                .put("maxMs", round3(l.maxMs()))
                .put("ackedP50Ms", round3(l.ackedP50Ms()))
                .put("ackedP99Ms", round3(l.ackedP99Ms()))
                .put("goalP99Ms", 250);
        cpuJson(latency.putObject("cpuCores"), l.cpu());
        new Headline(
                        o.kind() == SyncBenchmark.Kind.INSERT
                                ? "rows applied per second, draining a backlog"
                                : "entries applied per second, draining a backlog",
                        o.kind() == SyncBenchmark.Kind.INSERT ? "rows/s" : "entries/s",
                        r.headline(),
                        r.baselineMedian(),
                        true,
                        "the same rows upserted by a Java loop: unnest text[] arrays, 1,000-row batches, one"
                                + " transaction each, 2 connections; same table, indexes, version guard and tombstone"
                                + " NOT EXISTS",
                        0.6)
                .putInto(n);
        n.put("baselineSql", r.baselineSql());
    }

    /** Why a shared PostgreSQL's CPU is not reported per row. */
    static final String SHARED_POSTGRES = "the bench did not start this PostgreSQL server; on a shared host the /proc"
            + " sum counts every postgres process (other servers and other clients' backends): run bench --pin";

    /**
     * The pipeline's cost per row, medians of the rounds (issue 22): {@code cpuMicrosPerRow.drain} (worker JVM, Redis,
     * PostgreSQL per row applied; {@code drainPerEntry} the same per entry), {@code cpuMicrosPerRow.baseline} (the
     * baseline loop's JVM, Redis, PostgreSQL per row upserted), {@code cpuMicrosPerWrite} (the write phase: the
     * producer JVM and Redis per entry written), and {@code redisCommandsPerRow} ({@code INFO commandstats} deltas of
     * the drain, calls and microseconds per row applied, by command). PostgreSQL is null, with {@code
     * postgresCpuAbsent} saying why, unless the bench started its PostgreSQL server itself.
     */
    static void costPerRowJson(ObjectNode n, SyncBenchmark.Result r) {
        boolean pg = r.privatePostgres();
        ObjectNode perRow = n.putObject("cpuMicrosPerRow");
        ObjectNode drain = perRow.putObject("drain")
                .put("workerJvm", round3(r.drainMicros(CpuMeter.Use::jvm, false)))
                .put("redis", round3(r.drainMicros(CpuMeter.Use::redis, false)));
        ObjectNode drainPerEntry = perRow.putObject("drainPerEntry")
                .put("workerJvm", round3(r.drainMicros(CpuMeter.Use::jvm, true)))
                .put("redis", round3(r.drainMicros(CpuMeter.Use::redis, true)));
        ObjectNode baseline = perRow.putObject("baseline")
                .put("baselineJvm", round3(r.baselineMicrosPerRow(CpuMeter.Use::jvm)))
                .put("redis", round3(r.baselineMicrosPerRow(CpuMeter.Use::redis)));
        if (pg) {
            drain.put("postgres", round3(r.drainMicros(CpuMeter.Use::privatePostgres, false)));
            drainPerEntry.put("postgres", round3(r.drainMicros(CpuMeter.Use::privatePostgres, true)));
            baseline.put("postgres", round3(r.baselineMicrosPerRow(CpuMeter.Use::privatePostgres)));
            perRow.put(
                    "postgresVersusBaseline",
                    round3(r.drainMicros(CpuMeter.Use::privatePostgres, false)
                            / r.baselineMicrosPerRow(CpuMeter.Use::privatePostgres)));
            perRow.put("postgresCpuFrom", "the private server's postmaster and its children (/proc)");
        } else {
            drain.putNull("postgres");
            drainPerEntry.putNull("postgres");
            baseline.putNull("postgres");
            perRow.putNull("postgresVersusBaseline");
            perRow.put("postgresCpuAbsent", SHARED_POSTGRES);
        }
        n.putObject("cpuMicrosPerWrite")
                .put("producerJvm", round3(r.writeMicrosPerWrite(CpuMeter.Use::jvm)))
                .put("redis", round3(r.writeMicrosPerWrite(CpuMeter.Use::redis)));
        ObjectNode commands = n.putObject("redisCommandsPerRow");
        r.drainCommandsPerRow()
                .forEach((name, v) -> commands.putObject(name)
                        .put("calls", Math.round(v[0] * 10_000) / 10_000.0)
                        .put("usec", round3(v[1])));
    }

    /**
     * Each master's part (one entry off a cluster), medians of the rounds: the partitions its slots hold, its share of
     * the entries written and applied and of all masters' Redis CPU, and its Redis CPU per entry written to and applied
     * from its partitions; and each round's raw figures.
     */
    static void mastersJson(ObjectNode n, SyncBenchmark.Result r) {
        n.put("redisMasters", r.masters().size());
        ArrayNode masters = n.putArray("masters");
        for (String m : r.masters()) {
            masters.addObject()
                    .put("master", m)
                    .put("partitions", (int) r.masterMedian(m, SyncBenchmark.MasterWork::partitions))
                    .put("entryShare", round3(r.entryShare(m)))
                    .put("redisCpuShare", round3(r.cpuShare(m)))
                    .put(
                            "redisMicrosPerEntryWritten",
                            round3(r.masterMedian(m, SyncBenchmark.MasterWork::writeMicrosPerEntry)))
                    .put(
                            "redisMicrosPerEntryApplied",
                            round3(r.masterMedian(m, SyncBenchmark.MasterWork::drainMicrosPerEntry)));
        }
        ArrayNode rounds = n.putArray("masterRounds");
        for (SyncBenchmark.CisternRound c : r.cistern()) {
            ArrayNode round = rounds.addArray();
            for (SyncBenchmark.MasterWork w : c.masters()) {
                round.addObject()
                        .put("master", w.master())
                        .put("entries", w.entries())
                        .put("writeRedisCpuSeconds", round3(w.writeRedisSeconds()))
                        .put("drainRedisCpuSeconds", round3(w.drainRedisSeconds()));
            }
        }
    }

    private static void cpuJson(ObjectNode node, CpuMeter.Use use) {
        node.put("jvm", round3(use.jvm()))
                .put("redis", round3(use.redis()))
                .put("postgres", round3(use.postgres()))
                .put("machine", round3(use.machine()));
        if (use.hasPrivatePostgres()) {
            node.put("privatePostgres", round3(use.privatePostgres()));
        }
    }

    private static double round3(double v) {
        return Math.round(v * 1000) / 1000.0;
    }

    private static void rounds(ArrayNode array, List<Double> values) {
        values.forEach(v -> array.add(Math.round(v)));
    }
}
