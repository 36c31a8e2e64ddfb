package io.cistern.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.cistern.connections.testing.PrivatePostgres;
import io.cistern.connections.testing.PrivateRedis;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Invariant 9 for what a service shows operators: the dashboard's page and JSON, health and metrics name no password
 * and no record value, while the pipeline runs with password-protected servers and a dead letter carries a value.
 */
class DashboardSecretsIT {
    private static final String DB_PASSWORD = "s3cret-Dash-Db";
    private static final String REDIS_PASSWORD = "s3cret-Dash-Redis";
    private static final String SECRET_VALUE = "s3cret-record-value";

    private static PrivatePostgres postgres;
    private static PrivateRedis redis;

    @TempDir
    Path dataDir;

    @BeforeAll
    static void startServers() {
        postgres = PrivatePostgres.builder()
                .hbaLine("host all app 127.0.0.1/32 scram-sha-256")
                .start();
        postgres.execute(
                "CREATE ROLE app LOGIN SUPERUSER PASSWORD '" + DB_PASSWORD + "'", "CREATE DATABASE app OWNER app");
        redis = PrivateRedis.start("--requirepass", REDIS_PASSWORD, "--appendonly", "yes");
    }

    @AfterAll
    static void stopServers() {
        redis.close();
        postgres.close();
    }

    @Test
    void dashboardHealthAndMetrics_showNoPasswordAndNoRecordValue() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        CommandLine cli = CisternCli.commandLine().setOut(new PrintWriter(new StringWriter(), true));
        assertThat(cli.execute(
                        "up",
                        "--port",
                        Integer.toString(port),
                        "--redis-url",
                        "redis://:" + REDIS_PASSWORD + "@127.0.0.1:" + redis.port(),
                        "--database-url",
                        "postgres://app:" + DB_PASSWORD + "@127.0.0.1:" + postgres.port() + "/app",
                        "--data-dir",
                        dataDir.toString()))
                .isZero();
        UpCommand up = cli.getSubcommands().get("up").getCommand();
        try {
            HttpClient http = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + port;
            // a patch of a record that was never written: dead-lettered, with its value in the entry
            HttpResponse<String> patch = http.send(
                    HttpRequest.newBuilder(
                                    URI.create(base + "/v1/tables/source_documents/records/" + UUID.randomUUID()))
                            .header("content-type", "application/json")
                            .method(
                                    "PATCH",
                                    HttpRequest.BodyPublishers.ofString("{\"error_message\":\"" + SECRET_VALUE + "\"}"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(patch.statusCode()).as(patch.body()).isEqualTo(202);
            org.awaitility.Awaitility.await()
                    .atMost(java.time.Duration.ofSeconds(30))
                    .untilAsserted(() ->
                            assertThat(get(http, base + "/cistern/activity")).contains("record absent"));

            for (String path :
                    List.of("/", "/cistern/status", "/cistern/activity", "/actuator/health", "/actuator/prometheus")) {
                String body = get(http, base + path);
                assertThat(body)
                        .as(path)
                        .doesNotContain(DB_PASSWORD)
                        .doesNotContain(REDIS_PASSWORD)
                        .doesNotContain(SECRET_VALUE);
            }
        } finally {
            up.stop();
        }
    }

    private static String get(HttpClient http, String url) throws Exception {
        HttpResponse<String> r =
                http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(url + ": " + r.body()).isIn(200, 503);
        return r.body();
    }
}
