package io.cistern.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cistern.connections.testing.TestDatabase;
import io.cistern.connections.testing.TestRedis;
import io.cistern.ops.dashboard.HeadlessChromium;
import io.cistern.schema.codec.ExactJson;
import io.cistern.writer.RecordKey;
import io.cistern.writer.RecordWriter;
import io.cistern.writer.WriterSettings;
import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;

/**
 * The operator dashboard in a real headless Chromium (Debian's {@code chromium} and {@code chromedriver}; nothing is
 * ever downloaded): served by the writer API while no worker runs, it shows the backlog {@code ops/cistern lag --json}
 * prints, partition by partition and in the lag chart; when a sync worker starts,
 * both follow the backlog down to zero. Screenshots go to {@code ops/target/dashboard-backlog.png} and {@code
 * ops/target/dashboard.png}.
 */
class DashboardBrowserIT {
    private static final String DOCS = "source_documents";

    private TestRedis redis;
    private TestDatabase database;
    private final List<CommandLine> services = new ArrayList<>();
    private WebDriver browser;

    @TempDir
    Path profile;

    @BeforeEach
    void setUp() {
        redis = TestRedis.create("DashboardBrowserIT");
        database = TestDatabase.create("DashboardBrowserIT");
    }

    @AfterEach
    void tearDown() {
        if (browser != null) {
            browser.quit();
        }
        for (CommandLine service : services) {
            if (service.getCommand() instanceof WriterApiCommand writerApi) {
                writerApi.stop();
            } else if (service.getCommand() instanceof SyncWorkerCommand worker) {
                worker.stop();
            }
        }
        redis.close();
        database.close();
    }

    @Test
    void dashboard_showsTheBacklogOfLagJson_andFollowsItAsItDrains() throws Exception {
        // given an initialised pipeline with a backlog and no worker: the writer API serves the dashboard
        assertThat(cli("init", connection())).isZero();
        int writes = 400;
        try (RecordWriter writer = RecordWriter.connect(
                WriterSettings.of(redis.url()).mutate().prefix(redis.prefix()).build())) {
            for (int i = 0; i < writes; i++) {
                writer.put(DOCS, RecordKey.of(UUID.randomUUID()), Map.of("filename", "scan-" + i + ".pdf"));
            }
            // and a poison record: a patch of a record that was never written, dead-lettered once a worker runs
            writer.patch(DOCS, RecordKey.of(UUID.randomUUID()), Map.of("error_message", "secret-status-value"));
        }
        int writerPort = freePort();
        start("writer-api", writerPort);

        // when the dashboard is loaded
        browser = chromium();
        browser.get("http://127.0.0.1:" + writerPort + "/?interval=300&minutes=2");

        // then its partition table and its lag chart show what lag --json shows
        JsonNode lag = lagJson();
        assertThat(lag.get("totals").get("backlog").asLong()).isEqualTo(writes + 1);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(pageBacklogs()).isEqualTo(backlogs(lag));
            assertThat(chartTotal()).isEqualTo(Long.toString(writes + 1));
        });
        assertThat(text("total-backlog")).isEqualTo(String.format("%,d", writes + 1));
        assertThat(count("#lag-chart polyline[data-series]"))
                .isEqualTo(lag.get("partitions").size() + 1);
        assertThat(count("#partitions tbody tr.orphan"))
                .as("no worker runs: every partition is shown without an owner")
                .isEqualTo(lag.get("partitions").size());
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(chartSamples()).isGreaterThanOrEqualTo(10));
        screenshot("dashboard-backlog.png");

        // when a sync worker starts and drains the backlog
        start("sync-worker", freePort());

        // then the table and the chart follow the backlog down to zero, as lag --json does
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            assertThat(lagJson().get("totals").get("backlog").asLong()).isZero();
            assertThat(pageBacklogs())
                    .allSatisfy((p, backlog) ->
                            assertThat(backlog).as("partition " + p).isZero());
            assertThat(chartTotal()).isEqualTo("0");
        });
        List<Long> totals = chartTotals();
        assertThat(totals).as("the chart keeps the backlog's history").contains((long) writes + 1);
        assertThat(totals.getLast()).isZero();
        assertThat(backlogs(lagJson())).isEqualTo(pageBacklogs());
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(text("total-dlq")).isEqualTo("1");
            assertThat(text("dead-letters"))
                    .contains(DOCS)
                    .contains("record absent")
                    .doesNotContain("secret-status-value");
            assertThat(count("#partitions tbody tr.orphan")).isZero();
        });
        screenshot("dashboard.png");
    }

    @Test
    void freshlyLoadedPage_drawsTheMinutesTheServiceKept_fromItsFirstPaint() throws Exception {
        // given a pipeline with a backlog of 3, and a writer API that has served (and sampled) it for a while
        assertThat(cli("init", connection())).isZero();
        try (RecordWriter writer = RecordWriter.connect(
                WriterSettings.of(redis.url()).mutate().prefix(redis.prefix()).build())) {
            for (int i = 0; i < 3; i++) {
                writer.put(DOCS, RecordKey.of(UUID.randomUUID()), Map.of("filename", "scan-" + i + ".pdf"));
            }
        }
        int port = freePort();
        start("writer-api", port);
        HttpClient http = HttpClient.newHttpClient();
        await().atMost(Duration.ofSeconds(30))
                .until(() -> historySpan(http, port).compareTo(Duration.ofSeconds(8)) >= 0);

        // when a page is loaded
        browser = chromium();
        browser.get("http://127.0.0.1:" + port + "/?interval=60000");
        await().atMost(Duration.ofSeconds(20)).until(() -> !"0".equals(js("return document.body.dataset.updates;")));

        // then its first paint already draws samples older than the page
        double pageLoadedAt = ((Number) js("return performance.timeOrigin;")).doubleValue();
        long oldest = Long.parseLong(js("return document.querySelector('#lag-chart svg').dataset.oldest;")
                .toString());
        assertThat(oldest).as("the chart's oldest point, epoch ms").isLessThan((long) pageLoadedAt - 6_000);
        assertThat(chartSamples()).isGreaterThanOrEqualTo(4);
        assertThat(chartTotals()).containsOnly(3L);
        // and the caption says what it shows: 5 minutes, of which the service has sampled less
        assertThat(text("lag-caption"))
                .startsWith("Backlog per partition and in total, last 5 min")
                .contains("samples for the last");
        assertThat(text("rate-caption")).startsWith("Throughput in and out, entries / s, last 5 min");
        // and a backlog of 3 is drawn on whole ticks
        assertThat(js("return document.querySelector('#lag-chart svg').dataset.ticks;"))
                .isEqualTo("0|1|2|3");
        screenshot("dashboard-history.png");
    }

    /** How far back the service's history reaches, from its oldest sample to its clock now. */
    private static Duration historySpan(HttpClient http, int port) throws Exception {
        HttpResponse<String> response = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/cistern/history"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        JsonNode history = ExactJson.mapper().readTree(response.body());
        JsonNode samples = history.get("samples");
        return samples.isEmpty()
                ? Duration.ZERO
                : Duration.ofMillis(
                        history.get("now").asLong() - samples.get(0).get("t").asLong());
    }

    /** partition -> backlog, as the page's table shows it, read in one script (the page redraws while polling). */
    private Map<Integer, Long> pageBacklogs() {
        List<?> rows =
                (List<?>) js("return Array.from(document.querySelectorAll('#partitions tbody tr[data-partition]'))"
                        + ".map(r => [r.dataset.partition, r.dataset.backlog]);");
        Map<Integer, Long> shown = new HashMap<>();
        for (Object row : rows) {
            List<?> r = (List<?>) row;
            shown.put(
                    Integer.parseInt(r.get(0).toString()),
                    Long.parseLong(r.get(1).toString()));
        }
        return shown;
    }

    private static Map<Integer, Long> backlogs(JsonNode lag) {
        Map<Integer, Long> backlogs = new HashMap<>();
        lag.get("partitions")
                .forEach(p -> backlogs.put(
                        p.get("partition").asInt(), p.get("backlog").asLong()));
        return backlogs;
    }

    /** The lag chart's latest total backlog. */
    private String chartTotal() {
        return String.valueOf(
                js("const s = document.querySelector('#lag-chart svg'); return s ? s.dataset.total : null;"));
    }

    private long chartSamples() {
        Object samples = js("const s = document.querySelector('#lag-chart svg'); return s ? s.dataset.samples : '0';");
        return Long.parseLong(String.valueOf(samples));
    }

    /** The total backlog the lag chart plots, oldest first. */
    private List<Long> chartTotals() {
        String values =
                js("return document.querySelector(\"#lag-chart polyline[data-series='total']\").dataset.values;")
                        .toString();
        return Arrays.stream(values.split(",")).map(Long::parseLong).toList();
    }

    private long count(String selector) {
        return ((Number) js("return document.querySelectorAll(arguments[0]).length;", selector)).longValue();
    }

    private String text(String id) {
        return String.valueOf(js("return document.getElementById(arguments[0]).textContent;", id));
    }

    private Object js(String script, Object... args) {
        return ((JavascriptExecutor) browser).executeScript(script, args);
    }

    /** What {@code ops/cistern lag --json} prints, run in this JVM. */
    private JsonNode lagJson() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = CisternCli.commandLine()
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .execute("lag", "--json", "--redis-url", redis.url(), "--prefix", redis.prefix());
        assertThat(code).as(err.toString()).isZero();
        return ExactJson.mapper().readTree(out.toString());
    }

    private WebDriver chromium() {
        return HeadlessChromium.start(profile);
    }

    private void screenshot(String name) throws Exception {
        File shot = ((ChromeDriver) browser).getScreenshotAs(OutputType.FILE);
        Path target = Path.of("target", name);
        Files.createDirectories(target.getParent());
        Files.copy(shot.toPath(), target, StandardCopyOption.REPLACE_EXISTING);
    }

    private void start(String command, int port) {
        List<String> args = new ArrayList<>(List.of(command, "--port", Integer.toString(port)));
        args.addAll(List.of(connection()));
        CommandLine cli = CisternCli.commandLine().setOut(new PrintWriter(new StringWriter(), true));
        assertThat(cli.execute(args.toArray(String[]::new))).isZero();
        services.add(cli.getSubcommands().get(command));
    }

    private String[] connection() {
        return new String[] {
            "--redis-url", redis.url(), "--database-url", database.jdbcUrl(), "--prefix", redis.prefix()
        };
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
