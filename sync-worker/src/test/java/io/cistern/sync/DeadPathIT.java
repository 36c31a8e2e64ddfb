package io.cistern.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.zaxxer.hikari.HikariDataSource;
import io.cistern.connections.DataSources;
import io.cistern.connections.DatabaseSettings;
import io.cistern.connections.testing.PrivatePostgres;
import io.cistern.connections.testing.TcpRelay;
import io.cistern.connections.testing.TestDatabase;
import io.cistern.connections.testing.TestRedis;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.postgres.InitOptions;
import io.cistern.schema.postgres.Initializer;
import io.cistern.schema.registry.TableRegistry;
import io.cistern.writer.RecordKey;
import io.cistern.writer.RecordWriter;
import io.cistern.writer.WriteReceipt;
import io.cistern.writer.WriterSettings;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * The worker's path to PostgreSQL dies while writes keep flowing into Redis, the way a NAT gateway, a VPN tunnel or a
 * relay fails: open connections stop passing bytes (no reset, no FIN) and new ones are refused for ten seconds; then
 * new connections work again and the old ones stay dead for good. The worker runs with its default timeouts (socket
 * timeout a minute, stall timeout five seconds) through a {@link TcpRelay} the test controls.
 *
 * <p>Each scenario checks: every partition loop applies again within seconds of the path's return (before the stall
 * bound, each sat on a dead connection until the socket timeout), every written version reaches PostgreSQL, and
 * nothing is dead-lettered. Each counts the writes made while the path was down, so a scenario whose outage hit an idle
 * pipeline fails.
 */
class DeadPathIT {
    private static final String DOCS = "source_documents";
    private static final int PARTITIONS = 4;
    private static final int KEYS = 200;
    private static final Duration OUTAGE = Duration.ofSeconds(10);
    /**
     * The brief's five seconds, plus one: during an outage HikariCP's connection adder retries with a backoff that
     * grows to 5 s (fixed in HikariCP), so the pool's first new connection may come up to 5 s after the path returns;
     * the second is for that connection's setup and a busy machine's scheduling.
     */
    private static final Duration RECOVERY = Duration.ofSeconds(6);
    /** About 50 writes a second, as in the report that prompted this test. */
    private static final Duration WRITE_EVERY = Duration.ofMillis(20);

    @Test
    void silentPath_backForNewConnectionsOnly_everyPartitionAppliesWithinSeconds_nothingLost() throws Exception {
        try (TestDatabase db = TestDatabase.create("deadpath-silent")) {
            try (Pipeline p = new Pipeline(db.jdbcUrl(), db.jdbcUrl())) {
                p.survives(
                        "silent", () -> p.relay.mode(TcpRelay.Mode.SILENT), () -> p.relay.mode(TcpRelay.Mode.NEW_ONLY));
                assertThat(p.silencedFlowsLeft())
                        .as("connections open when the path went silent stay dead (and unused) after it returns")
                        .isPositive();
            }
        }
    }

    @Test
    void relayResetsEverything_thenRefusesForTenSeconds_everyPartitionAppliesWithinSeconds_nothingLost()
            throws Exception {
        try (TestDatabase db = TestDatabase.create("deadpath-reset")) {
            try (Pipeline p = new Pipeline(db.jdbcUrl(), db.jdbcUrl())) {
                p.survives("reset", () -> p.relay.mode(TcpRelay.Mode.RESET), () -> p.relay.mode(TcpRelay.Mode.PASS));
            }
        }
    }

    @Test
    void silentPath_whilePostgresRestartsBehindIt_everyPartitionAppliesWithinSeconds_nothingLost() throws Exception {
        try (PrivatePostgres postgres = PrivatePostgres.start()) {
            postgres.execute("CREATE DATABASE cistern");
            String url = postgres.jdbcUrl("cistern") + "?user=postgres";
            try (Pipeline p = new Pipeline(url, url)) {
                p.survives(
                        "silent, PostgreSQL restarted",
                        () -> {
                            p.relay.mode(TcpRelay.Mode.SILENT);
                            postgres.restart();
                        },
                        () -> p.relay.mode(TcpRelay.Mode.NEW_ONLY));
            }
        }
    }

    /** One Cistern: a database (reached directly by the test, through the relay by the worker), a Redis prefix. */
    private static final class Pipeline implements AutoCloseable {
        final TcpRelay relay;
        final TestRedis redis;
        final KeyLayout layout;
        final HikariDataSource direct;
        final HikariDataSource throughRelay;
        final TableRegistry registry;
        final RecordWriter writer;
        final List<UUID> keys = new ArrayList<>();
        final Map<UUID, WriteReceipt> latest = new ConcurrentHashMap<>();
        final Map<UUID, String> latestFilename = new ConcurrentHashMap<>();
        final AtomicInteger written = new AtomicInteger();
        volatile boolean writing = true;
        Thread producer;

        Pipeline(String directUrl, String workerUrl) {
            redis = TestRedis.create("deadpath");
            layout = new KeyLayout(redis.prefix());
            DatabaseSettings settings = DatabaseSettings.ofJdbcUrl(directUrl);
            int port = settings.hosts().getFirst().port();
            relay = TcpRelay.to(port);
            direct = DataSources.create(settings.mutate().poolSize(2).build(), "deadpath-test");
            registry = new Initializer(direct, redis.commands())
                    .run(InitOptions.defaults(layout).withPartitions(PARTITIONS))
                    .registry();
            // The worker's pool as ops/cistern builds it, with every default timeout; only the host is the relay.
            DatabaseSettings viaRelay = DatabaseSettings.ofJdbcUrl(workerUrl)
                    .mutate()
                    .hosts(List.of(new DatabaseSettings.Host("127.0.0.1", relay.port())))
                    .applicationName("cistern-deadpath")
                    .build();
            throughRelay = DataSources.create(viaRelay, "deadpath-sync");
            writer = RecordWriter.connect(WriterSettings.of(redis.url())
                    .mutate()
                    .prefix(redis.prefix())
                    .build());
            for (int i = 0; i < KEYS; i++) {
                keys.add(UUID.randomUUID());
            }
        }

        /**
         * Writes flow throughout; the path breaks ({@code breakPath}) for {@link #OUTAGE}, then {@code restorePath};
         * every partition must apply again within {@link #RECOVERY}, and PostgreSQL must end with every key's latest
         * write.
         */
        void survives(String scenario, Runnable breakPath, Runnable restorePath) throws Exception {
            SyncSettings settings = SyncSettings.defaults(layout)
                    .mutate()
                    .linger(Duration.ofMillis(10))
                    .stallTimeout(Duration.ofMillis(Long.getLong("deadpath.stall", 5000)))
                    .build();
            try (SyncWorker worker = new SyncWorker(settings, registry, throughRelay, redis.client())) {
                worker.start();
                startWriting();
                await().atMost(Duration.ofSeconds(20))
                        .untilAsserted(() -> assertThat(watermarks().values())
                                .hasSize(PARTITIONS)
                                .doesNotContain("0-0"));

                int beforeOutage = written.get();
                long brokeAt = System.nanoTime();
                breakPath.run();
                LockSupport.parkNanos(OUTAGE.toNanos() - (System.nanoTime() - brokeAt));
                Map<Integer, String> atReturn = watermarks();
                int duringOutage = written.get() - beforeOutage;
                long returnedAt = System.nanoTime();
                restorePath.run();

                Map<Integer, Long> appliedAfter = new HashMap<>();
                await().atMost(RECOVERY.plusSeconds(10))
                        .pollInterval(Duration.ofMillis(50))
                        .ignoreExceptions()
                        .until(() -> {
                            Map<Integer, String> now = watermarks();
                            long at = System.nanoTime() - returnedAt;
                            now.forEach((partition, watermark) -> {
                                if (!watermark.equals(atReturn.get(partition))) {
                                    appliedAfter.putIfAbsent(partition, at);
                                }
                            });
                            return appliedAfter.size() == PARTITIONS;
                        });
                long slowestMillis = appliedAfter.values().stream()
                                .mapToLong(Long::longValue)
                                .max()
                                .orElseThrow()
                        / 1_000_000;
                System.out.printf(
                        "DeadPathIT %s: %d writes while the path was down; every partition applied again %d ms after"
                                + " it returned (%s)%n",
                        scenario, duringOutage, slowestMillis, appliedAfter);
                assertThat(duringOutage)
                        .as("writes made while the path was down (an outage that hit an idle pipeline proves nothing)")
                        .isGreaterThan(100);
                assertThat(slowestMillis)
                        .as("the slowest partition's first apply after the path returned, ms")
                        .isLessThanOrEqualTo(RECOVERY.toMillis());

                stopWriting();
                await().atMost(Duration.ofSeconds(30))
                        .pollInterval(Duration.ofMillis(200))
                        .ignoreExceptions()
                        .untilAsserted(() -> assertThat(missingVersions()).isEmpty());
            }
            assertThat(count("SELECT count(*) FROM cistern_dead_letter")).isZero();
            assertThat(count("SELECT count(*) FROM " + DOCS)).isEqualTo(KEYS);
        }

        private void startWriting() {
            producer = Thread.ofPlatform().name("deadpath-producer").start(() -> {
                long next = System.nanoTime();
                for (int i = 0; writing; i++) {
                    UUID key = keys.get(i % KEYS);
                    String filename = "write-" + i + ".pdf";
                    WriteReceipt receipt = writer.put(DOCS, RecordKey.of(key), Map.of("filename", filename));
                    latest.put(key, receipt);
                    latestFilename.put(key, filename);
                    written.incrementAndGet();
                    next += WRITE_EVERY.toNanos();
                    LockSupport.parkNanos(next - System.nanoTime());
                }
            });
        }

        private void stopWriting() throws InterruptedException {
            writing = false;
            producer.join(Duration.ofSeconds(5));
        }

        /** Keys whose latest written version (and value) PostgreSQL does not hold yet, with what it holds. */
        private List<String> missingVersions() throws SQLException {
            Map<String, String[]> rows = new HashMap<>();
            try (Connection c = direct.getConnection();
                    Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT document_uuid, cistern_version, filename FROM " + DOCS)) {
                while (rs.next()) {
                    rows.put(rs.getString(1), new String[] {rs.getString(2), rs.getString(3)});
                }
            }
            List<String> missing = new ArrayList<>();
            latest.forEach((key, receipt) -> {
                String[] row = rows.get(key.toString());
                if (row == null
                        || Long.parseLong(row[0]) != receipt.version()
                        || !row[1].equals(latestFilename.get(key))) {
                    missing.add(key + " v" + receipt.version() + " (PostgreSQL: "
                            + (row == null ? "no row" : "v" + row[0] + " " + row[1]) + ")");
                }
            });
            return missing;
        }

        /** Each partition's applied watermark, read directly (not through the relay). */
        private Map<Integer, String> watermarks() throws SQLException {
            Map<Integer, String> out = new HashMap<>();
            try (Connection c = direct.getConnection();
                    Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT partition, applied_watermark FROM cistern_partition")) {
                while (rs.next()) {
                    out.put(rs.getInt(1), rs.getString(2));
                }
            }
            return out;
        }

        private long count(String query) throws SQLException {
            try (Connection c = direct.getConnection();
                    Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery(query)) {
                rs.next();
                return rs.getLong(1);
            }
        }

        long silencedFlowsLeft() {
            return relay.openConnections() - relay.forwardingConnections();
        }

        @Override
        public void close() {
            writing = false;
            writer.close();
            throughRelay.close();
            direct.close();
            relay.close();
            redis.close();
        }
    }
}
