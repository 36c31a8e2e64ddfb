package io.cistern.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code ops/cistern up} on a machine where nothing listens on its ports: it starts its own Redis (AOF on, noeviction)
 * and PostgreSQL, initialises them, serves, and stops them again. Uses random ports, never the shared servers.
 */
class UpStartsItsOwnServersIT {
    private Path dataDir;
    private UpCommand up;

    @BeforeEach
    void setUp() throws IOException {
        Assumptions.assumeTrue(
                Stream.of("REDIS_URL", "DATABASE_URL", "DB_HOST", "PGHOST").allMatch(v -> System.getenv(v) == null),
                "up reuses configured servers; this test needs none configured");
        // In the system temporary directory with rwxr-xr-x: PostgreSQL runs as the postgres user, which must reach
        // it, whatever the permissions of the checkout (a fresh clone may sit in a private directory).
        dataDir = Files.createTempDirectory(
                "cistern-up-it", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    }

    @AfterEach
    void tearDown() throws IOException {
        if (up != null) {
            up.stop();
        }
        if (dataDir != null && Files.exists(dataDir)) {
            try (Stream<Path> paths = Files.walk(dataDir)) {
                for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    @Test
    void up_withNothingListening_startsRedisWithAofAndPostgres_servesWrites_andStopsThem() throws Exception {
        int http = freePort();
        int redisPort = freePort();
        int postgresPort = freePort();
        CommandLine cli = CisternCli.commandLine()
                .setOut(new PrintWriter(new StringWriter(), true))
                .setErr(new PrintWriter(new StringWriter(), true));

        int code = cli.execute(
                "up",
                "--port",
                Integer.toString(http),
                "--redis-port",
                Integer.toString(redisPort),
                "--postgres-port",
                Integer.toString(postgresPort),
                "--data-dir",
                dataDir.toString());
        up = cli.getSubcommands().get("up").getCommand();

        assertThat(code).isZero();
        RedisClient client = RedisClient.create("redis://127.0.0.1:" + redisPort);
        try (StatefulRedisConnection<String, String> redis = client.connect()) {
            assertThat(redis.sync().configGet("appendonly")).containsEntry("appendonly", "yes");
            assertThat(redis.sync().configGet("maxmemory-policy")).containsEntry("maxmemory-policy", "noeviction");
        } finally {
            client.shutdown();
        }
        try (Connection c = DriverManager.getConnection(
                        "jdbc:postgresql://127.0.0.1:" + postgresPort + "/postgres?user=postgres");
                ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM cistern_partition")) {
            rs.next();
            assertThat(rs.getInt(1)).as("init ran: one row per partition").isEqualTo(16);
        }
        HttpResponse<String> put = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http
                                        + "/v1/tables/source_documents/records/7c0e5b1e-3f2a-4d1b-9c3e-0a1b2c3d4e5f"))
                                .header("content-type", "application/json")
                                .PUT(HttpRequest.BodyPublishers.ofString("{\"filename\":\"scan-0001.pdf\"}"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(put.statusCode()).as(put.body()).isEqualTo(202);

        up.stop();

        await().atMost(Duration.ofSeconds(30)).until(() -> !listening(redisPort) && !listening(postgresPort));
        assertThat(dataDir.resolve("redis").resolve("appendonlydir"))
                .as("the AOF")
                .exists();
    }

    private static boolean listening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
