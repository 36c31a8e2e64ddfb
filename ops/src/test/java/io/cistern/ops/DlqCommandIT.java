package io.cistern.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cistern.connections.testing.TestDatabase;
import io.cistern.connections.testing.TestRedis;
import io.cistern.schema.codec.ExactJson;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.writer.RecordKey;
import io.cistern.writer.RecordWriter;
import io.cistern.writer.WriteReceipt;
import io.cistern.writer.WriterSettings;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;

/** {@code ops/cistern dlq}: an operator finds a poison record, fixes the cause, replays it, and replays it again. */
class DlqCommandIT {
    private TestRedis redis;
    private TestDatabase database;
    private SyncWorkerCommand worker;

    @BeforeEach
    void setUp() {
        redis = TestRedis.create("DlqCommandIT");
        database = TestDatabase.create("DlqCommandIT");
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
    void poisonRecord_isListed_replayedAfterTheFix_andAReplayAgainFindsNothing() throws Exception {
        assertThat(cli(new StringWriter(), "init")).isZero();
        database.execute("ALTER TABLE source_documents ADD CONSTRAINT no_tmp CHECK (filename NOT LIKE '%.tmp')");
        UUID poison = UUID.randomUUID();
        WriteReceipt receipt;
        try (RecordWriter writer = RecordWriter.connect(
                WriterSettings.of(redis.url()).mutate().prefix(redis.prefix()).build())) {
            receipt = writer.put("source_documents", RecordKey.of(poison), Map.of("filename", "upload.tmp"));
        }
        CommandLine workerCli = CisternCli.commandLine().setOut(new PrintWriter(new StringWriter(), true));
        assertThat(workerCli.execute(args("sync-worker", "--port", "0"))).isZero();
        worker = workerCli.getSubcommands().get("sync-worker").getCommand();

        StringWriter listed = new StringWriter();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            listed.getBuffer().setLength(0);
            assertThat(cli(listed, "dlq", "list", "--table", "source_documents"))
                    .isZero();
            assertThat(listed.toString()).contains("1 open dead letters").contains("23514");
        });
        Matcher m = Pattern.compile("(?m)^(\\d+)\\s+(\\S+)\\s+" + Pattern.quote(receipt.entryId()))
                .matcher(listed.toString());
        assertThat(m.find()).as(listed.toString()).isTrue();
        String deadLetter = m.group(2);

        database.execute("ALTER TABLE source_documents DROP CONSTRAINT no_tmp");
        StringWriter replayed = new StringWriter();
        assertThat(cli(replayed, "dlq", "replay", deadLetter)).isZero();
        StringWriter again = new StringWriter();
        int secondReplay = cli(again, "dlq", "replay", deadLetter);

        assertThat(replayed.toString()).contains(deadLetter).contains("applied");
        assertThat(filename(poison)).isEqualTo("upload.tmp");
        assertThat(secondReplay).as("nothing left to replay").isEqualTo(1);
        assertThat(again.toString()).contains("not found");
        StringWriter after = new StringWriter();
        assertThat(cli(after, "dlq", "list")).isZero();
        assertThat(after.toString()).contains("0 open dead letters");
    }

    @Test
    void replayAndDrop_takeListsFilters_andDryRunChangesNothing() throws Exception {
        assertThat(cli(new StringWriter(), "init")).isZero();
        database.execute(
                "ALTER TABLE source_documents ADD CONSTRAINT no_tmp CHECK (filename NOT LIKE '%.tmp')",
                "ALTER TABLE source_documents ADD CONSTRAINT no_bak CHECK (filename NOT LIKE '%.bak')");
        UUID tmp = UUID.randomUUID();
        UUID bak = UUID.randomUUID();
        try (RecordWriter writer = RecordWriter.connect(
                WriterSettings.of(redis.url()).mutate().prefix(redis.prefix()).build())) {
            writer.put("source_documents", RecordKey.of(tmp), Map.of("filename", "a.tmp"));
            writer.put("source_documents", RecordKey.of(bak), Map.of("filename", "b.bak"));
        }
        CommandLine workerCli = CisternCli.commandLine().setOut(new PrintWriter(new StringWriter(), true));
        assertThat(workerCli.execute(args("sync-worker", "--port", "0"))).isZero();
        worker = workerCli.getSubcommands().get("sync-worker").getCommand();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            StringWriter listed = new StringWriter();
            assertThat(cli(listed, "dlq", "list", "--sqlstate", "23")).isZero();
            assertThat(listed.toString()).contains("2 open dead letters");
        });

        StringWriter noSelection = new StringWriter();
        assertThat(cli(noSelection, "dlq", "drop")).isNotZero();
        assertThat(noSelection.toString()).contains("--all");
        StringWriter dryDrop = new StringWriter();
        assertThat(cli(dryDrop, "dlq", "drop", "--reason", "no_bak", "--dry-run"))
                .isZero();
        assertThat(dryDrop.toString()).contains("would drop").contains("1 dead letters would be dropped");
        StringWriter dryReplay = new StringWriter();
        assertThat(cli(dryReplay, "dlq", "replay", "--all", "--dry-run")).isZero();
        assertThat(dryReplay.toString()).contains("2 dead letters would be replayed");
        StringWriter stillTwo = new StringWriter();
        assertThat(cli(stillTwo, "dlq", "list")).isZero();
        assertThat(stillTwo.toString()).contains("2 open dead letters");

        StringWriter dropped = new StringWriter();
        assertThat(cli(dropped, "dlq", "drop", "--table", "source_documents", "--reason", "no_bak"))
                .isZero();
        assertThat(dropped.toString()).contains("1 dropped");
        database.execute("ALTER TABLE source_documents DROP CONSTRAINT no_tmp");
        StringWriter replayed = new StringWriter();
        assertThat(cli(replayed, "dlq", "replay", "--sqlstate", "23514", "--since", "2020-01-01T00:00:00Z"))
                .as(replayed.toString())
                .isZero();
        assertThat(replayed.toString()).contains("1 dead letters: 1 applied");

        assertThat(filename(tmp)).isEqualTo("a.tmp");
        assertThat(filename(bak)).isNull();
        StringWriter none = new StringWriter();
        assertThat(cli(none, "dlq", "list")).isZero();
        assertThat(none.toString()).contains("0 open dead letters");
    }

    @Test
    void lagAndTheDashboard_countTheDeadLettersWhereTheyAreRecorded_notTheRedisNotices() throws Exception {
        assertThat(cli(new StringWriter(), "init")).isZero();
        database.execute("ALTER TABLE source_documents ADD CONSTRAINT no_tmp CHECK (filename NOT LIKE '%.tmp')");
        WriteReceipt receipt;
        try (RecordWriter writer = RecordWriter.connect(
                WriterSettings.of(redis.url()).mutate().prefix(redis.prefix()).build())) {
            receipt = writer.put("source_documents", RecordKey.of(UUID.randomUUID()), Map.of("filename", "x.tmp"));
        }
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        CommandLine workerCli = CisternCli.commandLine().setOut(new PrintWriter(new StringWriter(), true));
        assertThat(workerCli.execute(args("sync-worker", "--port", Integer.toString(port))))
                .isZero();
        worker = workerCli.getSubcommands().get("sync-worker").getCommand();
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(deadLettersInLag()).isEqualTo(1));

        // Redis loses the notices (as a Redis that lost its data would), and a batch whose commit failed after its
        // notice was appended leaves duplicates (here on another partition): none of them is a dead letter.
        KeyLayout layout = new KeyLayout(redis.prefix());
        int other = receipt.partition() == 0 ? 1 : 0;
        redis.commands().del(layout.deadLetters(receipt.partition()));
        for (int i = 0; i < 2; i++) {
            redis.commands()
                    .xadd(layout.deadLetters(other), Map.of("entry_id", receipt.entryId(), "reason", "duplicate"));
        }

        assertThat(deadLettersInLag()).as("lag counts cistern_dead_letter").isEqualTo(1);
        JsonNode activity = ExactJson.mapper()
                .readTree(java.net.http.HttpClient.newHttpClient()
                        .send(
                                java.net.http.HttpRequest.newBuilder(
                                                java.net.URI.create("http://127.0.0.1:" + port + "/cistern/activity"))
                                        .build(),
                                java.net.http.HttpResponse.BodyHandlers.ofString())
                        .body());
        assertThat(activity.get("deadLettersFrom").asText()).isEqualTo("postgres");
        assertThat(activity.get("deadLetters")).hasSize(1);
        assertThat(activity.get("deadLetters").get(0).get("partition").asInt()).isEqualTo(receipt.partition());
        StringWriter shown = new StringWriter();
        assertThat(cli(
                        shown,
                        "dlq",
                        "show",
                        activity.get("deadLetters").get(0).get("id").asText()))
                .as("the dashboard's id is the one dlq takes")
                .isZero();
        assertThat(shown.toString()).contains(receipt.entryId());

        StringWriter dropped = new StringWriter();
        assertThat(cli(dropped, "dlq", "drop", "--all")).isZero();
        assertThat(deadLettersInLag()).isZero();
    }

    private long deadLettersInLag() throws Exception {
        StringWriter out = new StringWriter();
        int code = CisternCli.commandLine()
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(new StringWriter(), true))
                .execute(args("lag", "--json"));
        assertThat(code).isZero();
        return ExactJson.mapper()
                .readTree(out.toString())
                .get("totals")
                .get("deadLetters")
                .asLong();
    }

    @Test
    void purge_deletesOnlyDeadLettersResolvedBeforeOlderThan_andDryRunOnlyCounts() {
        assertThat(cli(new StringWriter(), "init")).isZero();
        database.execute(
                letter("open-ancient", "1000 days", null, null),
                letter("replayed-40d", "41 days", "40 days", "replayed"),
                letter("dropped-31d", "41 days", "31 days", "dropped"),
                letter("dropped-29d", "41 days", "29 days", "dropped"));

        StringWriter dry = new StringWriter();
        assertThat(cli(dry, "dlq", "purge", "--older-than", "30d", "--dry-run")).isZero();
        assertThat(dry.toString())
                .contains("dry run: 2 dead letters resolved more than 30 days ago would be deleted (dropped 1,"
                        + " replayed 1); nothing changed");
        assertThat(count()).isEqualTo(4);

        StringWriter purged = new StringWriter();
        assertThat(cli(purged, "dlq", "purge", "--older-than", "P30D"))
                .as(purged.toString())
                .isZero();
        assertThat(purged.toString())
                .contains("deleted 2 dead letters resolved more than 30 days ago (dropped 1, replayed 1)");
        assertThat(count()).isEqualTo(2);

        StringWriter tooShort = new StringWriter();
        assertThat(cli(tooShort, "dlq", "purge", "--older-than", "5m")).isNotZero();
        assertThat(tooShort.toString())
                .contains("--older-than: the retention of resolved dead letters must be from 3600000 ms (1 h)")
                .contains("was 300000 ms");
        StringWriter noDuration = new StringWriter();
        assertThat(cli(noDuration, "dlq", "purge")).isNotZero();
        assertThat(noDuration.toString()).contains("--older-than");
        assertThat(count()).as("open and newer resolved dead letters stay").isEqualTo(2);
    }

    /** A dead letter recorded {@code age} ago, resolved {@code resolvedAgo} ago (null: open), as SQL. */
    private static String letter(String entryId, String age, String resolvedAgo, String resolution) {
        return "INSERT INTO cistern_dead_letter (partition, entry_id, entry, reason, attempts, worker, created_at,"
                + " resolved_at, resolution) VALUES (0, '" + entryId + "', '\\x00000000'::bytea, 'test', 1, 'test',"
                + " now() - interval '" + age + "', "
                + (resolvedAgo == null ? "NULL, NULL" : "now() - interval '" + resolvedAgo + "', '" + resolution + "'")
                + ")";
    }

    private long count() {
        try (Connection c = database.connect();
                PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM cistern_dead_letter");
                ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private String filename(UUID document) throws Exception {
        try (Connection c = database.connect();
                PreparedStatement ps =
                        c.prepareStatement("SELECT filename FROM source_documents WHERE document_uuid = ?")) {
            ps.setObject(1, document);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
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
        return CisternCli.commandLine()
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(out, true))
                .execute(args(command));
    }
}
