package io.cistern.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cistern.connections.testing.PrivatePostgres;
import io.cistern.connections.testing.TcpRelay;
import io.cistern.connections.testing.TestRedis;
import io.cistern.schema.codec.ExactJson;
import io.cistern.writer.RecordKey;
import io.cistern.writer.RecordWriter;
import io.cistern.writer.WriterSettings;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;

/**
 * Readiness, the {@code cistern_partition_stalled} gauge and the dashboard's status tell the truth about a dead
 * database path: a sync worker's (private) PostgreSQL stops while writes flow; within the stall bound plus two status
 * reads (and some slack for a loaded machine) the worker's readiness is down naming the stalled partitions, and once a
 * batch attempt has failed, the worker's last error, although the lag check (5 min) would still say nothing; once
 * PostgreSQL is back and the backlog drains, readiness is up, no last error stands and every write is in PostgreSQL.
 *
 * <p>The path to PostgreSQL also dies the way a NAT gateway, a VPN tunnel or a relay fails, through a {@link TcpRelay}
 * the test controls: the worker (default socket timeout a minute, stall timeout {@code SYNC_STALL_TIMEOUT_MS} five
 * seconds) must have every partition loop applying again within seconds of the path's return; before the stall timeout,
 * each sat on a dead connection until the socket timeout.
 *
 * <p>One private PostgreSQL serves the class, a database of its own for each test: a cluster's {@code initdb} costs
 * seconds on a busy machine, a database a fraction of one.
 */
class ApplyStallIT {
    private static final Duration MAX_STALL = Duration.ofSeconds(4);
    /** The default status refresh interval: the worker reads the status this often. */
    private static final Duration REFRESH = Duration.ofSeconds(2);

    /** A stalled partition's reason in full, with its worker's last error, as the taxonomy classifies it. */
    private static final Pattern NAMED_ERROR = Pattern.compile("partition \\d+: applied nothing for [\\d.]+ s with \\d+"
            + " entries waiting, over the 4 s stall bound \\(owner stall-worker; last error at [^:]+:[^:]+:[^:]+:"
            + " (CONNECTION|SERVER_NOT_READY)");

    private static final Pattern STALLED_GAUGE =
            Pattern.compile("cistern_partition_stalled\\{partition=\"(\\d+)\"} 1\\.0");

    /**
     * How soon after the path returns every partition must apply again: the brief's five seconds, plus one. During an
     * outage HikariCP's connection adder retries with a backoff that grows to 5 s (fixed in HikariCP), so the pool's
     * first new connection may come up to 5 s after the path returns; the second is for that connection's setup and a
     * busy machine's scheduling (docs/runbook.md).
     */
    private static final Duration RECOVERY = Duration.ofSeconds(6);

    /** Few partitions, so that at about 50 writes a second each has entries waiting when the path breaks. */
    private static final int PARTITIONS = 4;

    private static final AtomicInteger DATABASES = new AtomicInteger();
    private static PrivatePostgres postgres;
    private String database;
    private TestRedis redis;
    private SyncWorkerCommand worker;
    private final ScheduledExecutorService producer = Executors.newSingleThreadScheduledExecutor();
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void startPostgres() {
        postgres = PrivatePostgres.start();
    }

    @AfterAll
    static void stopPostgres() {
        postgres.close();
    }

    @BeforeEach
    void setUp() {
        if (!postgres.isReady()) {
            postgres.startAgain(); // a test that failed while it was stopped
        }
        database = "stall_" + DATABASES.incrementAndGet();
        postgres.execute("CREATE DATABASE " + database);
        redis = TestRedis.create("ApplyStallIT");
    }

    @AfterEach
    void tearDown() throws Exception {
        producer.shutdownNow();
        producer.awaitTermination(10, TimeUnit.SECONDS);
        if (worker != null) {
            worker.stop();
        }
        redis.close();
    }

    @Test
    void databaseGoesAway_whileWritesFlow_readinessIsDownNamingTheStalledPartitionAndLastError_thenUpOnceDrained()
            throws Exception {
        // given: writes flowing, every partition, and a worker applying them
        int port = startWorker(databaseUrl());
        AtomicInteger written = new AtomicInteger();
        RecordWriter writer = startWriting(written, 10, port);

        // when: the database goes away
        postgres.stop();
        long stoppedAt = System.nanoTime();
        int writtenAtStop = written.get();

        // then: readiness is down for the stall within the bound plus a status read, whatever the lag says
        await().atMost(MAX_STALL.plus(REFRESH.multipliedBy(2)).plus(Duration.ofSeconds(10)))
                .pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> assertThat(
                                lagReady(port).path("details").path("stalled").asString(""))
                        .contains("applied nothing for"));
        Duration detectedAfter = Duration.ofNanos(System.nanoTime() - stoppedAt);
        // and names the worker's last error once a batch attempt has failed (the pool gives up on a new connection
        // after its connect timeout, 5 s: a stall may be seen before that, reported as "no error" meanwhile)
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> assertThat(
                                lagReady(port).path("details").path("stalled").asString(""))
                        .containsPattern(NAMED_ERROR));
        Duration namedAfter = Duration.ofNanos(System.nanoTime() - stoppedAt);
        JsonNode lagReady = lagReady(port);
        String stalled = lagReady.path("details").path("stalled").asString();
        System.out.printf(
                "ApplyStallIT: stall reported %d ms, last error named %d ms after PostgreSQL stopped (bound %d ms,"
                        + " status read every %d ms): %s%n",
                detectedAfter.toMillis(), namedAfter.toMillis(), MAX_STALL.toMillis(), REFRESH.toMillis(), stalled);
        assertThat(lagReady.path("status").asString()).isEqualTo("DOWN");
        assertThat(lagReady.path("details").has("lag"))
                .as("the lag check alone still says nothing")
                .isFalse();
        assertThat(stalled).containsPattern(NAMED_ERROR).doesNotContain(databaseUrl());
        assertThat(written.get()).as("writes kept succeeding").isGreaterThan(writtenAtStop);
        HttpResponse<String> metrics = get(port, "/actuator/prometheus");
        Matcher gauge = STALLED_GAUGE.matcher(metrics.body());
        assertThat(gauge.find()).as("a cistern_partition_stalled gauge is 1").isTrue();
        JsonNode status =
                ExactJson.mapper().readTree(get(port, "/cistern/status").body());
        assertThat(status.get("stalls")
                        .valueStream()
                        .map(s -> s.get("partition").asInt()))
                .contains(Integer.parseInt(gauge.group(1)));
        assertThat(status.get("stalls")
                        .valueStream()
                        .map(s -> s.get("partition").asInt()))
                .as("the dashboard shows a stalled partition with its last error")
                .anySatisfy(p -> assertThat(status.get("partitions")
                                .get(p)
                                .get("lastError")
                                .path("message")
                                .asString(""))
                        .isNotBlank());

        // when: the database returns and the writes stop
        postgres.startAgain();
        // Without an interrupt: a put interrupted after Redis applied it would be written but not counted.
        producer.shutdown();
        assertThat(producer.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        int acknowledged = written.get();
        writer.close();

        // then: the backlog drains, readiness is up again, and no write was lost
        await().atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(500))
                .ignoreExceptions()
                .untilAsserted(() -> {
                    assertThat(rows()).isEqualTo(acknowledged);
                    HttpResponse<String> ready = get(port, "/actuator/health/readiness");
                    assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
                });
        assertThat(get(port, "/actuator/prometheus").body()).doesNotContainPattern(STALLED_GAUGE);
        JsonNode after =
                ExactJson.mapper().readTree(get(port, "/cistern/status").body());
        assertThat(after.get("stalls").isEmpty()).isTrue();
        assertThat(after.get("partitions")
                        .valueStream()
                        .filter(p -> !p.get("lastError").isNull()))
                .as("every partition committed since: no last error stands")
                .isEmpty();
    }

    /** How the path between the worker and PostgreSQL breaks, and how it comes back. */
    enum Outage {
        /** Open connections stop passing bytes (no RST, no FIN), then only new connections work again. */
        SILENT_THEN_NEW_CONNECTIONS_ONLY,
        /** The relay dies outright: every connection reset and new ones refused, then it passes again. */
        RESET_THEN_BACK,
        /** Silent, and PostgreSQL restarts behind it meanwhile; then new connections work again. */
        SILENT_WHILE_POSTGRES_RESTARTS
    }

    /**
     * The paths the issues describe, through a relay between the worker and PostgreSQL while about 50 writes a second
     * flow. Readiness is down while nothing is applied; every partition applies again within {@link #RECOVERY} of the
     * path's return; every write reaches PostgreSQL and nothing is dead-lettered. Each counts the writes made while the
     * path was down, so an outage that hit an idle pipeline fails.
     */
    @ParameterizedTest
    @EnumSource(Outage.class)
    void brokenDatabasePath_readinessIsDownWhileNothingIsApplied_andEveryPartitionAppliesSoonAfterThePathReturns(
            Outage outage) throws Exception {
        try (TcpRelay relay = TcpRelay.to(postgres.port())) {
            int port = startWorker(databaseUrl().replace(":" + postgres.port() + "/", ":" + relay.port() + "/"));
            AtomicInteger written = new AtomicInteger();
            RecordWriter writer = startWriting(written, 20, port);
            await().atMost(Duration.ofSeconds(30))
                    .untilAsserted(() -> assertThat(watermarks().values())
                            .as("every partition applied before the path breaks")
                            .hasSize(PARTITIONS)
                            .doesNotContain("0-0"));

            // when the path breaks
            int writtenBefore = written.get();
            relay.mode(outage == Outage.RESET_THEN_BACK ? TcpRelay.Mode.RESET : TcpRelay.Mode.SILENT);
            // then readiness is down, the apply path reported stalled, while writes are still accepted
            await().atMost(MAX_STALL.plus(REFRESH.multipliedBy(2)).plus(Duration.ofSeconds(10)))
                    .pollInterval(Duration.ofMillis(200))
                    .untilAsserted(() -> {
                        HttpResponse<String> ready = get(port, "/actuator/health/readiness");
                        assertThat(ready.statusCode()).isEqualTo(503);
                        assertThat(lagReady(port)
                                        .path("details")
                                        .path("stalled")
                                        .asString(""))
                                .contains("applied nothing for");
                    });
            int appliedWhileSilent = rows();
            // nothing is applied while the path is broken: the count holds for two seconds
            await().during(Duration.ofSeconds(2))
                    .atMost(Duration.ofSeconds(3))
                    .pollInterval(Duration.ofMillis(200))
                    .untilAsserted(() -> assertThat(rows()).isEqualTo(appliedWhileSilent));
            if (outage == Outage.SILENT_WHILE_POSTGRES_RESTARTS) {
                postgres.stop();
                postgres.startAgain();
            }

            // when the path comes back (for new connections only, where it went silent: the old ones stay dead)
            Map<Integer, String> atReturn = watermarks();
            int duringOutage = written.get() - writtenBefore;
            relay.mode(outage == Outage.RESET_THEN_BACK ? TcpRelay.Mode.PASS : TcpRelay.Mode.NEW_ONLY);
            long back = System.nanoTime();
            // then every partition applies again within seconds
            Map<Integer, Long> appliedAfter = new TreeMap<>(); // partition -> ms after the return
            await().atMost(RECOVERY.plusSeconds(10))
                    .pollInterval(Duration.ofMillis(50))
                    .ignoreExceptions()
                    .until(() -> {
                        Map<Integer, String> now = watermarks();
                        long at = Duration.ofNanos(System.nanoTime() - back).toMillis();
                        now.forEach((partition, watermark) -> {
                            if (!watermark.equals(atReturn.get(partition))) {
                                appliedAfter.putIfAbsent(partition, at);
                            }
                        });
                        return appliedAfter.size() == atReturn.size();
                    });
            long slowestMillis = Collections.max(appliedAfter.values());
            System.out.printf(
                    "ApplyStallIT %s: %d writes while the path was down; every partition applied again %d ms after the"
                            + " path returned (partition=ms: %s)%n",
                    outage, duringOutage, slowestMillis, appliedAfter);
            assertThat(duringOutage)
                    .as("writes made while the path was down (an outage that hit an idle pipeline proves nothing)")
                    .isGreaterThan(100);
            assertThat(slowestMillis)
                    .as("the slowest partition's first apply after the path returned, ms")
                    .isLessThanOrEqualTo(RECOVERY.toMillis());
            producer.shutdown();
            assertThat(producer.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
            int acknowledged = written.get();
            writer.close();

            // then everything acknowledged reaches PostgreSQL, nothing is dead-lettered, and readiness is up again
            await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(500))
                    .ignoreExceptions()
                    .untilAsserted(() -> {
                        assertThat(rows()).isEqualTo(acknowledged);
                        assertThat(get(port, "/actuator/health/readiness").statusCode())
                                .isEqualTo(200);
                    });
            assertThat(count("SELECT count(*) FROM cistern_dead_letter")).isZero();
            if (outage == Outage.SILENT_THEN_NEW_CONNECTIONS_ONLY) {
                assertThat(relay.openConnections() - relay.forwardingConnections())
                        .as("connections open when the path went silent stay dead (and unused) after it returns")
                        .isPositive();
            }
        }
    }

    /**
     * Initialises Cistern and starts a sync worker whose database is {@code databaseUrl} (PostgreSQL, or a relay in
     * front of it), with the stall bound of this test; its HTTP port.
     */
    private int startWorker(String databaseUrl) throws Exception {
        String[] servers = {"--redis-url", redis.url(), "--prefix", redis.prefix()};
        assertThat(CisternCli.commandLine()
                        .execute(concat(
                                new String[] {
                                    "init",
                                    "--database-url",
                                    databaseUrl(),
                                    "--partitions",
                                    Integer.toString(PARTITIONS)
                                },
                                servers)))
                .isZero();
        int port = freePort();
        CommandLine cli = CisternCli.commandLine().setOut(new PrintWriter(new StringWriter(), true));
        assertThat(cli.execute(concat(
                        new String[] {
                            "sync-worker",
                            "--port",
                            Integer.toString(port),
                            "--worker-id",
                            "stall-worker",
                            "--ready-max-stall-ms",
                            Long.toString(MAX_STALL.toMillis()),
                            "--database-url",
                            databaseUrl
                        },
                        servers)))
                .isZero();
        worker = cli.getSubcommands().get("sync-worker").getCommand();
        return port;
    }

    /**
     * Starts one put every {@code everyMillis} ms (each counted in {@code written} once Redis accepted it) and waits
     * until the worker applies them and is ready; the writer, for the caller to close.
     */
    private RecordWriter startWriting(AtomicInteger written, long everyMillis, int port) {
        RecordWriter writer = RecordWriter.connect(
                WriterSettings.of(redis.url()).mutate().prefix(redis.prefix()).build());
        producer.scheduleWithFixedDelay(
                () -> {
                    int i = written.get();
                    writer.put("source_documents", RecordKey.of(uuid(i)), Map.of("filename", "doc-" + i + ".pdf"));
                    written.incrementAndGet();
                },
                0,
                everyMillis,
                TimeUnit.MILLISECONDS);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(rows()).isGreaterThan(50);
            assertThat(get(port, "/actuator/health/readiness").statusCode()).isEqualTo(200);
        });
        return writer;
    }

    private JsonNode lagReady(int port) throws Exception {
        return ExactJson.mapper()
                .readTree(get(port, "/actuator/health/readiness").body())
                .path("components")
                .path("lagReady");
    }

    private HttpResponse<String> get(int port, String path) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .timeout(Duration.ofSeconds(10))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** This test's database on the private PostgreSQL, reached directly (not through a relay). */
    private String databaseUrl() {
        return postgres.jdbcUrl(database);
    }

    private int rows() throws Exception {
        return (int) count("SELECT count(*) FROM source_documents");
    }

    private long count(String query) throws Exception {
        try (Connection c = DriverManager.getConnection(databaseUrl(), "postgres", "");
                ResultSet rs = c.createStatement().executeQuery(query)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Each partition's applied watermark, read directly (not through the relay). */
    private Map<Integer, String> watermarks() throws Exception {
        Map<Integer, String> out = new HashMap<>();
        try (Connection c = DriverManager.getConnection(databaseUrl(), "postgres", "");
                ResultSet rs = c.createStatement()
                        .executeQuery("SELECT partition, applied_watermark FROM cistern_partition")) {
            while (rs.next()) {
                out.put(rs.getInt(1), rs.getString(2));
            }
        }
        return out;
    }

    private static UUID uuid(int i) {
        return UUID.nameUUIDFromBytes(("stall-" + i).getBytes(StandardCharsets.UTF_8));
    }

    private static String[] concat(String[] first, String[] rest) {
        String[] all = new String[first.length + rest.length];
        System.arraycopy(first, 0, all, 0, first.length);
        System.arraycopy(rest, 0, all, first.length, rest.length);
        return all;
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
