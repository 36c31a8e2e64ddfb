package io.cistern.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cistern.connections.testing.TestDatabase;
import io.cistern.connections.testing.TestRedis;
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
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * A team's own table changed while the services run as separate components (the HTTP writer, a sync worker, the read
 * proxy), each started as {@code ops/cistern} starts it: registered, a column added, dropped, retyped; every valid write
 * answered 200 with {@code ?wait=synced}, no dead letter, no restart.
 */
class SchemaChangeServicesIT {
    private TestRedis redis;
    private TestDatabase database;
    private String[] servers;
    private final List<Runnable> stops = new ArrayList<>();
    private final HttpClient http = HttpClient.newHttpClient();
    private int writerPort;
    private int proxyPort;

    @BeforeEach
    void start() throws Exception {
        redis = TestRedis.create("SchemaChangeServicesIT");
        database = TestDatabase.create("SchemaChangeServicesIT");
        servers = new String[] {
            "--redis-url", redis.url(), "--database-url", database.jdbcUrl(), "--prefix", redis.prefix()
        };
        assertThat(cli("init")).isZero();
        writerPort = freePort();
        proxyPort = freePort();
        CommandLine writer = quiet();
        CommandLine worker = quiet();
        CommandLine proxy = quiet();
        CompletableFuture<Integer> w = CompletableFuture.supplyAsync(
                () -> writer.execute(args("writer-api", "--port", Integer.toString(writerPort))));
        CompletableFuture<Integer> s = CompletableFuture.supplyAsync(
                () -> worker.execute(args("sync-worker", "--port", Integer.toString(freePortUnchecked()))));
        CompletableFuture<Integer> p = CompletableFuture.supplyAsync(
                () -> proxy.execute(args("redis-proxy", "--port", Integer.toString(proxyPort))));
        assertThat(w.get(90, TimeUnit.SECONDS)).isZero();
        stops.add(((WriterApiCommand) writer.getSubcommands().get("writer-api").getCommand())::stop);
        assertThat(s.get(90, TimeUnit.SECONDS)).isZero();
        stops.add(
                ((SyncWorkerCommand) worker.getSubcommands().get("sync-worker").getCommand())::stop);
        assertThat(p.get(90, TimeUnit.SECONDS)).isZero();
        stops.add(((RedisProxyCommand) proxy.getSubcommands().get("redis-proxy").getCommand())::stop);
    }

    @AfterEach
    void stop() {
        stops.forEach(Runnable::run);
        redis.close();
        database.close();
    }

    @Test
    void aTableRegisteredAndChanged_whileTheServicesRun_everyValidWriteIsSynced_andNothingIsDeadLettered()
            throws Exception {
        database.execute("CREATE TABLE invoices (invoice_id bigint PRIMARY KEY, customer text NOT NULL)");
        assertThat(cli("init", "--table", "invoices")).isZero();

        assertSynced("invoices", "1", "{\"customer\": \"acme\"}");

        database.execute("ALTER TABLE invoices ADD COLUMN total numeric(10,2)");
        assertThat(cli("init", "--table", "invoices")).isZero();
        assertSynced("invoices", "2", "{\"customer\": \"acme\", \"total\": 12.5}");

        database.execute("ALTER TABLE invoices DROP COLUMN total");
        assertSynced("invoices", "3", "{\"customer\": \"globex\"}");
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            HttpResponse<String> refused = put("invoices", "4", "{\"customer\": \"initech\", \"total\": 3}");
            assertThat(refused.statusCode()).as(refused.body()).isEqualTo(422);
            assertThat(refused.body()).contains("\"field\":\"total\"");
        });

        database.execute("ALTER TABLE invoices ALTER COLUMN customer TYPE integer USING length(customer)");
        assertThat(cli("init", "--table", "invoices")).isZero();
        assertSynced("invoices", "5", "{\"customer\": 42}");

        assertThat(rows("SELECT invoice_id, customer FROM invoices ORDER BY 1"))
                .containsExactly("1:4", "2:4", "3:6", "5:42");
        assertThat(rows("SELECT count(*) FROM cistern_dead_letter")).containsExactly("0");
        HttpResponse<String> read = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxyPort + "/v1/tables/invoices/records/5"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
        assertThat(read.body()).contains("\"customer\":42").contains("\"invoice_id\":5");
    }

    /**
     * One write, at once after the change: answered 200 with {@code "synced": true}. The writer notices the new
     * registration on its first refusal (the table's published generation differs from its copy's) and judges the
     * write again; the worker reloads the catalog before judging an entry its copy does not know.
     */
    private void assertSynced(String table, String key, String body) throws Exception {
        HttpResponse<String> r = put(table, key, body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).contains("\"synced\":true");
    }

    private HttpResponse<String> put(String table, String key, String body) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + writerPort + "/v1/tables/" + table + "/records/"
                                + key + "?wait=synced&timeout=10s"))
                        .header("content-type", "application/json")
                        .PUT(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private List<String> rows(String sql) throws Exception {
        List<String> rows = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(database.jdbcUrl());
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(sql)) {
            int columns = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                StringBuilder row = new StringBuilder();
                for (int i = 1; i <= columns; i++) {
                    row.append(i > 1 ? ":" : "").append(rs.getString(i));
                }
                rows.add(row.toString());
            }
        }
        return rows;
    }

    private int cli(String... command) {
        return quiet().execute(args(command));
    }

    private static CommandLine quiet() {
        return CisternCli.commandLine()
                .setOut(new PrintWriter(new StringWriter(), true))
                .setErr(new PrintWriter(new StringWriter(), true));
    }

    private String[] args(String... command) {
        String[] all = new String[command.length + servers.length];
        System.arraycopy(command, 0, all, 0, command.length);
        System.arraycopy(servers, 0, all, command.length, servers.length);
        return all;
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static int freePortUnchecked() {
        try {
            return freePort();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
