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
 * {@code ops/cistern redis-proxy} started before its Redis: alive at once, not ready and refusing reads as retryable
 * (503 + Retry-After) while it waits, then answering them.
 */
class RedisProxyCommandIT {
    private static final String RECORD = "/v1/tables/source_documents/records/";

    private PrivateRedis redis;
    private TestDatabase database;
    private RedisProxyCommand service;

    @BeforeEach
    void setUp() {
        // AOF with fsync on every write: the test kills Redis after init and needs what init wrote.
        redis = PrivateRedis.start("--appendonly", "yes", "--appendfsync", "always");
        database = TestDatabase.create("RedisProxyCommandIT");
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
    void redisProxyStartedBeforeRedis_isAliveButNotReady_refusesReadsAsRetryable_thenAnswersThem() throws Exception {
        String[] servers = {"--redis-url", redis.url(), "--database-url", database.jdbcUrl()};
        assertThat(CisternCli.commandLine().execute(concat("init", servers))).isZero();
        try (var c = java.sql.DriverManager.getConnection(database.jdbcUrl());
                var s = c.createStatement()) {
            s.execute("INSERT INTO source_documents (document_uuid, filename) VALUES"
                    + " ('7c0e5b1e-3f2a-4d1b-9c3e-0a1b2c3d4e5f', 'scan-0001.pdf')");
        }
        redis.stop();
        int port = freePort();
        CommandLine cli = CisternCli.commandLine().setOut(new PrintWriter(new StringWriter(), true));
        CompletableFuture<Integer> started = CompletableFuture.supplyAsync(() ->
                cli.execute(concat("redis-proxy", concat("--port", concat(Integer.toString(port), servers)))));
        HttpClient http = HttpClient.newHttpClient();

        await().atMost(Duration.ofSeconds(15))
                .ignoreExceptions()
                .untilAsserted(() -> assertThat(
                                get(http, port, "/actuator/health/liveness").statusCode())
                        .isEqualTo(200));
        assertThat(get(http, port, "/actuator/health/readiness").statusCode()).isEqualTo(503);
        HttpResponse<String> refused = get(http, port, RECORD + "7c0e5b1e-3f2a-4d1b-9c3e-0a1b2c3d4e5f");
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(503);
        assertThat(refused.headers().firstValue("Retry-After")).isPresent();
        assertThat(refused.body()).contains("REDIS_UNAVAILABLE");

        redis.startAgain();
        assertThat(started.get(60, TimeUnit.SECONDS)).isZero();
        service = cli.getSubcommands().get("redis-proxy").getCommand();

        HttpResponse<String> read = get(http, port, RECORD + "7c0e5b1e-3f2a-4d1b-9c3e-0a1b2c3d4e5f");
        assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
        assertThat(read.body()).contains("scan-0001.pdf");
        assertThat(read.headers().firstValue("Cistern-Tier")).hasValue("database");
        assertThat(get(http, port, RECORD + "00000000-0000-0000-0000-000000000000")
                        .statusCode())
                .isEqualTo(404);
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(
                                get(http, port, "/actuator/health/readiness").statusCode())
                        .isEqualTo(200));
        assertThat(get(http, port, "/actuator/prometheus").body()).contains("cistern_proxy_reads_total");
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
