package io.cistern.sync.fault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.cistern.connections.RedisClients;
import io.cistern.connections.RedisSettings;
import io.cistern.connections.testing.PrivateRedis;
import io.cistern.connections.testing.TestDatabase;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.postgres.InitOptions;
import io.cistern.schema.postgres.Initializer;
import io.cistern.writer.RecordKey;
import io.cistern.writer.RecordWriter;
import io.cistern.writer.WriteReceipt;
import io.cistern.writer.WriterSettings;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Invariant 4 (one owner per partition) with real processes: a worker frozen with SIGSTOP between reading a batch and
 * committing it commits nothing and acknowledges nothing once another worker has taken the partition over.
 *
 * <p>How the window is made deterministic without touching the worker: the test holds the partition's {@code
 * cistern_partition} row lock, so the first worker's transaction blocks inside its fence check with the batch read
 * (visible in {@code pg_stat_activity}); it is frozen there, and the lock released. The blocked fence check then
 * succeeds on the server while the process is frozen, so the frozen worker's open transaction holds the fence row: the
 * second worker's token increment waits for it until the server ends the frozen session
 * ({@code idle_in_transaction_session_timeout}, set short here through {@code DB_IDLE_IN_TRANSACTION_TIMEOUT_MS}). The
 * second worker then takes a newer token, applies the pending batch and acknowledges it. Resumed, the first worker's
 * transaction is gone, its retry fails the fence check, and it acknowledges nothing. XACK calls are counted on a
 * private Redis, where only these workers run commands.
 */
class FencedCommitIT {
    private static final String DOCS = "source_documents";
    private static final Duration LEASE = Duration.ofSeconds(2);
    private static final Duration IDLE_IN_TRANSACTION = Duration.ofSeconds(2);

    private static TestDatabase db;
    private static PrivateRedis redis;
    private static RedisClient redisClient;
    private static StatefulRedisConnection<String, String> redisConnection;
    private static HikariDataSource dataSource;
    private static KeyLayout layout;
    private static RecordWriter writer;
    private static Path logDir;
    private final List<ForkedWorker> workers = new ArrayList<>();

    @BeforeAll
    static void startServers() {
        db = TestDatabase.create(FencedCommitIT.class.getSimpleName());
        redis = PrivateRedis.start();
        redisClient = RedisClients.create(RedisSettings.of(redis.url()));
        redisConnection = redisClient.connect();
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(db.jdbcUrl());
        config.setPoolName("fenced-commit-test");
        config.setMaximumPoolSize(2);
        dataSource = new HikariDataSource(config);
        layout = new KeyLayout("fenced");
        // One partition: every write lands in the batch the frozen worker holds.
        new Initializer(dataSource, redisConnection.sync())
                .run(InitOptions.defaults(layout).withPartitions(1));
        writer = RecordWriter.connect(
                WriterSettings.of(redis.url()).mutate().prefix(layout.prefix()).build());
        logDir = Path.of("target", "fault-logs", "FencedCommitIT-" + System.currentTimeMillis());
    }

    @AfterEach
    void killWorkers() {
        workers.forEach(ForkedWorker::close);
    }

    @AfterAll
    static void stopServers() {
        try {
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
                if (db != null) {
                    db.close();
                }
            }
        }
    }

    @Test
    void workerFrozenBetweenReadingABatchAndCommittingIt_commitsNothingAndAcknowledgesNothing_afterATakeover()
            throws SQLException {
        // given: the first worker owns the only partition and is reading new entries
        ForkedWorker first = launch("first");
        await("first worker holds the lease")
                .atMost(Duration.ofSeconds(20))
                .until(() -> first.workerId().equals(redis().get(layout.lease(0))));
        UUID warmUp = UUID.randomUUID();
        writer.put(DOCS, RecordKey.of(warmUp), Map.of("filename", "warm-up.pdf"));
        await("warm-up record applied")
                .atMost(Duration.ofSeconds(20))
                .until(() -> documentRow(warmUp) != null && pending() == 0);

        UUID doc = UUID.randomUUID();
        long firstToken;
        WriteReceipt frozenWrite;
        try (Connection lock = DriverManager.getConnection(db.jdbcUrl())) {
            lock.setAutoCommit(false);
            firstToken = Long.parseLong(
                    scalar(lock, "SELECT fence_token FROM cistern_partition WHERE partition = 0 FOR UPDATE"));

            // when: the first worker reads a batch, and blocks in its fence check on the row the test holds
            frozenWrite = writer.put(DOCS, RecordKey.of(doc), Map.of("filename", "v1.pdf", "status", "processing"));
            await("the first worker's fence check waits for the row lock, with the batch read")
                    .atMost(Duration.ofSeconds(20))
                    .until(() -> "Lock".equals(waitEventOf("cistern-fenced-first")));
            assertThat(pending())
                    .as("the batch is read and pending under the partition")
                    .isEqualTo(1);

            // ... and is frozen there, then the lock is released
            first.freeze();
            lock.rollback();
        }

        // ... another worker takes the partition over after the lease expired, and applies the batch
        ForkedWorker second = launch("second");
        await("second worker takes the lease once the frozen worker's has expired")
                .atMost(LEASE.plus(IDLE_IN_TRANSACTION).plusSeconds(20))
                .until(() -> second.workerId().equals(redis().get(layout.lease(0))));
        await("second worker applies and acknowledges the frozen worker's batch")
                .atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> {
                    assertThat(documentRow(doc)).as(second.tail()).isNotNull();
                    assertThat(pending()).isZero();
                });
        long secondToken = Long.parseLong(scalar("SELECT fence_token FROM cistern_partition WHERE partition = 0"));
        assertThat(secondToken).isGreaterThan(firstToken);
        // ... and a newer write of the same record after it
        WriteReceipt newer = writer.patch(DOCS, RecordKey.of(doc), Map.of("status", "done"));
        await("second worker applies the newer write")
                .atMost(Duration.ofSeconds(20))
                .until(() ->
                        Long.toString(newer.version()).equals(documentRow(doc).get("cistern_version"))
                                && pending() == 0);
        long xacksBeforeResume = xackCalls();

        first.thaw();

        // then: the resumed worker's transaction is refused by the fence, and it acknowledges nothing
        await("the resumed worker reports its token as stale")
                .atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(first.output())
                        .as(first.tail())
                        .contains("partition 0: fencing token " + firstToken + " is stale"));
        assertThat(xackCalls()).as("XACK calls after the frozen worker resumed").isEqualTo(xacksBeforeResume);
        assertThat(pending()).isZero();
        assertThat(documentRow(doc))
                .as("the row carries the newest write, not the frozen batch")
                .containsEntry("filename", "v1.pdf")
                .containsEntry("status", "done")
                .containsEntry("cistern_version", Long.toString(newer.version()));
        assertThat(newer.version()).isGreaterThan(frozenWrite.version());
        assertThat(scalar("SELECT fence_token FROM cistern_partition WHERE partition = 0"))
                .as("no token was taken after the second worker's")
                .isEqualTo(Long.toString(secondToken));
        assertThat(redis().get(layout.lease(0))).isEqualTo(second.workerId());
    }

    private ForkedWorker launch(String name) {
        ForkedWorker worker = ForkedWorker.launch(
                name,
                logDir,
                Map.of(
                        "REDIS_URL", redis.url(),
                        "DATABASE_URL", db.jdbcUrl(),
                        "DB_APPLICATION_NAME", "cistern-fenced-" + name,
                        "DB_IDLE_IN_TRANSACTION_TIMEOUT_MS", Long.toString(IDLE_IN_TRANSACTION.toMillis())),
                layout.prefix(),
                LEASE);
        workers.add(worker);
        return worker;
    }

    private static RedisCommands<String, String> redis() {
        return redisConnection.sync();
    }

    private static long pending() {
        return redis().xpending(layout.stream(0), "sync").getCount();
    }

    /** Calls of XACK on the private Redis since it started. */
    private static long xackCalls() {
        String stats = redis().info("commandstats");
        for (String line : stats.split("\r?\n")) {
            if (line.startsWith("cmdstat_xack:")) {
                String calls = line.substring(line.indexOf("calls=") + 6);
                return Long.parseLong(calls.substring(0, calls.indexOf(',')));
            }
        }
        return 0;
    }

    private static String waitEventOf(String applicationName) {
        return scalar("SELECT coalesce(max(wait_event_type), '') FROM pg_stat_activity WHERE application_name = '"
                + applicationName + "' AND state = 'active' AND query LIKE '%cistern_partition%'");
    }

    private static Map<String, String> documentRow(UUID doc) throws SQLException {
        try (Connection c = dataSource.getConnection();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(
                        "SELECT filename, status, cistern_version FROM source_documents WHERE document_uuid = '" + doc
                                + "'")) {
            if (!rs.next()) {
                return null;
            }
            return Map.of("filename", rs.getString(1), "status", rs.getString(2), "cistern_version", rs.getString(3));
        }
    }

    private static String scalar(String query) {
        try (Connection c = dataSource.getConnection()) {
            return scalar(c, query);
        } catch (SQLException e) {
            throw new IllegalStateException(query + ": " + e.getMessage(), e);
        }
    }

    private static String scalar(Connection c, String query) {
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(query)) {
            rs.next();
            return rs.getString(1);
        } catch (SQLException e) {
            throw new IllegalStateException(query + ": " + e.getMessage(), e);
        }
    }
}
