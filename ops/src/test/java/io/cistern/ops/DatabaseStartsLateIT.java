package io.cistern.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cistern.connections.testing.PrivatePostgres;
import io.cistern.connections.testing.TestRedis;
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
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The race with a database that is still starting: a sync worker started 10 seconds before its (private) PostgreSQL
 * waits for it instead of dying, becomes ready once it answers, and loses none of the writes made meanwhile.
 */
class DatabaseStartsLateIT {
    private static final int WRITES = 200;

    private PrivatePostgres postgres;
    private TestRedis redis;
    private SyncWorkerCommand worker;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();

    @BeforeEach
    void setUp() {
        postgres = PrivatePostgres.start();
        redis = TestRedis.create("DatabaseStartsLateIT");
    }

    @AfterEach
    void tearDown() {
        if (worker != null) {
            worker.stop();
        }
        scheduler.shutdownNow();
        postgres.close();
        redis.close();
    }

    @Test
    void workerStartedBeforeTheDatabase_waits_becomesReady_andLosesNoWrite() throws Exception {
        String[] connection = {
            "--redis-url", redis.url(), "--database-url", postgres.jdbcUrl(), "--prefix", redis.prefix()
        };
        assertThat(CisternCli.commandLine().execute(concat("init", connection))).isZero();
        postgres.stop();
        long stoppedAt = System.nanoTime();

        int port = freePort();
        CommandLine cli = CisternCli.commandLine().setOut(new PrintWriter(new StringWriter(), true));
        CompletableFuture<Integer> started = CompletableFuture.supplyAsync(() ->
                cli.execute(concat("sync-worker", concat("--port", concat(Integer.toString(port), connection)))));
        try (RecordWriter writer = RecordWriter.connect(
                WriterSettings.of(redis.url()).mutate().prefix(redis.prefix()).build())) {
            for (int i = 0; i < WRITES; i++) {
                writer.put("source_documents", RecordKey.of(uuid(i)), Map.of("filename", "doc-" + i + ".pdf"));
            }
        }
        assertThat(started.isDone())
                .as("the worker is still waiting for PostgreSQL")
                .isFalse();
        HttpClient http = HttpClient.newHttpClient();
        await().atMost(Duration.ofSeconds(10))
                .ignoreExceptions()
                .untilAsserted(() -> assertThat(get(http, port, "liveness").statusCode())
                        .as("alive while waiting")
                        .isEqualTo(200));
        HttpResponse<String> waiting = get(http, port, "readiness");
        assertThat(waiting.statusCode())
                .as("not ready while PostgreSQL is down: %s", waiting.body())
                .isEqualTo(503);
        assertThat(waiting.body()).contains("postgresReady").contains("DOWN");
        // PostgreSQL comes up 10 seconds after the worker started.
        long remaining = Duration.ofSeconds(10).toNanos() - (System.nanoTime() - stoppedAt);
        scheduler.schedule(postgres::startAgain, Math.max(0, remaining), TimeUnit.NANOSECONDS);

        assertThat(started.get(60, TimeUnit.SECONDS)).isZero();
        worker = cli.getSubcommands().get("sync-worker").getCommand();

        assertThat(Duration.ofNanos(System.nanoTime() - stoppedAt)).isGreaterThanOrEqualTo(Duration.ofSeconds(9));
        HttpResponse<String> ready = get(http, port, "readiness");
        assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(rows()).isEqualTo(WRITES));
    }

    private static HttpResponse<String> get(HttpClient http, int port, String probe) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/health/" + probe))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private int rows() throws Exception {
        try (Connection c = DriverManager.getConnection(postgres.jdbcUrl(), "postgres", "");
                ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM source_documents")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static UUID uuid(int i) {
        return UUID.nameUUIDFromBytes(("late-" + i).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static String[] concat(String first, String... rest) {
        String[] all = new String[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
