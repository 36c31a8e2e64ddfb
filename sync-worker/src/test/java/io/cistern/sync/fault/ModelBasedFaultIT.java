package io.cistern.sync.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.cistern.connections.RedisClients;
import io.cistern.connections.RedisSettings;
import io.cistern.connections.testing.PrivatePostgres;
import io.cistern.connections.testing.PrivateRedis;
import io.cistern.schema.function.FunctionLibrary;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.postgres.InitOptions;
import io.cistern.schema.postgres.Initializer;
import io.cistern.writer.RecordWriter;
import io.cistern.writer.WriterSettings;
import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The model-based fault test of DESIGN.md section 9 (issue 4): random puts, patches and deletes from several producer
 * threads through {@link RecordWriter}, two sync workers as separate JVMs, and seeded faults fired while entries are in
 * flight; at the end every stream is drained and PostgreSQL is compared with the model row by row (nothing lost,
 * nothing resurrected, no older version over a newer one, and only patches of absent records dead-lettered).
 *
 * <p>Everything runs on private servers: a PostgreSQL cluster and a Redis with {@code appendfsync always}, both on
 * random ports. Faults: a worker SIGKILLed and relaunched; the workers' PostgreSQL connections terminated ({@code
 * pg_terminate_backend}); a worker frozen with SIGSTOP until its leases are gone, then SIGCONT; PostgreSQL stopped
 * ({@code -m immediate}) and started again once writes were acknowledged during the outage; Redis SIGKILLed and
 * restarted from its AOF; Redis losing all its data (its files deleted, as after a failover to a stale replica), after
 * which every key written so far is uncertain (a write acknowledged but not yet synced is lost by design) until a later
 * put or delete settles it, and that later write must reach PostgreSQL with a version above everything there; and
 * Redis coming back with a shorter history of its busiest partition (entries and the meta's seq cut back below what
 * PostgreSQL already holds, as on a replica promoted behind its primary), after which the same holds.
 *
 * <p>It found that a stream read whose reply is lost (Redis restarted, a connection reset) left its entries pending
 * where the partition loop never looked again, and that the applied watermark then passed them: the loop now re-reads
 * its pending entries after any failed read, and applies nothing newer while older entries are pending.
 *
 * <p>Replay a schedule with {@code -Dcistern.fault.seed=<seed>} (printed at start; thread timing still varies). Soak
 * with {@code -Dcistern.fault.minutes=10} (default 0.75 minutes of faults, for CI). Worker output goes to {@code
 * target/fault-logs/ModelBasedFaultIT-<seed>/}.
 */
class ModelBasedFaultIT {
    private static final int PARTITIONS = 8;
    private static final int PRODUCERS = 3;
    private static final Duration LEASE = Duration.ofSeconds(2);
    private static final Duration STEP = Duration.ofMillis(3);

    enum Fault {
        WORKER_SIGKILL,
        BACKENDS_TERMINATED,
        WORKER_FROZEN_PAST_LEASE,
        POSTGRES_RESTARTED,
        REDIS_AOF_RESTARTED,
        REDIS_DATA_LOST,
        REDIS_HISTORY_SHORTENED
    }

    private static long seed;
    private static Duration faultPhase;
    private static PrivatePostgres postgres;
    private static PrivateRedis redis;
    private static HikariDataSource dataSource;
    private static RedisClient redisClient;
    private static StatefulRedisConnection<String, String> redisConnection;
    private static KeyLayout layout;
    private static RecordWriter writer;
    private static Path logDir;
    private static final List<ForkedWorker> workers = new ArrayList<>();

    @BeforeEach
    void start() {
        seed = Long.getLong("cistern.fault.seed", new Random().nextLong());
        double minutes = Double.parseDouble(System.getProperty("cistern.fault.minutes", "0.75"));
        faultPhase = Duration.ofMillis((long) (minutes * 60_000));
        System.out.printf(
                "ModelBasedFaultIT: seed=%d (replay: -Dcistern.fault.seed=%d), %d s of faults%n",
                seed, seed, faultPhase.toSeconds());
        logDir = Path.of("target", "fault-logs", "ModelBasedFaultIT-" + seed);

        postgres = PrivatePostgres.builder().maxConnections(60).start();
        postgres.execute("CREATE DATABASE cistern");
        redis = PrivateRedis.start("--appendonly", "yes", "--appendfsync", "always");
        redisClient = RedisClients.create(RedisSettings.of(redis.url()));
        redisConnection = redisClient.connect();

        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(postgres.jdbcUrl("cistern") + "?user=postgres&ApplicationName=cistern-fault-test");
        config.setPoolName("model-fault-test");
        config.setMaximumPoolSize(2);
        config.setConnectionTimeout(5_000);
        dataSource = new HikariDataSource(config);
        layout = new KeyLayout("model");
        new Initializer(dataSource, redisConnection.sync())
                .run(InitOptions.defaults(layout).withPartitions(PARTITIONS));
        writer = RecordWriter.connect(
                WriterSettings.of(redis.url()).mutate().prefix(layout.prefix()).build());
        for (int w = 1; w <= 2; w++) {
            workers.add(ForkedWorker.launch(
                    "w" + w,
                    logDir,
                    Map.of(
                            "REDIS_URL", redis.url(),
                            "DATABASE_URL", postgres.jdbcUrl("cistern") + "?user=postgres",
                            "DB_APPLICATION_NAME", "cistern-fault-w" + w,
                            "DB_CONNECT_TIMEOUT_MS", "2000",
                            "DB_STATEMENT_TIMEOUT_MS", "10000",
                            "DB_IDLE_IN_TRANSACTION_TIMEOUT_MS", "5000",
                            "DB_POOL_SIZE", "4"),
                    layout.prefix(),
                    LEASE));
        }
    }

    @AfterEach
    void stop() {
        try {
            workers.forEach(ForkedWorker::close);
            workers.clear();
            if (writer != null) {
                writer.close();
            }
            if (redisConnection != null) {
                redisConnection.close();
                redisClient.shutdown();
            }
            if (dataSource != null) {
                dataSource.close();
            }
        } finally {
            try {
                if (redis != null) {
                    redis.close();
                }
            } finally {
                if (postgres != null) {
                    postgres.close();
                }
            }
            System.out.println("ModelBasedFaultIT: seed=" + seed + "; worker output in " + logDir.toAbsolutePath());
        }
    }

    @Test
    void randomWritesUnderAllFaults_endInPostgreSQLExactlyAsTheModelSays() throws Exception {
        runModel(EnumSet.allOf(Fault.class));
    }

    private void runModel(Set<Fault> kinds) throws Exception {
        Instant started = Instant.now();
        Random schedule = new Random(seed);
        List<Producer> producers = new ArrayList<>();
        for (int i = 0; i < PRODUCERS; i++) {
            producers.add(new Producer(i, schedule.nextLong(), writer, 12, 3));
        }
        FaultInjector faults = new FaultInjector(new Random(schedule.nextLong()), producers, kinds);

        // given: producers writing all the time
        ScheduledExecutorService producerThreads = Executors.newScheduledThreadPool(
                PRODUCERS, Thread.ofPlatform().name("producer-", 0).factory());
        producers.forEach(
                p -> producerThreads.scheduleWithFixedDelay(p::step, 0, STEP.toMillis(), TimeUnit.MILLISECONDS));

        // when: faults fire, one at a time, for the fault phase
        ScheduledExecutorService faultThread = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("faults").factory());
        Instant faultsEnd = Instant.now().plus(faultPhase);
        faults.scheduleNext(faultThread, faultsEnd);
        try {
            await("fault phase over")
                    .atMost(faultPhase.plusMinutes(3))
                    .pollInterval(Duration.ofMillis(500))
                    .until(faults::finished);
        } finally {
            faultThread.shutdownNow();
            producerThreads.shutdown();
            assertThat(producerThreads.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        }
        faults.awaitStopped();
        workers.forEach(w ->
                assertThat(w.isAlive()).as(w.name() + " alive\n" + w.tail()).isTrue());
        // Writes that failed ambiguously are settled by a later put or delete, as an application would.
        for (Producer p : producers) {
            await("producer settles its uncertain keys")
                    .atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(20))
                    .until(p::resolveOne);
        }
        long acknowledged =
                producers.stream().mapToLong(p -> p.acknowledged.get()).sum();
        System.out.printf(
                "ModelBasedFaultIT: seed=%d: %d writes acknowledged, %d patches refused as deleted, %d writes failed"
                        + " retryably; faults fired %s, %d of them with entries in flight; %d backends terminated%n",
                seed,
                acknowledged,
                producers.stream().mapToLong(p -> p.refusedAsDeleted.get()).sum(),
                producers.stream().mapToLong(p -> p.failedRetryable.get()).sum(),
                faults.fired(),
                faults.inFlight(),
                faults.terminatedBackends());

        // then: every stream is drained (waited for, then checked with the rest, so a failure shows everything)
        List<String> undrained = drained(Duration.ofSeconds(60));
        System.out.printf(
                "ModelBasedFaultIT: seed=%d: %s after %d s in all%n",
                seed,
                undrained.isEmpty() ? "drained" : "NOT drained",
                Duration.between(started, Instant.now()).toSeconds());

        SoftAssertions softly = new SoftAssertions();
        softly.assertThat(faults.failures())
                .as("faults that could not be fired")
                .isEmpty();
        producers.forEach(p -> softly.assertThat(p.unexpected())
                .as("unexpected writer outcomes")
                .isEmpty());
        softly.assertThat(faults.inFlight())
                .as("faults fired while entries were in flight (seed %d)", seed)
                .isPositive();
        softly.assertThat(faults.fired().keySet()).as("fault kinds fired").containsAll(kinds);
        softly.assertThat(acknowledged).isGreaterThan(1_000);
        softly.assertThat(undrained)
                .as(
                        "partitions not drained within 60 s after the faults (seed %d); worker output in %s",
                        seed, logDir.toAbsolutePath())
                .isEmpty();

        // ... PostgreSQL equals the model, row by row
        softly.assertThat(mismatches(producers))
                .as("rows that differ from the model (seed %d)", seed)
                .isEmpty();

        // ... and only patches of absent records were dead-lettered (never a transient failure)
        Map<String, String> deadLetters = deadLetters();
        Set<String> expected = new HashSet<>();
        Set<String> possible = new HashSet<>();
        producers.forEach(p -> {
            expected.addAll(p.expectedDeadLetters());
            possible.addAll(p.possibleDeadLetters());
        });
        softly.assertThat(deadLetters.values()).as("dead-letter reasons").allMatch("record absent"::equals);
        softly.assertThat(deadLetters.keySet()).as("dead-lettered entries").containsAll(expected);
        Set<String> unexplained = new HashSet<>(deadLetters.keySet());
        unexplained.removeAll(expected);
        unexplained.removeAll(possible);
        softly.assertThat(unexplained)
                .as("dead letters the model does not explain")
                .isEmpty();
        softly.assertAll();
    }

    /** Waits up to {@code timeout} for every stream to be drained; returns what is still not drained. */
    private static List<String> drained(Duration timeout) {
        List<String> last = new ArrayList<>(List.of("not checked yet"));
        try {
            await("every stream drained into PostgreSQL")
                    .atMost(timeout)
                    .pollInterval(Duration.ofMillis(500))
                    .ignoreExceptions()
                    .until(() -> {
                        List<String> now = undrainedPartitions();
                        last.clear();
                        last.addAll(now);
                        return now.isEmpty();
                    });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            // Reported with the other findings.
        }
        return last;
    }

    /** Partitions whose stream has entries past the applied watermark, or entries read and not acknowledged. */
    private static List<String> undrainedPartitions() throws SQLException {
        Map<Integer, String> watermarks = watermarks();
        List<String> undrained = new ArrayList<>();
        for (int p = 0; p < PARTITIONS; p++) {
            String last = lastGeneratedId(p);
            long pending = redis().xpending(layout.stream(p), "sync").getCount();
            if (compareIds(last, watermarks.get(p)) > 0 || pending > 0) {
                undrained.add("partition " + p + ": last entry " + last + ", watermark " + watermarks.get(p)
                        + ", pending " + pending);
            }
        }
        return undrained;
    }

    private static List<String> mismatches(List<Producer> producers) throws SQLException {
        Map<String, Map<String, String>> rows = new HashMap<>();
        rows.putAll(
                rows(
                        "SELECT document_uuid::text AS k, filename, status, page_count, cistern_version FROM source_documents"));
        rows.putAll(rows("SELECT document_uuid || '/' || entity_uuid AS k, entity_type, value, page_number,"
                + " cistern_version FROM entities"));
        List<String> mismatches = new ArrayList<>();
        Set<String> modelled = new HashSet<>();
        for (Producer producer : producers) {
            for (Producer.Key key : producer.keys()) {
                modelled.add(key.text());
                Map<String, String> row = rows.get(key.text());
                Producer.Expected expected = producer.expected(key).orElse(null);
                String problem = null;
                if (expected == null || !expected.present()) {
                    if (row != null) {
                        problem = expected == null ? "never written, but in PostgreSQL" : "deleted, but in PostgreSQL";
                    }
                } else if (row == null) {
                    problem = "missing from PostgreSQL";
                } else {
                    Map<String, String> actual = new LinkedHashMap<>(row);
                    String version = actual.remove("cistern_version");
                    if (!Long.toString(expected.version()).equals(version)) {
                        problem = "version " + version + ", expected " + expected.version();
                    } else if (!actual.equals(expected.columns())) {
                        problem = "columns differ";
                    }
                }
                if (problem != null && mismatches.size() < 20) {
                    mismatches.add(key.table() + " " + key.text() + ": " + problem + "; expected " + expected + ", row "
                            + row + "; acknowledged writes: " + producer.history(key));
                }
            }
        }
        for (String k : rows.keySet()) {
            if (!modelled.contains(k)) {
                mismatches.add("row " + k + " belongs to no producer's key");
            }
        }
        return mismatches;
    }

    private static Map<String, Map<String, String>> rows(String query) throws SQLException {
        Map<String, Map<String, String>> rows = new HashMap<>();
        try (Connection c = dataSource.getConnection();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(query)) {
            int columns = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                Map<String, String> row = new LinkedHashMap<>();
                for (int i = 2; i <= columns; i++) {
                    row.put(rs.getMetaData().getColumnName(i), rs.getString(i));
                }
                rows.put(rs.getString(1), row);
            }
        }
        return rows;
    }

    /** Entry ID to reason, over every partition's dead-letter stream. */
    private static Map<String, String> deadLetters() {
        Map<String, String> byEntry = new HashMap<>();
        for (int p = 0; p < PARTITIONS; p++) {
            for (StreamMessage<String, String> m : redis().xrange(layout.deadLetters(p), Range.create("-", "+"))) {
                byEntry.put(m.getBody().get("entry_id"), m.getBody().get("reason"));
            }
        }
        return byEntry;
    }

    private static Map<Integer, String> watermarks() throws SQLException {
        Map<Integer, String> watermarks = new HashMap<>();
        try (Connection c = dataSource.getConnection();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT partition, applied_watermark FROM cistern_partition")) {
            while (rs.next()) {
                watermarks.put(rs.getInt(1), rs.getString(2));
            }
        }
        return watermarks;
    }

    /** {@code cistern_partition.version_floor}: the highest version applied to the partition. */
    private static long versionFloor(int partition) {
        try (Connection c = dataSource.getConnection();
                Statement s = c.createStatement();
                ResultSet rs =
                        s.executeQuery("SELECT version_floor FROM cistern_partition WHERE partition = " + partition)) {
            return rs.next() ? rs.getLong(1) : 0;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the version floor of partition " + partition, e);
        }
    }

    /**
     * Makes the partition's history on the Redis at {@code url} what a replica promoted behind its primary would hold:
     * every change entry above version {@code cut} gone, and the meta's seq (and floor) back at {@code cut}. Atomic.
     * Record hashes keep their later state (a lagging replica's would be older), which only the reader would see.
     */
    private static long shortenHistory(String url, int partition, long cut) {
        RedisClient client = RedisClient.create(url);
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            return c.sync()
                    .eval(
                            """
                            local c = tonumber(ARGV[1])
                            local removed = 0
                            for _, e in ipairs(redis.call('XRANGE', KEYS[1], '-', '+')) do
                              local f = e[2]
                              for i = 1, #f, 2 do
                                if f[i] == 'v' and tonumber(f[i + 1]) > c then
                                  redis.call('XDEL', KEYS[1], e[1])
                                  removed = removed + 1
                                end
                              end
                            end
                            redis.call('HSET', KEYS[2], 'seq', c)
                            local floor = tonumber(redis.call('HGET', KEYS[2], 'floor'))
                            if floor and floor > c then
                              redis.call('HSET', KEYS[2], 'floor', c)
                            end
                            return removed
                            """,
                            ScriptOutputType.INTEGER,
                            new String[] {layout.stream(partition), layout.meta(partition)},
                            Long.toString(cut));
        } finally {
            client.shutdown();
        }
    }

    private static String lastGeneratedId(int partition) {
        if (redis().exists(layout.stream(partition)) == 0) {
            return "0-0";
        }
        List<Object> info = redis().xinfoStream(layout.stream(partition));
        for (int i = 0; i + 1 < info.size(); i += 2) {
            if ("last-generated-id".equals(String.valueOf(info.get(i)))) {
                return String.valueOf(info.get(i + 1));
            }
        }
        throw new IllegalStateException("XINFO STREAM without last-generated-id: " + info);
    }

    private static int compareIds(String a, String b) {
        String[] x = a.split("-");
        String[] y = b.split("-");
        int ms = Long.compare(Long.parseLong(x[0]), Long.parseLong(y[0]));
        return ms != 0 ? ms : Long.compare(Long.parseLong(x[1]), Long.parseLong(y[1]));
    }

    private static RedisCommands<String, String> redis() {
        return redisConnection.sync();
    }

    /**
     * Fires faults one after another on its own thread, at seeded random intervals, cycling through every kind in a
     * seeded order; counts those fired while entries were in flight (a stream ahead of its applied watermark).
     */
    private static final class FaultInjector {
        private final Random random;
        private final List<Producer> producers;
        private final Map<Fault, Integer> fired = Collections.synchronizedMap(new EnumMap<>(Fault.class));
        private final List<String> failures = Collections.synchronizedList(new ArrayList<>());
        private final AtomicLong inFlight = new AtomicLong();
        private final AtomicLong terminatedBackends = new AtomicLong();
        private final CountDownLatch stopped = new CountDownLatch(1);
        private final List<Fault> cycle = new ArrayList<>();
        private volatile boolean finished;

        private final Set<Fault> kinds;

        FaultInjector(Random random, List<Producer> producers, Set<Fault> kinds) {
            this.random = random;
            this.producers = producers;
            this.kinds = kinds;
        }

        void scheduleNext(ScheduledExecutorService thread, Instant end) {
            long gap = 800 + random.nextInt(1_700);
            if (Instant.now().plusMillis(gap).isAfter(end) && fired.keySet().containsAll(kinds)) {
                finished = true;
                stopped.countDown();
                return;
            }
            thread.schedule(
                    () -> {
                        try {
                            fire(nextFault());
                        } catch (RuntimeException | AssertionError e) {
                            System.out.println("ModelBasedFaultIT: fault failed: " + e);
                            failures.add(e.toString());
                        }
                        scheduleNext(thread, end);
                    },
                    gap,
                    TimeUnit.MILLISECONDS);
        }

        private Fault nextFault() {
            if (cycle.isEmpty()) {
                cycle.addAll(kinds);
                Collections.shuffle(cycle, random);
            }
            return cycle.removeFirst();
        }

        private void fire(Fault fault) {
            boolean entriesInFlight = entriesInFlight();
            System.out.printf(
                    "ModelBasedFaultIT: %s, entries in flight: %s, acknowledged so far: %d%n",
                    fault, entriesInFlight, acknowledged());
            switch (fault) {
                case WORKER_SIGKILL -> {
                    ForkedWorker victim = busiestWorker();
                    victim.kill();
                    victim.start();
                }
                case BACKENDS_TERMINATED -> {
                    String which =
                            random.nextBoolean() ? "cistern-fault-w%" : "cistern-fault-w" + (1 + random.nextInt(2));
                    String count = postgres.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                                    + " WHERE application_name LIKE '" + which + "'")
                            .strip();
                    terminatedBackends.addAndGet(Long.parseLong(count));
                }
                case WORKER_FROZEN_PAST_LEASE -> {
                    ForkedWorker victim = busiestWorker();
                    List<Integer> held = partitionsHeldBy(victim.workerId());
                    victim.freeze();
                    try {
                        await(victim.name() + " frozen until another worker took over its partitions " + held)
                                .atMost(LEASE.multipliedBy(10))
                                .pollInterval(Duration.ofMillis(100))
                                .until(() -> held.stream().allMatch(p -> takenByAnother(p, victim.workerId())));
                    } finally {
                        victim.thaw();
                    }
                }
                case POSTGRES_RESTARTED -> {
                    // Writes go on while PostgreSQL is down only to partitions whose floor a worker confirmed on the
                    // current Redis server; a partition left unconfirmed (Redis just restarted while it had no live
                    // owner) is confirmed only by a worker that takes it over, with a fencing token from PostgreSQL
                    // (docs/durability.md). So the outage starts once every partition is confirmed.
                    await("every partition confirmed before PostgreSQL stops")
                            .atMost(LEASE.multipliedBy(10))
                            .pollInterval(Duration.ofMillis(100))
                            .ignoreExceptions()
                            .until(this::everyPartitionConfirmed);
                    long before = acknowledged();
                    postgres.stop();
                    try {
                        // Down until writes were acknowledged during the outage (they must still reach PostgreSQL).
                        await("writes acknowledged while PostgreSQL is down")
                                .atMost(Duration.ofSeconds(20))
                                .pollInterval(Duration.ofMillis(50))
                                .until(() -> acknowledged() >= before + 200);
                    } finally {
                        postgres.startAgain();
                    }
                }
                case REDIS_AOF_RESTARTED -> redis.restart();
                case REDIS_DATA_LOST -> {
                    redis.loseAllData();
                    producers.forEach(Producer::redisLostItsData);
                }
                case REDIS_HISTORY_SHORTENED -> {
                    int p = busiestPartition();
                    long applied = versionFloor(p);
                    long cut = Math.max(0, applied - 1 - random.nextInt(40));
                    redis.restartEditedOffline(url -> {
                        long removed = shortenHistory(url, p, cut);
                        System.out.printf(
                                "ModelBasedFaultIT: partition %d cut back to version %d (PostgreSQL held %d): %d"
                                        + " entries gone%n",
                                p, cut, applied, removed);
                    });
                    // Writes acknowledged after the cut are gone by design: every key is uncertain until a later put
                    // or delete settles it, and that write must reach PostgreSQL above everything there.
                    producers.forEach(Producer::redisLostItsData);
                }
            }
            fired.merge(fault, 1, Integer::sum);
            if (entriesInFlight) {
                inFlight.incrementAndGet();
            }
        }

        /** The partition whose applied versions are highest: the one whose history has the most to lose. */
        private int busiestPartition() {
            int busiest = 0;
            long most = -1;
            for (int p = 0; p < PARTITIONS; p++) {
                long floor = versionFloor(p);
                if (floor > most) {
                    most = floor;
                    busiest = p;
                }
            }
            return busiest;
        }

        private long acknowledged() {
            return producers.stream().mapToLong(p -> p.acknowledged.get()).sum();
        }

        private boolean entriesInFlight() {
            try {
                Map<Integer, String> watermarks = watermarks();
                for (int p = 0; p < PARTITIONS; p++) {
                    if (compareIds(lastGeneratedId(p), watermarks.get(p)) > 0) {
                        return true;
                    }
                }
                return false;
            } catch (SQLException | RuntimeException e) {
                return false;
            }
        }

        /** The live worker holding the most leases (a fault on an idle worker would prove little). */
        private ForkedWorker busiestWorker() {
            ForkedWorker busiest = workers.get(random.nextInt(workers.size()));
            long most = -1;
            for (ForkedWorker w : workers) {
                long held = leasesHeldBy(w.workerId());
                if (held > most) {
                    most = held;
                    busiest = w;
                }
            }
            return busiest;
        }

        private List<Integer> partitionsHeldBy(String workerId) {
            List<Integer> held = new ArrayList<>();
            for (int p = 0; p < PARTITIONS; p++) {
                if (workerId.equals(redis().get(layout.lease(p)))) {
                    held.add(p);
                }
            }
            return held;
        }

        private boolean takenByAnother(int partition, String workerId) {
            String holder = redis().get(layout.lease(partition));
            return holder != null && !holder.equals(workerId);
        }

        /**
         * Whether the Redis server confirmed every partition's floor, asked without writing anything: a put to a table
         * that does not exist is refused with {@code CISTERN_UNCONFIRMED} before the table is even looked at, else with
         * {@code CISTERN_UNKNOWN_TABLE}.
         */
        private boolean everyPartitionConfirmed() {
            for (int p = 0; p < PARTITIONS; p++) {
                try {
                    redis().fcall(
                                    FunctionLibrary.functionName(io.cistern.schema.codec.Operation.PUT),
                                    ScriptOutputType.MULTI,
                                    new String[] {
                                        layout.record(p, "no_such_table", "probe"), layout.stream(p), layout.meta(p)
                                    },
                                    "no_such_table",
                                    "probe");
                } catch (io.lettuce.core.RedisCommandExecutionException e) {
                    if (e.getMessage() == null || !e.getMessage().startsWith("CISTERN_UNKNOWN_TABLE")) {
                        return false;
                    }
                }
            }
            return true;
        }

        private long leasesHeldBy(String workerId) {
            long held = 0;
            for (int p = 0; p < PARTITIONS; p++) {
                if (workerId.equals(redis().get(layout.lease(p)))) {
                    held++;
                }
            }
            return held;
        }

        boolean finished() {
            return finished;
        }

        void awaitStopped() throws InterruptedException {
            stopped.await(1, TimeUnit.MINUTES);
        }

        Map<Fault, Integer> fired() {
            Map<Fault, Integer> copy = new EnumMap<>(Fault.class);
            synchronized (fired) {
                copy.putAll(fired);
            }
            return copy;
        }

        long inFlight() {
            return inFlight.get();
        }

        long terminatedBackends() {
            return terminatedBackends.get();
        }

        List<String> failures() {
            synchronized (failures) {
                return List.copyOf(failures);
            }
        }
    }
}
