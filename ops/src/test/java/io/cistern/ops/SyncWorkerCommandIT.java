package io.cistern.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cistern.connections.testing.PrivateRedis;
import io.cistern.connections.testing.TestDatabase;
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
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code ops/cistern sync-worker}: writes buffered in Redis reach PostgreSQL, and the service reports its health. */
class SyncWorkerCommandIT {
    private TestRedis redis;
    private TestDatabase database;
    private SyncWorkerCommand worker;

    @BeforeEach
    void setUp() {
        redis = TestRedis.create("SyncWorkerCommandIT");
        database = TestDatabase.create("SyncWorkerCommandIT");
    }

    @AfterEach
    void tearDown() {
        if (worker != null) {
            worker.stop();
        }
        redis.close();
        database.close();
    }

    @Test
    void syncWorker_drainsWritesMadeBeforeItStarted_andIsReady() throws Exception {
        String[] connection = {
            "--redis-url", redis.url(), "--database-url", database.jdbcUrl(), "--prefix", redis.prefix()
        };
        assertThat(cli("init", connection)).isZero();
        UUID document = UUID.randomUUID();
        try (RecordWriter writer = RecordWriter.connect(
                WriterSettings.of(redis.url()).mutate().prefix(redis.prefix()).build())) {
            writer.put("source_documents", RecordKey.of(document), Map.of("filename", "before.pdf"));
            writer.patch("source_documents", RecordKey.of(document), Map.of("status", "processing"));
        }
        int port = freePort();

        CommandLine cli = CisternCli.commandLine().setOut(new PrintWriter(new StringWriter(), true));
        String[] args = new String[connection.length + 3];
        args[0] = "sync-worker";
        args[1] = "--port";
        args[2] = Integer.toString(port);
        System.arraycopy(connection, 0, args, 3, connection.length);
        assertThat(cli.execute(args)).isZero();
        worker = cli.getSubcommands().get("sync-worker").getCommand();

        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(status(document)).isEqualTo("processing"));
        HttpResponse<String> ready = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/health/readiness"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
    }

    @Test
    void syncWorker_refusesToStartOnARedisThatMayEvictUnsyncedData() {
        try (PrivateRedis evicting = PrivateRedis.start("--maxmemory-policy", "allkeys-lru")) {
            StringWriter err = new StringWriter();

            int code = CisternCli.commandLine()
                    .setOut(new PrintWriter(new StringWriter(), true))
                    .setErr(new PrintWriter(err, true))
                    .execute(
                            "sync-worker",
                            "--port",
                            "0",
                            "--redis-url",
                            evicting.url(),
                            "--database-url",
                            database.jdbcUrl());

            assertThat(code).isEqualTo(1);
            assertThat(err.toString())
                    .contains("maxmemory-policy allkeys-lru")
                    .contains("noeviction")
                    .contains("CISTERN_ALLOW_EVICTING_REDIS");
        }
    }

    private String status(UUID document) throws Exception {
        try (Connection c = database.connect();
                PreparedStatement ps =
                        c.prepareStatement("SELECT filename, status FROM source_documents WHERE document_uuid = ?")) {
            ps.setObject(1, document);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(2) : null;
            }
        }
    }

    private static int cli(String command, String... args) {
        String[] all = new String[args.length + 1];
        all[0] = command;
        System.arraycopy(args, 0, all, 1, args.length);
        return CisternCli.commandLine()
                .setOut(new PrintWriter(new StringWriter(), true))
                .execute(all);
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
