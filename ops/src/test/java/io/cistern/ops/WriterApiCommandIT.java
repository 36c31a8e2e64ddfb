package io.cistern.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cistern.connections.testing.PrivateRedis;
import io.cistern.connections.testing.TestDatabase;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code ops/cistern writer-api} started before its Redis: alive at once, not ready and refusing writes as retryable
 * (503 + Retry-After) while it waits, then accepting them.
 */
class WriterApiCommandIT {
    private static final String PUT_PATH = "/v1/tables/source_documents/records/7c0e5b1e-3f2a-4d1b-9c3e-0a1b2c3d4e5f";

    private PrivateRedis redis;
    private TestDatabase database;
    private WriterApiCommand service;

    @BeforeEach
    void setUp() {
        // AOF with fsync on every write: the test kills Redis (SIGKILL) after init and needs what init wrote.
        redis = PrivateRedis.start("--appendonly", "yes", "--appendfsync", "always");
        database = TestDatabase.create("WriterApiCommandIT");
    }

    @AfterEach
    void tearDown() {
        if (service != null) {
            service.stop();
        }
        redis.close();
        database.close();
    }

    @Test
    void writerApiStartedBeforeRedis_isAliveButNotReady_refusesWritesAsRetryable_thenAcceptsThem() throws Exception {
        String[] servers = {"--redis-url", redis.url(), "--database-url", database.jdbcUrl()};
        assertThat(CisternCli.commandLine().execute(concat("init", servers))).isZero();
        redis.stop();
        int port = freePort();
        CommandLine cli = CisternCli.commandLine().setOut(new PrintWriter(new StringWriter(), true));
        CompletableFuture<Integer> started = CompletableFuture.supplyAsync(() ->
                cli.execute(concat("writer-api", concat("--port", concat(Integer.toString(port), servers)))));
        HttpClient http = HttpClient.newHttpClient();

        await().atMost(Duration.ofSeconds(15))
                .ignoreExceptions()
                .untilAsserted(() -> assertThat(
                                get(http, port, "/actuator/health/liveness").statusCode())
                        .isEqualTo(200));
        assertThat(get(http, port, "/actuator/health/readiness").statusCode()).isEqualTo(503);
        HttpResponse<String> refused = put(http, port);
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
        assertThat(refused.headers().firstValue("Retry-After")).isPresent();
        assertThat(refused.body()).contains("REDIS_UNAVAILABLE");

        redis.startAgain();
        assertThat(started.get(60, TimeUnit.SECONDS)).isZero();
        service = cli.getSubcommands().get("writer-api").getCommand();
        // The restarted server has confirmed no partition's floor (docs/durability.md): a sync worker does within a
        // lease renewal, init at once; until then writes are refused as retryable.
        HttpResponse<String> unconfirmed = put(http, port);
        assertThat(unconfirmed.statusCode()).as(unconfirmed.body()).isEqualTo(503);
        assertThat(unconfirmed.body()).contains("UNCONFIRMED_FLOOR");
        assertThat(CisternCli.commandLine().execute(concat("init", servers))).isZero();

        assertThat(put(http, port).statusCode()).isEqualTo(202);
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(
                                get(http, port, "/actuator/health/readiness").statusCode())
                        .isEqualTo(200));
    }

    private static HttpResponse<String> put(HttpClient http, int port) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + PUT_PATH))
                        .header("content-type", "application/json")
                        .PUT(HttpRequest.BodyPublishers.ofString("{\"filename\":\"scan-0001.pdf\"}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(HttpClient http, int port, String path) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
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
