package io.cistern.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cistern.connections.testing.TestDatabase;
import io.cistern.connections.testing.TestRedis;
import io.cistern.schema.codec.ExactJson;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;

/**
 * The Grafana dashboard ({@code ops/grafana/cistern-dashboard.json}) and the alert rules ({@code
 * ops/prometheus/cistern-rules.yml}) reference only metrics that a running Cistern serves on {@code
 * /actuator/prometheus}: {@code ops/cistern up} with traffic that makes every meter exist (writes, a refusal, a dead
 * letter, a retried batch).
 */
class GrafanaDashboardIT {
    private static final Path DASHBOARD = Path.of("grafana", "cistern-dashboard.json");
    private static final Path RULES = Path.of("prometheus", "cistern-rules.yml");
    private static final Pattern METRIC = Pattern.compile("\\bcistern_[a-z0-9_]*[a-z0-9]\\b");

    private TestRedis redis;
    private TestDatabase database;
    private UpCommand up;
    private final HttpClient http = HttpClient.newHttpClient();
    private String base;

    @TempDir
    Path dataDir;

    @BeforeEach
    void setUp() {
        redis = TestRedis.create("GrafanaDashboardIT");
        database = TestDatabase.create("GrafanaDashboardIT");
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
    void dashboardAndAlertRules_referenceOnlyMetricsARunningServiceServes() throws Exception {
        JsonNode dashboard = ExactJson.mapper().readTree(Files.readString(DASHBOARD));
        Set<String> referenced = new TreeSet<>();
        dashboard
                .get("panels")
                .forEach(panel -> panel.get("targets")
                        .forEach(target ->
                                referenced.addAll(metrics(target.get("expr").asString()))));
        Set<String> inRules = new TreeSet<>();
        Map<String, List<Map<String, List<Map<String, Object>>>>> rules = new Yaml().load(Files.readString(RULES));
        rules.get("groups")
                .forEach(group -> group.get("rules")
                        .forEach(rule -> inRules.addAll(metrics(rule.get("expr").toString()))));
        assertThat(referenced).as("the dashboard's queries").isNotEmpty();
        assertThat(inRules).as("the alert rules' expressions").isNotEmpty();

        // given up, with traffic: writes, a refused write, a dead letter, and a batch retried while its parent is
        // missing
        startUp();
        UUID parent = UUID.randomUUID();
        assertThat(put("source_documents", UUID.randomUUID().toString(), "{\"filename\":\"a.pdf\"}"))
                .isEqualTo(202);
        assertThat(put("source_documents", UUID.randomUUID().toString(), "{\"no_such_column\":1}"))
                .isEqualTo(422);
        assertThat(send("PATCH", "source_documents", UUID.randomUUID().toString(), "{\"status\":\"done\"}"))
                .isEqualTo(202);
        assertThat(put("entities", parent + "," + UUID.randomUUID(), "{\"entity_type\":\"person\"}"))
                .isEqualTo(202);
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(scrape()).contains("cistern_sync_retries_total{"));
        // the parent arrives by another path (written through Cistern it would queue behind its child)
        try (Connection c = database.connect();
                PreparedStatement ps = c.prepareStatement(
                        "INSERT INTO source_documents (document_uuid, filename) VALUES (?, 'parent.pdf')")) {
            ps.setObject(1, parent);
            ps.executeUpdate();
        }

        // then every metric they use is served
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            Set<String> served = served(scrape());
            assertThat(served).as("served by /actuator/prometheus").containsAll(referenced);
            assertThat(served).as("served by /actuator/prometheus").containsAll(inRules);
        });
    }

    /** The metric names in a PromQL expression (or a rules file). */
    static Set<String> metrics(String text) {
        Set<String> names = new TreeSet<>();
        Matcher m = METRIC.matcher(text);
        while (m.find()) {
            names.add(m.group());
        }
        return names;
    }

    /** The sample names of a Prometheus text exposition. */
    private static Set<String> served(String exposition) {
        return exposition
                .lines()
                .filter(l -> !l.startsWith("#") && !l.isBlank())
                .map(l -> l.split("[{ ]", 2)[0])
                .collect(Collectors.toCollection(TreeSet::new));
    }

    private String scrape() throws Exception {
        HttpResponse<String> r = http.send(
                HttpRequest.newBuilder(URI.create(base + "/actuator/prometheus"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    private int put(String table, String key, String json) throws Exception {
        return send("PUT", table, key, json);
    }

    private int send(String method, String table, String key, String json) throws Exception {
        return http.send(
                        HttpRequest.newBuilder(URI.create(base + "/v1/tables/" + table + "/records/" + key))
                                .header("content-type", "application/json")
                                .method(method, HttpRequest.BodyPublishers.ofString(json))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .statusCode();
    }

    private void startUp() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        CommandLine cli = CisternCli.commandLine().setOut(new PrintWriter(new StringWriter(), true));
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
        base = "http://127.0.0.1:" + port;
    }
}
