package io.cistern.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cistern.connections.DatabaseSettings;
import io.cistern.connections.RedisClients;
import io.cistern.connections.RedisSettings;
import io.cistern.connections.testing.PrivatePostgres;
import io.cistern.connections.testing.PrivateRedis;
import io.cistern.connections.testing.TcpRelay;
import io.cistern.connections.testing.TestDatabase;
import io.cistern.reader.ReaderSettings;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.pools.DatabasePool;
import io.cistern.schema.pools.PoolAnnouncer;
import io.cistern.sync.SyncSettings;
import io.lettuce.core.RedisClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code ops/cistern doctor}'s {@code postgres.connections} check against the pools running Cistern processes announce
 * in Redis: a real sync worker and read proxy, a PostgreSQL with a small {@code max_connections} for the thresholds,
 * and a worker cut off from Redis whose announcement expires.
 */
class DoctorConnectionBudgetIT {
    private static final Pattern CONNECTIONS = Pattern.compile("\\[(.{4})] postgres\\.connections: (.*)");
    private static final KeyLayout LAYOUT = KeyLayout.defaults();

    private PrivateRedis redis;

    @BeforeEach
    void startRedis() {
        redis = PrivateRedis.start();
    }

    @AfterEach
    void stopRedis() {
        redis.close();
    }

    @Test
    void runningWorkerAndProxy_areCountedAtTheirPoolSizes_andDropOutWhenTheyClose() {
        try (TestDatabase db = TestDatabase.create("DoctorConnectionBudgetIT")) {
            init(db.jdbcUrl());
            DatabaseSettings workerDb = pool(db.jdbcUrl(), 5);
            DatabaseSettings proxyDb = pool(db.jdbcUrl(), 3);
            RedisSettings redisSettings = RedisSettings.of(redis.url());
            SyncWorkerCommand.Running worker = new SyncWorkerCommand.Running();
            DeferredCachedReader proxy = new DeferredCachedReader("Redis");
            try {
                // given a sync worker with a pool of 5 and a read proxy with a pool of 3, both running
                worker.start(redisSettings, workerDb, SyncSettings.defaults(LAYOUT));
                RedisProxyCommand.connect(
                        proxy,
                        ReaderSettings.defaults().mutate().layout(LAYOUT).build(),
                        redisSettings,
                        proxyDb,
                        new SimpleMeterRegistry());

                // then doctor counts both, plus itself, whatever its own DB_POOL_SIZE
                await().atMost(Duration.ofSeconds(20))
                        .untilAsserted(() -> assertThat(connections(db.jdbcUrl()))
                                .startsWith(
                                        "[ OK ] announced: 1 read-proxy pool of 3, 1 sync-worker pool of 5 = 8; + doctor/init"
                                                + " 1 = 9 of "));
                // and a plan for more processes than run is counted when it is larger
                assertThat(connections(db.jdbcUrl(), "--database-clients", "4"))
                        .contains("= 8; planned (--database-clients 4): 4 x DB_POOL_SIZE")
                        .contains(", counted as larger; + doctor/init 1 =");
            } finally {
                proxy.close();
                worker.close();
            }

            // when both close, their announcements are withdrawn at once
            assertThat(connections(db.jdbcUrl()))
                    .contains("no Cistern process announced a pool to ")
                    .contains("assumed (--database-clients default 2)");
        }
    }

    @Test
    void smallMaxConnections_passesWarnsAndFailsAtTheThresholds_namingWhatToLower() {
        // max_connections 10 - 3 superuser_reserved_connections: 7 available to Cistern
        try (PrivatePostgres postgres =
                PrivatePostgres.builder().maxConnections(10).start()) {
            String url = postgres.jdbcUrl();
            RedisClient client = RedisClients.create(RedisSettings.of(redis.url()));
            try {
                // 2 + doctor = 3: at most half of 7
                try (PoolAnnouncer a = announce(client, DatabasePool.SYNC_WORKER, 2, url)) {
                    await().atMost(Duration.ofSeconds(10))
                            .untilAsserted(() -> assertThat(connections(url))
                                    .startsWith("[ OK ] announced: 1 sync-worker pool of 2 = 2;"));
                }
                // 2 + 2 + doctor = 5: more than half
                try (PoolAnnouncer a = announce(client, DatabasePool.SYNC_WORKER, 2, url);
                        PoolAnnouncer b = announce(client, DatabasePool.READ_PROXY, 2, url)) {
                    await().atMost(Duration.ofSeconds(10))
                            .untilAsserted(() -> assertThat(connections(url))
                                    .startsWith(
                                            "[WARN] announced: 1 read-proxy pool of 2, 1 sync-worker pool of 2 = 4;")
                                    .contains(
                                            "= 5 of 7 connections (max_connections 10 - 3 reserved): more than half"));
                }
                // 4 + 3 + doctor = 8: more than the server admits
                try (PoolAnnouncer a = announce(client, DatabasePool.SYNC_WORKER, 4, url);
                        PoolAnnouncer b = announce(client, DatabasePool.READ_PROXY, 3, url)) {
                    String out = await().atMost(Duration.ofSeconds(10))
                            .until(() -> cli(url, "doctor"), o -> line(o).contains("= 7;"));
                    assertThat(line(out))
                            .startsWith("[FAIL] announced: 1 read-proxy pool of 3, 1 sync-worker pool of 4 = 7;")
                            .contains("= 8 of 7 connections");
                    assertThat(out)
                            .contains(
                                    "lower DB_POOL_SIZE on the sync-worker processes (4 connections) or DB_POOL_SIZE on the read-proxy"
                                            + " processes (3 connections), raise max_connections to at least 11, or put a"
                                            + " connection pooler (PgBouncer, RDS Proxy) in front");
                }
            } finally {
                client.shutdown();
            }
        }
    }

    @Test
    void aWorkerCutOffFromRedis_isNoLongerCounted_afterOneLeaseTime() {
        try (TestDatabase db = TestDatabase.create("DoctorConnectionBudgetIT");
                TcpRelay relay = TcpRelay.to(redis.port())) {
            init(db.jdbcUrl());
            SyncWorkerCommand.Running worker = new SyncWorkerCommand.Running();
            try {
                // given a worker announcing its pool of 6 for one short lease time, through a relay to Redis
                worker.start(
                        RedisSettings.of("redis://127.0.0.1:" + relay.port()),
                        pool(db.jdbcUrl(), 6),
                        SyncSettings.defaults(LAYOUT)
                                .mutate()
                                .leaseTime(Duration.ofMillis(1500))
                                .renewInterval(Duration.ofMillis(300))
                                .drainTimeout(Duration.ofSeconds(2))
                                .build());
                await().atMost(Duration.ofSeconds(20))
                        .untilAsserted(
                                () -> assertThat(connections(db.jdbcUrl())).contains("1 sync-worker pool of 6 = 6"));

                // when the worker can no longer reach Redis (as if its process died: it neither renews nor withdraws)
                relay.mode(TcpRelay.Mode.SILENT);

                // then its announcement expires within its lifetime, and doctor stops counting it
                await().atMost(Duration.ofSeconds(10))
                        .untilAsserted(() -> assertThat(connections(db.jdbcUrl()))
                                .contains("no Cistern process announced a pool to "));
            } finally {
                relay.mode(TcpRelay.Mode.RESET);
                worker.close();
            }
        }
    }

    private void init(String jdbcUrl) {
        StringWriter out = new StringWriter();
        int code = CisternCli.commandLine()
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(out, true))
                .execute("init", "--redis-url", redis.url(), "--database-url", jdbcUrl);
        assertThat(code).as(out.toString()).isZero();
    }

    private static DatabaseSettings pool(String jdbcUrl, int size) {
        return DatabaseSettings.ofJdbcUrl(jdbcUrl).mutate().poolSize(size).build();
    }

    private static PoolAnnouncer announce(RedisClient client, String component, int size, String jdbcUrl) {
        DatabaseSettings s = DatabaseSettings.ofJdbcUrl(jdbcUrl);
        return PoolAnnouncer.start(
                client,
                LAYOUT,
                DatabasePool.ofThisProcess(component, size, DatabasePool.database(s.hosts(), s.database())),
                PoolAnnouncer.DEFAULT_LIFETIME);
    }

    /** The postgres.connections line of a doctor run: status and detail. */
    private String connections(String jdbcUrl, String... more) {
        return line(cli(
                jdbcUrl, Stream.concat(Stream.of("doctor"), Arrays.stream(more)).toArray(String[]::new)));
    }

    private static String line(String out) {
        Matcher m = CONNECTIONS.matcher(out);
        assertThat(m.find()).as(out).isTrue();
        return "[" + m.group(1) + "] " + m.group(2);
    }

    private String cli(String jdbcUrl, String... command) {
        StringWriter out = new StringWriter();
        String[] args = Stream.concat(
                        Arrays.stream(command), Stream.of("--redis-url", redis.url(), "--database-url", jdbcUrl))
                .toArray(String[]::new);
        CisternCli.commandLine()
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(out, true))
                .execute(args);
        return out.toString();
    }
}
