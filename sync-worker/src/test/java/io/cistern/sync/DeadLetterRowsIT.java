package io.cistern.sync;

import static io.cistern.schema.codec.Operation.PUT;
import static org.assertj.core.api.Assertions.assertThat;

import io.cistern.schema.codec.ChangeEntry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Dead letters recorded in cistern_dead_letter, in the batch's fenced transaction (migration V3). */
class DeadLetterRowsIT {
    private static final String DOCS = "source_documents";
    private static SyncFixture fx;
    private static BatchApplier applier;
    private static long token;

    @BeforeAll
    static void start() throws SQLException {
        fx = new SyncFixture(DeadLetterRowsIT.class.getSimpleName());
        applier = new BatchApplier(fx.dataSource, fx.registry, "worker-a");
        token = new FenceTokens(fx.dataSource).next(1);
    }

    @AfterAll
    static void stop() {
        fx.close();
    }

    @Test
    void retriedBatch_recordsOneDeadLetterPerPoisonEntry() throws SQLException {
        String good = UUID.randomUUID().toString();
        ChangeEntry badStatus = put(UUID.randomUUID().toString(), "{\"filename\": \"x\", \"status\": \"bogus\"}");
        ChangeEntry alsoBad = put(UUID.randomUUID().toString(), "{\"filename\": \"y\", \"status\": \"nope\"}");
        List<ChangeEntry> batch = List.of(put(good, "{\"filename\": \"ok.pdf\"}"), badStatus, alsoBad);

        applier.apply(1, token, batch, 1, false);
        // The commit's acknowledgement was lost: the next owner (or this one) applies the same batch again.
        ApplyResult again = applier.apply(1, token, batch, 2, false);

        assertThat(again.deadLetters()).hasSize(2);
        List<Map<String, String>> rows = fx.rows("SELECT entry_id, sqlstate, attempts, worker, table_name, op,"
                + " resolved_at FROM cistern_dead_letter WHERE partition = 1 ORDER BY entry_id");
        assertThat(rows).extracting(r -> r.get("entry_id")).containsExactlyInAnyOrder(badStatus.id(), alsoBad.id());
        assertThat(rows).allSatisfy(r -> {
            assertThat(r.get("sqlstate")).isEqualTo("23514");
            assertThat(r.get("attempts")).isEqualTo("1");
            assertThat(r.get("worker")).isEqualTo("worker-a");
            assertThat(r.get("table_name")).isEqualTo(DOCS);
            assertThat(r.get("op")).isEqualTo("put");
            assertThat(r.get("resolved_at")).isNull();
        });
    }

    @Test
    void valueWithANulByte_isDeadLetteredAndKeptByteForByte() throws SQLException {
        String doc = UUID.randomUUID().toString();
        ChangeEntry nul = put(doc, "{\"filename\": \"a\\u0000b.pdf\"}");

        ApplyResult result = applier.apply(2, new FenceTokens(fx.dataSource).next(2), List.of(nul), 1, false);

        assertThat(result.deadLetters()).extracting(DeadLetter::entryId).containsExactly(nul.id());
        Map<String, String> kept = entry(2, nul.id());
        assertThat(kept).isEqualTo(DeadLetter.fieldsOf(nul));
        assertThat(kept.get(ChangeEntry.COLUMN_PREFIX + "filename")).contains("\\u0000");
        assertThat(fx.scalar("SELECT record_key FROM cistern_dead_letter WHERE entry_id = '" + nul.id() + "'"))
                .isEqualTo(doc);
    }

    @Test
    void rawNulByteInAKey_isKeptInTheEntryAndWrittenEscapedInTheTextColumns() throws SQLException {
        DeadLetter malformed = new DeadLetter(
                "77-0", Map.of(ChangeEntry.TABLE, DOCS, ChangeEntry.KEY, "a\0b"), "malformed: no version", "", 1);

        ApplyResult result = applier.apply(
                3, new FenceTokens(fx.dataSource).next(3), List.of(), List.of(malformed), 1, false, d -> {});

        assertThat(result.deadLetters()).containsExactly(malformed);
        assertThat(entry(3, "77-0")).containsEntry(ChangeEntry.KEY, "a\0b");
        assertThat(fx.scalar("SELECT record_key FROM cistern_dead_letter WHERE entry_id = '77-0'"))
                .isEqualTo("a\\0b");
        assertThat(fx.scalar("SELECT applied_watermark FROM cistern_partition WHERE partition = 3"))
                .isEqualTo("77-0");
    }

    @Test
    void tenThousandRecordedDeadLetters_replayInUnderTenSeconds() throws SQLException {
        List<ChangeEntry> entries = new java.util.ArrayList<>();
        List<DeadLetter> aside = new java.util.ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            ChangeEntry e = put(UUID.randomUUID().toString(), "{\"filename\": \"bulk-" + i + ".pdf\"}");
            entries.add(e);
            aside.add(DeadLetter.of(e, "bulk test: set aside", "", 1));
        }
        applier.apply(0, new FenceTokens(fx.dataSource).next(0), entries, aside, 1, false, d -> {});
        DeadLetterFilter bulk = DeadLetterFilter.all()
                .withPartition(0)
                .withReasonContaining("bulk test")
                .withLimit(100_000);
        List<DeadLetterOutcome> outcomes;
        long took;
        try (DeadLetterReplayer replayer = new DeadLetterReplayer(
                fx.layout, fx.registry, fx.dataSource, fx.redis.client(), java.time.Duration.ZERO)) {
            assertThat(replayer.recorded(bulk)).hasSize(10_000);

            long started = System.nanoTime();
            outcomes = replayer.replayRecorded("bulk test", bulk);
            took = (System.nanoTime() - started) / 1_000_000;
        }

        System.out.println("replayed 10000 recorded dead letters in " + took + " ms");
        assertThat(outcomes)
                .hasSize(10_000)
                .extracting(DeadLetterOutcome::kind)
                .containsOnly(DeadLetterOutcome.Kind.APPLIED);
        assertThat(took).as("replay of 10,000 dead letters, ms").isLessThan(10_000);
        assertThat(fx.scalar("SELECT count(*) FROM source_documents WHERE filename LIKE 'bulk-%'"))
                .isEqualTo("10000");
        assertThat(fx.scalar("SELECT count(*) FROM cistern_dead_letter WHERE partition = 0 AND resolved_at IS NULL"))
                .isEqualTo("0");
    }

    @Test
    void dropByFilter_resolvesOnlyTheMatchingDeadLetters() throws SQLException {
        ChangeEntry keep = put(UUID.randomUUID().toString(), "{\"filename\": \"k\", \"status\": \"bogus\"}");
        ChangeEntry gone = fx.entry(
                DOCS,
                UUID.randomUUID().toString(),
                io.cistern.schema.codec.Operation.PATCH,
                1,
                Map.of("status", "\"done\""));
        applier.apply(3, new FenceTokens(fx.dataSource).next(3), List.of(keep, gone), 1, false);
        try (DeadLetterReplayer replayer = new DeadLetterReplayer(
                fx.layout, fx.registry, fx.dataSource, fx.redis.client(), java.time.Duration.ZERO)) {
            DeadLetterFilter absent = DeadLetterFilter.all().withPartition(3).withReasonContaining("record absent");

            List<DeadLetterOutcome> dropped = replayer.dropRecorded("test", absent);

            assertThat(dropped)
                    .extracting(DeadLetterOutcome::entryId, DeadLetterOutcome::kind)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(gone.id(), DeadLetterOutcome.Kind.DROPPED));
            assertThat(replayer.recorded(DeadLetterFilter.all().withPartition(3).withSqlState("23")))
                    .extracting(RecordedDeadLetter::entryId)
                    .containsExactly(keep.id());
            assertThat(replayer.recorded(absent)).isEmpty();
        }
        assertThat(fx.scalar("SELECT resolution FROM cistern_dead_letter WHERE entry_id = '" + gone.id() + "'"))
                .isEqualTo("dropped");
    }

    @Test
    void streamLettersFromBeforeTheTable_moveIntoItOnce() throws SQLException {
        ChangeEntry old = put(UUID.randomUUID().toString(), "{\"filename\": \"from-redis.pdf\"}");
        new DeadLetterStream(fx.redis.commands(), fx.layout, "worker-old")
                .append(2, List.of(DeadLetter.of(old, "recorded on the stream only", "23514", 3)));
        try (DeadLetterReplayer replayer = new DeadLetterReplayer(
                fx.layout, fx.registry, fx.dataSource, fx.redis.client(), java.time.Duration.ZERO)) {

            int first = replayer.moveStreamsToTable();
            int second = replayer.moveStreamsToTable();

            assertThat(second).isZero();
            assertThat(first).isGreaterThanOrEqualTo(1);
            List<RecordedDeadLetter> moved =
                    replayer.recorded(DeadLetterFilter.all().withReasonContaining("stream only"));
            assertThat(moved).singleElement().satisfies(l -> {
                assertThat(l.entryId()).isEqualTo(old.id());
                assertThat(l.partition()).isEqualTo(2);
                assertThat(l.attempts()).isEqualTo(3);
                assertThat(l.worker()).isEqualTo("worker-old");
                assertThat(l.entry()).isEqualTo(DeadLetter.fieldsOf(old));
            });
            assertThat(replayer.replayRecorded(
                            "test",
                            DeadLetterFilter.all()
                                    .withIds(List.of(moved.getFirst().id()))))
                    .extracting(DeadLetterOutcome::kind)
                    .containsExactly(DeadLetterOutcome.Kind.APPLIED);
            assertThat(replayer.list(2, DeadLetterFilter.all()))
                    .as("the stream letter is resolved with its row")
                    .noneMatch(l -> l.entryId().equals(old.id()));
        }
    }

    @Test
    void wrongTypedValueFromAPlainRedisClient_isDeadLetteredWithAReasonForPeople() {
        String doc = UUID.randomUUID().toString();
        ChangeEntry wrong = fx.entry(
                DOCS, doc, PUT, 1, Map.of("filename", "\"x.pdf\"", "page_count", "\"twelve " + "x".repeat(80) + "\""));

        ApplyResult result = applier.apply(2, token2(), List.of(wrong), 1, false);

        assertThat(result.deadLetters())
                .singleElement()
                .satisfies(d -> assertThat(d.reason())
                        .contains("page_count", io.cistern.schema.registry.SqlType.INTEGER.sqlName(), "twelve", "...")
                        .doesNotContain("StringNode", "bigIntegerValue", "coerce", "x".repeat(80)));
        assertThat(fx.scalar("SELECT reason FROM cistern_dead_letter WHERE entry_id = '" + wrong.id() + "'"))
                .isEqualTo(result.deadLetters().getFirst().reason());
    }

    private static long token2() {
        try {
            return new FenceTokens(fx.dataSource).next(2);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, String> entry(int partition, String entryId) throws SQLException {
        try (Connection c = fx.dataSource.getConnection();
                PreparedStatement ps = c.prepareStatement(
                        "SELECT entry FROM cistern_dead_letter WHERE partition = ? AND entry_id = ?")) {
            ps.setInt(1, partition);
            ps.setString(2, entryId);
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next())
                        .as("dead letter %s/%s recorded", partition, entryId)
                        .isTrue();
                return DeadLetterRows.decode(rs.getBytes(1));
            }
        }
    }

    private static ChangeEntry put(String doc, String json) {
        Map<String, String> columns = new java.util.LinkedHashMap<>();
        tools.jackson.databind.JsonNode node =
                io.cistern.schema.codec.ExactJson.mapper().readTree(json);
        node.properties().forEach(e -> columns.put(e.getKey(), e.getValue().toString()));
        return fx.entry(DOCS, doc, PUT, 1, columns);
    }
}
