package io.cistern.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.cistern.connections.testing.TestDatabase;
import io.cistern.connections.testing.TestRedis;
import io.cistern.schema.codec.ExactJson;
import io.cistern.schema.failure.InvalidRecordException;
import io.cistern.schema.keys.KeyEncoding;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.keys.Partitioner;
import io.cistern.schema.keys.StreamEntryId;
import io.cistern.schema.wire.MetaFields;
import io.cistern.writer.RecordKey;
import io.cistern.writer.RecordWriter;
import io.cistern.writer.WriteReceipt;
import io.cistern.writer.WriterSettings;
import io.lettuce.core.XTrimArgs;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;

/**
 * The operator commands against a real pipeline: {@code lag}, {@code leases}, {@code partitions}, {@code pause},
 * {@code resume}, {@code drain}, with real sync workers, Redis and PostgreSQL.
 */
class OperatorCommandsIT {
    private static final int PARTITIONS = 16;
    private TestRedis redis;
    private TestDatabase database;
    private KeyLayout layout;
    private final List<SyncWorkerCommand> workers = new ArrayList<>();

    @BeforeEach
    void setUp() {
        redis = TestRedis.create("OperatorCommandsIT");
        database = TestDatabase.create("OperatorCommandsIT");
        layout = new KeyLayout(redis.prefix());
        assertThat(cli(new StringWriter(), "init")).isZero();
    }

    @AfterEach
    void tearDown() {
        workers.forEach(SyncWorkerCommand::stop);
        redis.close();
        database.close();
    }

    @Test
    void unregister_isRefusedWhileEntriesAreUnsynced_saysWhatIsLeft_andWithForceTheTableIsForgotten() {
        database.execute("CREATE TABLE gadgets (gadget_id bigint PRIMARY KEY, label text)");
        assertThat(cli(new StringWriter(), "init", "--table", "gadgets")).isZero();
        try (RecordWriter writer = writer()) {
            writer.put("gadgets", RecordKey.of(1L), Map.of("label", "unsynced: no worker runs"));
        }
        database.execute("INSERT INTO cistern_dead_letter (partition, entry_id, table_name, entry, reason, attempts,"
                + " worker) VALUES (0, '1-0', 'gadgets', '\\x00', 'a poison record', 1, 'test')");

        StringWriter refusedErr = new StringWriter();
        int refused = cli(new StringWriter(), refusedErr, "unregister", "gadgets");
        StringWriter dryRun = new StringWriter();
        assertThat(cli(dryRun, "unregister", "gadgets", "--dry-run")).isZero();

        assertThat(refused).isNotZero();
        assertThat(refusedErr.toString()).contains("1 entries not yet synced").contains("--force");
        assertThat(dryRun.toString())
                .contains("would unregister 'gadgets': 1 entries not yet synced, 1 open dead letters");
        assertThat(redis.commands().hexists(layout.registry(), "gadgets")).isTrue();

        StringWriter forced = new StringWriter();
        assertThat(cli(forced, "unregister", "gadgets", "--force")).isZero();

        assertThat(forced.toString()).contains("unregistered 'gadgets'");
        assertThat(redis.commands().hexists(layout.registry(), "gadgets")).isFalse();
        assertThat(redis.commands().hexists(layout.meta(3), MetaFields.tableSpec("gadgets")))
                .isFalse();
        try (RecordWriter writer = writer()) {
            assertThatThrownBy(() -> writer.put("gadgets", RecordKey.of(2L), Map.of("label", "after")))
                    .isInstanceOfSatisfying(
                            InvalidRecordException.class,
                            e -> assertThat(e.reason()).isEqualTo(InvalidRecordException.Reason.UNKNOWN_TABLE));
        }
        assertThat(cli(new StringWriter(), "init"))
                .as("init runs on without the table")
                .isZero();
    }

    @Test
    void initAgain_keepsTheBacklogLimitTheOperatorSet_andSaysWhatItChanged() {
        StringWriter set = new StringWriter();
        assertThat(cli(set, "init", "--max-backlog", "100")).isZero();
        StringWriter again = new StringWriter();
        assertThat(cli(again, "init")).isZero();

        assertThat(set.toString()).contains("changed max backlog per partition: 1000000 -> 100");
        assertThat(again.toString()).contains("max backlog 100 per partition").doesNotContain("changed");
        assertThat(redis.commands().hget(layout.meta(0), MetaFields.MAX_BACKLOG))
                .isEqualTo("100");
    }

    @Test
    void lagJson_matchesTheModel_afterAWorkerDrainedPart_andTrimsAndDeletesThatConfuseXinfo() throws Exception {
        // given: a first batch applied by a real worker, which then stops
        List<WriteReceipt> applied = write(60, "applied");
        SyncWorkerCommand worker = startWorker("lag-worker", 0);
        await().atMost(Duration.ofSeconds(30)).until(() -> rows() == 60);
        await().atMost(Duration.ofSeconds(30)).until(() -> watermarksCover(applied));
        worker.stop();
        // and a second batch nobody applies
        List<WriteReceipt> waiting = write(80, "waiting");
        RedisCommands<String, String> r = redis.commands();
        Map<Integer, List<String>> model = new TreeMap<>();
        for (int p = 0; p < PARTITIONS; p++) {
            model.put(p, new ArrayList<>());
        }
        waiting.forEach(w -> model.get(w.partition()).add(w.entryId()));
        // when: someone deletes unapplied entries (XINFO lag turns null), another deletes applied ones, and every
        // stream is trimmed up to its watermark
        Set<Integer> deletedIn = new HashSet<>();
        for (int p = 0; p < PARTITIONS; p += 3) {
            List<String> ids = model.get(p);
            if (ids.size() >= 2) {
                r.xdel(layout.stream(p), ids.get(1));
                ids.remove(1);
                deletedIn.add(p);
            }
        }
        applied.stream()
                .filter(a -> a.partition() % 2 == 1)
                .forEach(a -> r.xdel(layout.stream(a.partition()), a.entryId()));
        for (int p = 0; p < PARTITIONS; p++) {
            String watermark = r.hget(layout.meta(p), MetaFields.APPLIED);
            if (watermark != null && p % 4 == 0) {
                r.xtrim(layout.stream(p), XTrimArgs.Builder.minId(watermark).exactTrimming());
            }
        }

        StringWriter out = new StringWriter();
        assertThat(cli(out, "lag", "--json")).isZero();

        JsonNode json = ExactJson.mapper().readTree(out.toString());
        Instant takenAt = Instant.parse(json.get("takenAt").asString());
        long totalBacklog = 0;
        boolean xinfoWrong = false;
        for (int p = 0; p < PARTITIONS; p++) {
            JsonNode partition = json.get("partitions").get(p);
            List<String> ids = model.get(p);
            totalBacklog += ids.size();
            assertThat(partition.get("partition").asInt()).isEqualTo(p);
            assertThat(partition.get("backlog").asLong())
                    .as("backlog of partition %d", p)
                    .isEqualTo(ids.size());
            if (ids.isEmpty()) {
                assertThat(partition.get("oldestAgeSeconds").asDouble()).isZero();
                assertThat(partition.get("oldestUnappliedId").isNull()).isTrue();
            } else {
                assertThat(partition.get("oldestUnappliedId").asString()).isEqualTo(ids.get(0));
                double modelAge = (takenAt.toEpochMilli()
                                - StreamEntryId.parse(ids.get(0)).millis())
                        / 1000.0;
                assertThat(partition.get("oldestAgeSeconds").asDouble())
                        .as("oldest age of partition %d", p)
                        .isBetween(modelAge - 0.05, modelAge + 1.0);
            }
            assertThat(partition.get("deletedBeforeApplied").asBoolean()).isEqualTo(deletedIn.contains(p));
            JsonNode xinfo = partition.get("xinfoLag");
            if (xinfo.isNull() || xinfo.asLong() != ids.size()) {
                xinfoWrong = true;
            }
        }
        assertThat(json.get("totals").get("backlog").asLong()).isEqualTo(totalBacklog);
        assertThat(xinfoWrong)
                .as("the scenario must be one where XINFO's lag is null or wrong")
                .isTrue();
    }

    @Test
    void pause_stopsApplying_andResume_drainsInOrder() throws Exception {
        startWorker("pause-worker", 0);
        int p = 5;
        UUID key = keyIn(p);
        UUID other = keyIn(6);
        StringWriter paused = new StringWriter();
        assertThat(cli(paused, "pause", Integer.toString(p), "--reason", "test maintenance"))
                .isZero();
        assertThat(paused.toString()).contains("partition 5 paused by");
        // the loop checks the flag before each read, at most 250 ms apart, and a blocking read lasts up to 500 ms
        await().pollDelay(Duration.ofMillis(1_500)).until(() -> true);

        List<WriteReceipt> writes = new ArrayList<>();
        try (RecordWriter writer = writer()) {
            for (int i = 1; i <= 30; i++) {
                writes.add(writer.put("source_documents", RecordKey.of(key), Map.of("filename", "v" + i + ".pdf")));
            }
            writer.put("source_documents", RecordKey.of(other), Map.of("filename", "other.pdf"));
        }
        assertThat(writes).allSatisfy(w -> assertThat(w.partition()).isEqualTo(p));

        // then: the other partition is applied, the paused one is not, for a while
        await().atMost(Duration.ofSeconds(30)).until(() -> filename(other) != null);
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).until(() -> filename(key) == null);
        JsonNode lag = lagJson().get("partitions").get(p);
        assertThat(lag.get("paused").asBoolean()).isTrue();
        assertThat(lag.get("pausedBy").asString()).contains("test maintenance");
        assertThat(lag.get("backlog").asLong()).isEqualTo(30);
        assertThat(lag.get("owner").get("worker").asString()).isEqualTo("pause-worker");
        StringWriter partitions = new StringWriter();
        assertThat(cli(partitions, "partitions")).isZero();
        assertThat(partitions.toString()).containsPattern("(?m)^5\\s+paused\\s");

        StringWriter resumed = new StringWriter();
        assertThat(cli(resumed, "resume", Integer.toString(p))).isZero();
        assertThat(resumed.toString()).contains("partition 5 resumed by");

        await().atMost(Duration.ofSeconds(30)).until(() -> "v30.pdf".equals(filename(key)));
        await().atMost(Duration.ofSeconds(10))
                .until(() -> writes.get(29).entryId().equals(redis.commands().hget(layout.meta(p), "applied")));
        assertThat(version(key)).isEqualTo(writes.get(29).version());
        JsonNode after = lagJson().get("partitions").get(p);
        assertThat(after.get("paused").asBoolean()).isFalse();
        assertThat(after.get("backlog").asLong()).isZero();
        StringWriter again = new StringWriter();
        assertThat(cli(again, "resume", Integer.toString(p))).isZero();
        assertThat(again.toString()).contains("was not paused");
    }

    @Test
    void drainWait_returnsOnlyOnceEveryRowWrittenBeforeIsInPostgres() throws Exception {
        write(1_500, "drain");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CompletableFuture<Integer> drain = CompletableFuture.supplyAsync(
                () -> cli(out, err, "drain", "--wait", "--timeout", "2m", "--poll", "100ms"));

        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3)).until(() -> !drain.isDone());
        startWorker("drain-worker", 0);
        int code = drain.get(2, TimeUnit.MINUTES);
        long rowsWhenDrainReturned = rows();

        assertThat(code).as(err.toString()).isZero();
        assertThat(rowsWhenDrainReturned).isEqualTo(1_500);
        assertThat(out.toString()).contains("drained:").contains("1500 entries were waiting");
        assertThat(err.toString()).contains("has no owner").contains("drain");
    }

    @Test
    void drainWait_withNothingApplyingIt_timesOutNamingThePartitions() {
        write(20, "stuck");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();

        int code = cli(out, err, "drain", "--wait", "--timeout", "1s");

        assertThat(code).isEqualTo(1);
        assertThat(err.toString())
                .contains("not drained after 1.0 s")
                .contains("no owner")
                .contains("in partitions");
    }

    @Test
    void leasesAndPartitions_showWhoOwnsWhatSinceWhen_andTheirState() throws Exception {
        Instant before = Instant.now().minusSeconds(5);
        startWorker("lease-worker-a", 0);
        await().atMost(Duration.ofSeconds(30))
                .until(() -> lagJson()
                        .get("partitions")
                        .valueStream()
                        .allMatch(p -> !p.get("owner").isNull()));

        StringWriter leases = new StringWriter();
        assertThat(cli(leases, "leases")).isZero();
        StringWriter leasesJson = new StringWriter();
        assertThat(cli(leasesJson, "leases", "--json")).isZero();
        StringWriter partitions = new StringWriter();
        assertThat(cli(partitions, "partitions", "--json")).isZero();

        assertThat(leases.toString())
                .contains("lease-worker-a owns 16 partitions")
                .contains("0 of 16 partitions have no owner");
        JsonNode array = ExactJson.mapper().readTree(leasesJson.toString());
        assertThat(array.size()).isEqualTo(PARTITIONS);
        for (JsonNode lease : array) {
            JsonNode owner = lease.get("owner");
            assertThat(owner.get("worker").asString()).isEqualTo("lease-worker-a");
            assertThat(Instant.parse(owner.get("since").asString())).isAfter(before);
            assertThat(owner.get("token").asLong()).isPositive();
            assertThat(owner.get("expiresInMillis").asLong()).isPositive();
        }
        JsonNode states = ExactJson.mapper().readTree(partitions.toString());
        assertThat(states.valueStream().map(s -> s.get("state").asString())).containsOnly("idle");
    }

    @Test
    void syncWorker_servesPartitionGauges_andReadinessNamesTheLaggingPartition() throws Exception {
        int p = 3;
        assertThat(cli(new StringWriter(), "pause", Integer.toString(p))).isZero();
        try (RecordWriter writer = writer()) {
            writer.put("source_documents", RecordKey.of(keyIn(p)), Map.of("filename", "held.pdf"));
        }
        int port = freePort();
        startWorker("gauge-worker", port, "--ready-max-lag-ms", "500");

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            HttpResponse<String> metrics = get(port, "/actuator/prometheus");
            assertThat(metrics.body())
                    .contains("cistern_partition_backlog_entries{partition=\"3\"} 1.0")
                    .contains("cistern_partition_oldest_age_seconds{partition=\"3\"}")
                    .contains("cistern_partition_pending_entries{partition=\"3\"} 0.0")
                    .contains("cistern_partition_deadletters_entries{partition=\"3\"} 0.0")
                    .contains("cistern_partition_paused{partition=\"3\"} 1.0")
                    .contains("cistern_partition_owned{partition=\"3\"} 1.0");
        });
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            HttpResponse<String> ready = get(port, "/actuator/health/readiness");
            assertThat(ready.statusCode()).isEqualTo(503);
            assertThat(ready.body())
                    .contains("partition 3: oldest unapplied entry is")
                    .contains("paused by");
        });
        HttpResponse<String> live = get(port, "/actuator/health/liveness");
        assertThat(live.statusCode()).isEqualTo(200);
    }

    @Test
    void lagWatch_printsOneTablePerRefresh_andWatchJsonOneObjectPerLine() {
        write(10, "watch");
        StringWriter table = new StringWriter();
        StringWriter json = new StringWriter();

        assertThat(cli(table, "lag", "--watch", "--count", "2", "--interval", "100ms"))
                .isZero();
        assertThat(cli(json, "lag", "--watch", "--json", "--count", "3", "--interval", "100ms"))
                .isZero();

        assertThat(table.toString().split("total: backlog 10 entries", -1)).hasSize(3);
        assertThat(table.toString())
                .containsPattern("(?m)^P\\s+BACKLOG\\s+OLDEST\\s+PENDING\\s+OWNER\\s+DLQ\\s+PAUSED");
        List<String> lines = json.toString().lines().toList();
        assertThat(lines).hasSize(3);
        assertThat(lines)
                .allSatisfy(l -> assertThat(ExactJson.mapper()
                                .readTree(l)
                                .get("totals")
                                .get("backlog")
                                .asLong())
                        .isEqualTo(10));
    }

    @Test
    void lag_onAnUnreachableRedis_saysWhatIsWrong_withoutATrace() {
        StringWriter out = new StringWriter();

        int code = CisternCli.commandLine()
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(out, true))
                .execute("lag", "--redis-url", "redis://127.0.0.1:1", "--prefix", redis.prefix());

        assertThat(code).isEqualTo(1);
        assertThat(out.toString())
                .startsWith("cistern lag: ")
                .contains("127.0.0.1:1")
                .doesNotContain("\tat ");
    }

    @Test
    void pause_ofAPartitionThatDoesNotExist_isRefusedNamingTheRange() {
        StringWriter out = new StringWriter();

        assertThat(cli(out, "pause", "16")).isEqualTo(1);
        assertThat(out.toString()).contains("partition 16 does not exist").contains("0 to 15");
    }

    // --- helpers

    private JsonNode lagJson() {
        StringWriter out = new StringWriter();
        assertThat(cli(out, "lag", "--json")).isZero();
        return ExactJson.mapper().readTree(out.toString());
    }

    private boolean watermarksCover(List<WriteReceipt> receipts) {
        for (WriteReceipt w : receipts) {
            String applied = redis.commands().hget(layout.meta(w.partition()), "applied");
            if (applied == null || StreamEntryId.parse(applied).compareTo(StreamEntryId.parse(w.entryId())) < 0) {
                return false;
            }
        }
        return true;
    }

    private static UUID keyIn(int partition) {
        while (true) {
            UUID u = UUID.randomUUID();
            String routing = Partitioner.routingText(KeyEncoding.encode(List.of(u.toString())), 1);
            if (Partitioner.partitionOf(routing, PARTITIONS) == partition) {
                return u;
            }
        }
    }

    private RecordWriter writer() {
        return RecordWriter.connect(
                WriterSettings.of(redis.url()).mutate().prefix(redis.prefix()).build());
    }

    private List<WriteReceipt> write(int n, String name) {
        List<WriteReceipt> receipts = new ArrayList<>();
        try (RecordWriter writer = writer()) {
            for (int i = 0; i < n; i++) {
                receipts.add(writer.put(
                        "source_documents", RecordKey.of(UUID.randomUUID()), Map.of("filename", name + i + ".pdf")));
            }
        }
        return receipts;
    }

    private SyncWorkerCommand startWorker(String id, int port, String... extra) {
        CommandLine cli = CisternCli.commandLine().setOut(new PrintWriter(new StringWriter(), true));
        List<String> args =
                new ArrayList<>(List.of("sync-worker", "--port", Integer.toString(port), "--worker-id", id));
        args.addAll(List.of(extra));
        assertThat(cli.execute(args(args.toArray(String[]::new)))).isZero();
        SyncWorkerCommand worker = cli.getSubcommands().get("sync-worker").getCommand();
        workers.add(worker);
        return worker;
    }

    private long rows() throws Exception {
        try (Connection c = database.connect();
                ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM source_documents")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private String filename(UUID document) throws Exception {
        try (Connection c = database.connect();
                var ps = c.prepareStatement("SELECT filename FROM source_documents WHERE document_uuid = ?")) {
            ps.setObject(1, document);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    private long version(UUID document) throws Exception {
        try (Connection c = database.connect();
                var ps = c.prepareStatement("SELECT cistern_version FROM source_documents WHERE document_uuid = ?")) {
            ps.setObject(1, document);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    private static HttpResponse<String> get(int port, String path) throws Exception {
        return HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private String[] args(String... command) {
        String[] all = new String[command.length + 6];
        System.arraycopy(command, 0, all, 0, command.length);
        all[command.length] = "--redis-url";
        all[command.length + 1] = redis.url();
        all[command.length + 2] = "--database-url";
        all[command.length + 3] = database.jdbcUrl();
        all[command.length + 4] = "--prefix";
        all[command.length + 5] = redis.prefix();
        return all;
    }

    private int cli(StringWriter out, String... command) {
        return cli(out, out, command);
    }

    private int cli(StringWriter out, StringWriter err, String... command) {
        return CisternCli.commandLine()
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .execute(args(command));
    }
}
