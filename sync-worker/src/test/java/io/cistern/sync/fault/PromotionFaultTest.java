package io.cistern.sync.fault;

import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariDataSource;
import io.cistern.connections.RedisDeployment;
import io.cistern.connections.RedisSettings;
import io.cistern.connections.testing.PrivatePostgres;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.postgres.InitOptions;
import io.cistern.schema.postgres.Initializer;
import io.cistern.writer.RecordWriter;
import io.cistern.writer.WriterSettings;
import io.lettuce.core.Range;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterEach;

/**
 * The part of the promotion fault tests ({@link ClusterModelFaultIT}, {@link SentinelModelFaultIT}) that does not
 * depend on how Redis is deployed: a private PostgreSQL, Cistern initialised on the Redis a subclass started, a {@link
 * RecordWriter} and two {@link ForkedWorker}s on its URL, and the accounting of a promotion: which acknowledged writes
 * the promoted replica lacks (and PostgreSQL never got), and which writes after it land on keys whose older versions
 * were applied from the old master.
 *
 * <p>A write acknowledged with the replica wait on every replica must never be lost; with the wait off the loss
 * window is measured and reported, and the producers treat every key as uncertain after each kill (as after any data
 * loss) until a later put or delete settles it. Either way nothing may be resurrected, and no older version may end
 * over a newer one: the full model comparison of {@link ModelCheck}.
 */
abstract class PromotionFaultTest {
    static final int PARTITIONS = 16;
    static final int PRODUCERS = 3;
    static final Duration LEASE = Duration.ofSeconds(2);
    /** The writer's {@code WAIT} timeout with the wait on: short, so a write to a master without replica fails fast. */
    static final Duration WAIT_TIMEOUT = Duration.ofMillis(500);

    /**
     * How long a replica (and the workers) are frozen before its master is SIGKILLed: the replica misses what the
     * master acknowledged meanwhile, as a lagging replica would, and the workers have not applied it yet, as under a
     * backlog; so a write the replica wait did not cover is really lost.
     */
    static final Duration REPLICA_LAG = Duration.ofMillis(300);

    /** Freezes every worker (SIGSTOP): with the replica frozen too, what the master acknowledges is neither copied nor applied. */
    protected void freezeWorkers() {
        workers.forEach(ForkedWorker::freeze);
    }

    /**
     * The master was just SIGKILLed (its replica and the workers still frozen): from now on the producers treat what
     * the kill may have taken as uncertain, before any write reaches the promoted replica; then the workers are
     * thawed. With the wait off every key is uncertain until a later put or delete settles it (the loss window is by
     * design); with it on, only the dead-letter notices the workers appended may be gone. Returns the time of the kill.
     */
    protected long masterKilled(List<Producer> producers) {
        long now = System.currentTimeMillis();
        if (waitsForReplicas) {
            producers.forEach(Producer::deadLetterNoticesMayBeLost);
        } else {
            producers.forEach(Producer::redisLostItsData);
        }
        workers.forEach(ForkedWorker::thaw);
        return now;
    }

    /** A replica took over: when its master was killed (or handed over), and which partitions it serves. */
    record Promotion(String what, long killedAtMillis, Set<Integer> partitions) {}

    protected long seed;
    protected KeyLayout layout;
    protected ModelCheck check;
    protected RedisDeployment redis;
    protected final List<ForkedWorker> workers = new ArrayList<>();
    protected Path logDir;
    private String test;
    private boolean waitsForReplicas;
    private PrivatePostgres postgres;
    private HikariDataSource dataSource;
    private RecordWriter writer;
    private final AtomicLong lost = new AtomicLong();
    private final AtomicLong maxLostAgeMillis = new AtomicLong(-1);
    private final AtomicLong promotions = new AtomicLong();
    private final List<String> lossReports = Collections.synchronizedList(new ArrayList<>());
    private final List<Promotion> unmeasuredStalls = Collections.synchronizedList(new ArrayList<>());
    private final List<String> stalls = Collections.synchronizedList(new ArrayList<>());

    /**
     * Starts PostgreSQL, initialises Cistern on {@code redisUrl}, and starts the writer (waiting for {@code
     * waitReplicas} replicas, 0 for none) and two workers.
     */
    protected void start(String mode, String redisUrl, int waitReplicas) {
        test = getClass().getSimpleName() + "[" + mode + "]";
        waitsForReplicas = waitReplicas > 0;
        seed = Long.getLong("cistern.fault.seed", new Random().nextLong());
        System.out.printf(
                "%s: seed=%d (replay: -Dcistern.fault.seed=%d), %s, replica wait %d%n",
                test, seed, seed, FaultSchedule.describePhase(), waitReplicas);
        logDir = Path.of("target", "fault-logs", getClass().getSimpleName() + "-" + mode + "-" + seed);

        postgres = PrivatePostgres.builder().maxConnections(80).start();
        postgres.execute("CREATE DATABASE cistern");
        dataSource = ModelCheck.testPool(postgres, "promotion-fault-test");
        layout = new KeyLayout("promo");
        redis = RedisDeployment.open(RedisSettings.of(redisUrl));
        new Initializer(dataSource, redis.sync(), redis::masterCommands)
                .run(InitOptions.defaults(layout).withPartitions(PARTITIONS));
        check = new ModelCheck(dataSource, redis::sync, layout, PARTITIONS);
        writer = RecordWriter.connect(WriterSettings.of(redisUrl)
                .mutate()
                .prefix(layout.prefix())
                .waitReplicas(waitReplicas)
                .waitTimeout(WAIT_TIMEOUT)
                .build());
        workers.addAll(ForkedWorker.launchFaultWorkers(
                2, logDir, redisUrl, postgres.jdbcUrl("cistern") + "?user=postgres", layout.prefix(), LEASE));
    }

    @AfterEach
    void stopCommon() {
        try {
            workers.forEach(ForkedWorker::close);
            workers.clear();
            if (writer != null) {
                writer.close();
            }
            if (redis != null) {
                redis.close();
            }
            if (dataSource != null) {
                dataSource.close();
            }
        } finally {
            if (postgres != null) {
                postgres.close();
            }
            System.out.println(test + ": seed=" + seed + "; worker output in " + logDir.toAbsolutePath());
        }
    }

    /** What a fault of kind {@code F} does, given the schedule's random source and the producers. */
    @FunctionalInterface
    interface FaultAction<F> {
        void fire(F fault, Random random, List<Producer> producers) throws Exception;
    }

    /**
     * Runs the model: the producers write while every kind of {@code kinds} fires, in a seeded order, for the fault
     * phase; then {@link #verify}.
     */
    protected <F extends Enum<F>> void runModel(Class<F> kinds, FaultAction<F> action) throws Exception {
        ModelRun run = new ModelRun(test, seed, check, writer, PRODUCERS);
        List<Producer> producers = run.producers();
        FaultSchedule<F> faults = new FaultSchedule<>(test, run.faultRandom(), EnumSet.allOf(kinds), check, producers) {
            @Override
            protected void fire(F fault) throws Exception {
                action.fire(fault, random, producers);
            }
        };
        run.writeWhileFaultsFire(faults, workers);
        verify(run, faults);
    }

    /** SIGKILLs the worker holding the most leases and launches it again. */
    protected void restartBusiestWorker(Random random) {
        ForkedWorker victim = check.busiestWorker(workers, random);
        victim.kill();
        victim.start();
    }

    /**
     * After a promotion, once the cluster agrees on it: counts the acknowledged writes to the promoted master's
     * partitions that it lacks and PostgreSQL never got (lost), and arms the count of writes over keys applied from
     * the old master.
     */
    protected void promoted(Promotion promotion, List<Producer> producers) throws Exception {
        promotions.incrementAndGet();
        watchStall(promotion, producers);
        redis.refreshTopology();
        // Entries at or below the watermark reached PostgreSQL. Of the others, first the stream on the new master is
        // read, then PostgreSQL again: an entry applied meanwhile (and trimmed) is not lost.
        Map<Integer, String> before = check.watermarks();
        List<Producer.Ack> acks = new ArrayList<>();
        List<Producer.Ack> missing = new ArrayList<>();
        producers.forEach(p -> p.recentAcks().stream()
                .filter(a -> promotion.partitions().contains(a.partition()))
                .forEach(acks::add));
        Map<Integer, List<Producer.Ack>> unapplied = new TreeMap<>();
        for (Producer.Ack a : acks) {
            if (ModelCheck.compareIds(a.entryId(), before.get(a.partition())) > 0) {
                unapplied.computeIfAbsent(a.partition(), p -> new ArrayList<>()).add(a);
            }
        }
        for (Map.Entry<Integer, List<Producer.Ack>> e : unapplied.entrySet()) {
            Set<String> present = entriesOnTheNewMaster(e.getKey(), e.getValue());
            e.getValue().stream().filter(a -> !present.contains(a.entryId())).forEach(missing::add);
        }
        Map<Integer, String> watermarks = check.watermarks();
        List<Producer.Ack> lostHere = missing.stream()
                .filter(a -> ModelCheck.compareIds(a.entryId(), watermarks.get(a.partition())) > 0)
                .toList();
        long oldest = lostHere.stream()
                .mapToLong(a -> promotion.killedAtMillis() - a.atMillis())
                .max()
                .orElse(-1);
        lost.addAndGet(lostHere.size());
        maxLostAgeMillis.accumulateAndGet(oldest, Math::max);
        String report = String.format(
                "%s: %s: %d acknowledged writes lost%s (of %d acknowledged to its %d partitions in the minute before)",
                test,
                promotion.what(),
                lostHere.size(),
                lostHere.isEmpty() ? "" : ", acknowledged within " + oldest + " ms before the kill",
                acks.size(),
                promotion.partitions().size());
        System.out.println(report);
        lossReports.add(report);
        Set<String> rowKeys = check.rows().keySet();
        producers.forEach(p -> p.promoted(promotion.partitions(), rowKeys));
    }

    /**
     * Measures, later, how long writes to {@code change}'s partitions stalled: the longest gap between the times the
     * masters took consecutive acknowledged writes (the millisecond part of their change entry IDs) around the change.
     */
    protected void watchStall(Promotion change, List<Producer> producers) {
        measureStalls(producers, 20_000);
        unmeasuredStalls.add(change);
    }

    /**
     * Measures the changes watched at least {@code settledMillis} ago: the longest gap between the change entries of
     * consecutive acknowledged writes to its partitions that ends after the change began and began by a second after it
     * (the dying master may still take writes for a few milliseconds after the kill was sent; the gap is what writers
     * saw).
     */
    private void measureStalls(List<Producer> producers, long settledMillis) {
        long now = System.currentTimeMillis();
        synchronized (unmeasuredStalls) {
            unmeasuredStalls.removeIf(change -> {
                if (change.killedAtMillis() > now - settledMillis) {
                    return false;
                }
                long[] stamps = producers.stream()
                        .flatMap(p -> p.recentAcks().stream())
                        .filter(a -> change.partitions().contains(a.partition()))
                        .mapToLong(a -> Long.parseLong(
                                a.entryId().substring(0, a.entryId().indexOf('-'))))
                        .filter(ms -> ms >= change.killedAtMillis() - 2_000)
                        .sorted()
                        .toArray();
                long longest = -1;
                for (int i = 1; i < stamps.length; i++) {
                    // A gap that began by a second after the change: later gaps belong to later changes.
                    if (stamps[i] > change.killedAtMillis() && stamps[i - 1] <= change.killedAtMillis() + 1_000) {
                        longest = Math.max(longest, stamps[i] - stamps[i - 1]);
                    }
                }
                stalls.add(change.what() + ": " + (longest < 0 ? "no write acknowledged after it" : longest + " ms"));
                return true;
            });
        }
    }

    /** Which of {@code acks} (all of {@code partition}) the partition's stream on the current master holds. */
    private Set<String> entriesOnTheNewMaster(int partition, List<Producer.Ack> acks) {
        String first = acks.stream()
                .map(Producer.Ack::entryId)
                .min(ModelCheck::compareIds)
                .orElseThrow();
        String last = acks.stream()
                .map(Producer.Ack::entryId)
                .max(ModelCheck::compareIds)
                .orElseThrow();
        Set<String> present = new HashSet<>();
        await("stream of partition " + partition + " readable on the new master")
                .atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(100))
                .ignoreExceptions()
                .until(() -> {
                    present.clear();
                    redis.sync()
                            .xrange(layout.stream(partition), Range.create(first, last))
                            .forEach(m -> present.add(m.getId()));
                    return true;
                });
        return present;
    }

    /**
     * The summary line, and the assertions of a promotion test on top of {@link ModelRun#verify}: writes landed on keys
     * applied from an old master after its replica took over, and with the wait on, not one acknowledged write was
     * lost.
     */
    private void verify(ModelRun run, FaultSchedule<?> faults) throws Exception {
        measureStalls(run.producers(), 0);
        System.out.printf("%s: longest gap between acknowledged writes to the partitions: %s%n", test, stalls);
        long over = run.producers().stream()
                .mapToLong(p -> p.overKeysAppliedBeforePromotion.get())
                .sum();
        System.out.printf(
                "%s: seed=%d: %s; faults fired %s, %d of them with entries in flight; %d promotions; %d writes after a"
                        + " promotion to keys applied from the old master; %d acknowledged writes lost%s%n",
                test,
                seed,
                run.writeCounts(),
                faults.fired(),
                faults.inFlight(),
                promotions.get(),
                over,
                lost.get(),
                lost.get() == 0 ? "" : ", acknowledged within " + maxLostAgeMillis.get() + " ms before a kill");
        System.out.printf(
                "%s: first failure of each other code: %s%n",
                test,
                run.otherFailures(
                        Set.of("REDIS_UNAVAILABLE", "REPLICA_WAIT_TIMEOUT", "SLOT_MIGRATING", "UNCONFIRMED_FLOOR")));
        SoftAssertions softly = run.verify(faults, logDir);
        softly.assertThat(over)
                .as("writes after a promotion to keys whose older versions were applied from the old master")
                .isPositive();
        if (waitsForReplicas) {
            softly.assertThat(lost.get())
                    .as("acknowledged writes lost with the replica wait on every replica: %s", lossReports)
                    .isZero();
        }
        softly.assertAll();
    }
}
