package io.cistern.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cistern.connections.testing.PrivateRedis;
import io.cistern.connections.testing.TestDatabase;
import io.cistern.connections.testing.TestRedis;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code ops/cistern up} against given servers: init runs, and every role serves on one port. */
class UpCommandIT {
    private TestRedis redis;
    private TestDatabase database;
    private UpCommand up;

    @TempDir
    Path dataDir;

    @BeforeEach
    void setUp() {
        redis = TestRedis.create("UpCommandIT");
        database = TestDatabase.create("UpCommandIT");
    }

    @AfterEach
    void tearDown() {
        if (up != null) {
            up.stop();
        }
        redis.close();
        database.close();
    }

    @Test
    void up_initialisesAndServesTheWriterApiTheReadProxyAndHealthOnOnePort() throws Exception {
        int port = freePort();
        StringWriter out = new StringWriter();
        CommandLine cli = CisternCli.commandLine().setOut(new PrintWriter(out, true));

        int code = cli.execute(
                "up",
                "--port",
                Integer.toString(port),
                "--redis-url",
                redis.url(),
                "--database-url",
                database.jdbcUrl(),
                "--prefix",
                redis.prefix(),
                "--data-dir",
                dataDir.toString());
        up = cli.getSubcommands().get("up").getCommand();

        assertThat(code).isZero();
        assertThat(out.toString()).contains("Cistern is up on http://127.0.0.1:" + port);
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> put = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                                + "/v1/tables/source_documents/records/7c0e5b1e-3f2a-4d1b-9c3e-0a1b2c3d4e5f"))
                        .header("content-type", "application/json")
                        .PUT(HttpRequest.BodyPublishers.ofString("{\"filename\":\"scan-0001.pdf\"}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(put.statusCode()).as(put.body()).isEqualTo(202);
        assertThat(redis.commands()
                        .hget(
                                redis.prefix() + ":{13}:r:source_documents:7c0e5b1e-3f2a-4d1b-9c3e-0a1b2c3d4e5f",
                                "c:filename"))
                .isEqualTo("\"scan-0001.pdf\"");
        HttpResponse<String> read = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                                + "/v1/tables/source_documents/records/7c0e5b1e-3f2a-4d1b-9c3e-0a1b2c3d4e5f"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
        assertThat(read.body()).contains("scan-0001.pdf");
        assertThat(read.headers().firstValue("ETag")).isPresent();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            try (Connection c = database.connect();
                    ResultSet rs = c.createStatement()
                            .executeQuery("SELECT filename FROM source_documents"
                                    + " WHERE document_uuid = '7c0e5b1e-3f2a-4d1b-9c3e-0a1b2c3d4e5f'")) {
                assertThat(rs.next())
                        .as("the sync worker inside up applied the write")
                        .isTrue();
                assertThat(rs.getString(1)).isEqualTo("scan-0001.pdf");
            }
        });
        HttpResponse<String> health = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/health"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).contains("UP");
    }

    @Test
    void up_reusingARedisWithoutPersistence_saysSoOnStdout_withTheFixAndTheDevDoctor() throws Exception {
        try (PrivateRedis volatileRedis = PrivateRedis.start("--appendonly", "no", "--save", "")) {
            StringWriter out = new StringWriter();
            CommandLine cli = CisternCli.commandLine()
                    .setOut(new PrintWriter(out, true))
                    .setErr(new PrintWriter(new StringWriter(), true));
            int port = freePort();

            int code = cli.execute(
                    "up",
                    "--port",
                    Integer.toString(port),
                    "--redis-url",
                    volatileRedis.url(),
                    "--database-url",
                    database.jdbcUrl(),
                    "--data-dir",
                    dataDir.toString());
            up = cli.getSubcommands().get("up").getCommand();

            assertThat(code).isZero();
            List<String> lines = out.toString().lines().toList();
            assertThat(lines.get(0)).contains("http://127.0.0.1:" + port);
            assertThat(lines)
                    .anyMatch(l -> l.contains("Redis:      " + volatileRedis.url() + ", as configured"))
                    .anyMatch(l -> l.startsWith("configuration (secrets redacted"))
                    .anyMatch(l -> l.startsWith("Cistern is up on http://127.0.0.1:" + port));
            assertThat(lines)
                    .filteredOn(l -> l.contains("note: Redis at " + volatileRedis.url() + " keeps nothing on disk"))
                    .singleElement()
                    .satisfies(l -> assertThat(l)
                            .contains("CONFIG SET appendonly yes")
                            .contains("ops/cistern doctor --profile dev"));
            up.stop();
            up = null;
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
