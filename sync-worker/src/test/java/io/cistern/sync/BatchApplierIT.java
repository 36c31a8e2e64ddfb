package io.cistern.sync;

import static io.cistern.schema.codec.Operation.DELETE;
import static io.cistern.schema.codec.Operation.PATCH;
import static io.cistern.schema.codec.Operation.PUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cistern.schema.codec.ChangeEntry;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The applier against a real PostgreSQL: every invariant of DESIGN.md 3.3 it keeps. */
class BatchApplierIT {
    private static final String DOCS = "source_documents";
    private static final String ENTITIES = "entities";
    private static SyncFixture fx;
    private static BatchApplier applier;
    private static FenceTokens tokens;
    private static long token;

    @BeforeAll
    static void start() throws Exception {
        fx = new SyncFixture(BatchApplierIT.class.getSimpleName());
        applier = new BatchApplier(fx.dataSource, fx.registry);
        tokens = new FenceTokens(fx.dataSource);
        token = tokens.next(0);
    }

    @AfterAll
    static void stop() {
        fx.close();
    }

    @Test
    void olderRedelivery_doesNotOverwriteNewer() {
        String doc = uuid();
        apply(put(doc, 2, "newer.pdf"));

        apply(put(doc, 1, "older.pdf"));

        assertThat(doc(doc)).containsEntry("filename", "newer.pdf").containsEntry("cistern_version", "2");
    }

    @Test
    void entriesSetAside_areDeadLetteredNotApplied_andTheWatermarkPassesThem() {
        String kept = uuid();
        String aside = uuid();
        ChangeEntry applied = put(kept, 1, "kept.pdf");
        ChangeEntry issuedBelow = put(aside, 1, "from-a-shorter-history.pdf");
        DeadLetter letter = DeadLetter.of(issuedBelow, "issued by a shorter Redis history", "", 1);
        List<DeadLetter> handedOver = new java.util.ArrayList<>();

        ApplyResult r =
                applier.apply(0, token, List.of(applied, issuedBelow), List.of(letter), 1, false, handedOver::addAll);

        assertThat(doc(kept)).containsEntry("filename", "kept.pdf");
        assertThat(fx.row(DOCS, "document_uuid = '" + aside + "'")).isEmpty();
        assertThat(r.deadLetters()).containsExactly(letter);
        assertThat(handedOver).containsExactly(letter);
        assertThat(r.watermark()).isEqualTo(issuedBelow.id());
        assertThat(watermark(0)).isEqualTo(issuedBelow.id());
    }

    @Test
    void reapplyingTheSameBatch_changesNothing() {
        String doc = uuid();
        List<ChangeEntry> batch =
                List.of(put(doc, 1, "a.pdf"), fx.entry(DOCS, doc, PATCH, 2, Map.of("status", "\"processing\"")));
        ApplyResult first = applier.apply(0, token, batch, 1, false);
        Map<String, String> once = doc(doc);

        ApplyResult second = applier.apply(0, token, batch, 1, false);

        assertThat(doc(doc)).isEqualTo(once).containsEntry("status", "processing");
        assertThat(first.deadLetters()).isEmpty();
        assertThat(second.deadLetters()).isEmpty();
    }

    @Test
    void deleteThenOlderPutInALaterTransaction_staysDeleted() {
        String doc = uuid();
        apply(put(doc, 1, "a.pdf"), fx.entry(DOCS, doc, DELETE, 3, Map.of()));

        ApplyResult replay = apply(put(doc, 2, "resurrected.pdf"));

        assertThat(fx.row(DOCS, "document_uuid = '" + doc + "'")).isEmpty();
        assertThat(fx.scalar("SELECT version FROM cistern_tombstone WHERE table_name = 'source_documents'"
                        + " AND record_key = '" + doc + "'"))
                .isEqualTo("3");
        assertThat(replay.deadLetters()).isEmpty();
    }

    @Test
    void putNewerThanTheTombstone_bringsTheRecordBack() {
        String doc = uuid();
        apply(put(doc, 1, "a.pdf"), fx.entry(DOCS, doc, DELETE, 2, Map.of()));

        apply(put(doc, 3, "again.pdf"));

        assertThat(doc(doc)).containsEntry("filename", "again.pdf").containsEntry("cistern_version", "3");
    }

    @Test
    void documentAndEntitiesInsertedInOneBatch_thenDeletedInOneBatch_withoutForeignKeyError() {
        String doc = uuid();
        String e1 = doc + "," + uuid();
        String e2 = doc + "," + uuid();

        ApplyResult inserted = apply(entity(e1, 2, "alpha"), put(doc, 1, "a.pdf"), entity(e2, 3, "beta"));
        assertThat(fx.rows("SELECT * FROM entities WHERE document_uuid = '" + doc + "'"))
                .hasSize(2);

        ApplyResult deleted = apply(
                fx.entry(DOCS, doc, DELETE, 4, Map.of()),
                fx.entry(ENTITIES, e1, DELETE, 5, Map.of()),
                fx.entry(ENTITIES, e2, DELETE, 6, Map.of()));

        assertThat(inserted.deadLetters()).isEmpty();
        assertThat(deleted.deadLetters()).isEmpty();
        assertThat(fx.row(DOCS, "document_uuid = '" + doc + "'")).isEmpty();
        assertThat(fx.rows("SELECT * FROM entities WHERE document_uuid = '" + doc + "'"))
                .isEmpty();
    }

    @Test
    void rowThatExistedBeforeCistern_countsAsVersionZero_andIsUpdated() {
        String doc = uuid();
        fx.db.execute("INSERT INTO source_documents (document_uuid, filename) VALUES ('" + doc + "', 'legacy.pdf')");

        apply(fx.entry(DOCS, doc, PATCH, 1, Map.of("status", "\"done\"")));

        assertThat(doc(doc))
                .containsEntry("filename", "legacy.pdf")
                .containsEntry("status", "done")
                .containsEntry("cistern_version", "1");
    }

    @Test
    void putsNamingDifferentColumns_interleavedInOneBatch_eachRunWithItsOwnColumns() {
        // Statements group neighbouring operations by shape (the columns they name): A, B, A must make two statements,
        // each binding only its own columns, with no operation run under its neighbour's shape.
        String a1 = uuid();
        String b = uuid();
        String a2 = uuid();
        apply(
                fx.entry(DOCS, a1, PUT, 1, Map.of("filename", "\"a1.pdf\"", "status", "\"done\"")),
                fx.entry(DOCS, b, PUT, 2, Map.of("filename", "\"b.pdf\"", "page_count", "7")),
                fx.entry(DOCS, a2, PUT, 3, Map.of("filename", "\"a2.pdf\"", "status", "\"failed\"")));

        assertThat(doc(a1))
                .containsEntry("filename", "a1.pdf")
                .containsEntry("status", "done")
                .containsEntry("page_count", null);
        assertThat(doc(b))
                .containsEntry("filename", "b.pdf")
                .containsEntry("status", "registered")
                .containsEntry("page_count", "7");
        assertThat(doc(a2))
                .containsEntry("filename", "a2.pdf")
                .containsEntry("status", "failed")
                .containsEntry("page_count", null);
    }

    @Test
    void putOmittingColumns_setsThemToTheirDefaultOrNull() {
        String doc = uuid();
        apply(fx.entry(
                DOCS,
                doc,
                PUT,
                1,
                Map.of("filename", "\"a.pdf\"", "status", "\"done\"", "page_count", "12", "metadata", "{\"a\":1}")));

        apply(put(doc, 2, "b.pdf"));

        assertThat(doc(doc))
                .containsEntry("filename", "b.pdf")
                .containsEntry("status", "registered")
                .containsEntry("page_count", null)
                .containsEntry("metadata", null);
    }

    @Test
    void patchOfARecordNeverWritten_isDeadLetteredAsRecordAbsent_andTheRestIsApplied() {
        String ghost = uuid();
        String doc = uuid();
        ChangeEntry patch = fx.entry(DOCS, ghost, PATCH, 1, Map.of("status", "\"done\""));

        ApplyResult result = apply(patch, put(doc, 1, "a.pdf"));

        assertThat(result.deadLetters()).singleElement().satisfies(d -> {
            assertThat(d.entryId()).isEqualTo(patch.id());
            assertThat(d.reason()).isEqualTo(DeadLetter.RECORD_ABSENT);
        });
        assertThat(fx.row(DOCS, "document_uuid = '" + ghost + "'")).isEmpty();
        assertThat(doc(doc)).containsEntry("filename", "a.pdf");
    }

    @Test
    void patchAfterADeleteInAnEarlierTransaction_isRecordAbsent_butAnOlderPatchIsMerelySuperseded() {
        String doc = uuid();
        apply(put(doc, 1, "a.pdf"), fx.entry(DOCS, doc, DELETE, 3, Map.of()));

        ApplyResult newer = apply(fx.entry(DOCS, doc, PATCH, 4, Map.of("status", "\"done\"")));
        ApplyResult older = apply(fx.entry(DOCS, doc, PATCH, 2, Map.of("status", "\"done\"")));

        assertThat(newer.deadLetters()).extracting(DeadLetter::reason).containsExactly(DeadLetter.RECORD_ABSENT);
        assertThat(older.deadLetters()).isEmpty();
        assertThat(fx.row(DOCS, "document_uuid = '" + doc + "'")).isEmpty();
    }

    @Test
    void patchBeforeAPutInTheSameBatch_ofARecordThatIsNotThere_isRecordAbsent() {
        String doc = uuid();
        ChangeEntry patch = fx.entry(DOCS, doc, PATCH, 1, Map.of("status", "\"done\""));

        ApplyResult result = apply(patch, put(doc, 2, "a.pdf"));

        assertThat(result.deadLetters()).extracting(DeadLetter::entryId).containsExactly(patch.id());
        assertThat(doc(doc)).containsEntry("status", "registered").containsEntry("cistern_version", "2");
    }

    @Test
    void staleFenceToken_commitsNothing() throws Exception {
        long stale = tokens.next(3);
        long current = tokens.next(3);
        String doc = uuid();
        String watermarkBefore = watermark(3);

        assertThatThrownBy(() -> applier.apply(3, stale, List.of(put(doc, 1, "a.pdf")), 1, false))
                .isInstanceOf(FencedOutException.class)
                .hasMessageContaining("partition 3");

        assertThat(fx.row(DOCS, "document_uuid = '" + doc + "'")).isEmpty();
        assertThat(watermark(3)).isEqualTo(watermarkBefore);
        assertThat(current).isGreaterThan(stale);
    }

    @Test
    void watermarkMovesForwardOnly_comparingIdsAsNumbers_andTheFloorRisesToTheHighestVersion() throws Exception {
        long t = tokens.next(2);
        String doc = uuid();
        applier.apply(
                2, t, List.of(new ChangeEntry("10-0", DOCS, doc, PUT, 41, Map.of("filename", "\"a\""))), 1, false);
        applier.apply(2, t, List.of(new ChangeEntry("9-7", DOCS, doc, PUT, 40, Map.of("filename", "\"a\""))), 1, false);

        assertThat(watermark(2)).isEqualTo("10-0");
        assertThat(fx.scalar("SELECT version_floor FROM cistern_partition WHERE partition = 2"))
                .isEqualTo("41");
    }

    @Test
    void poisonRecords_areDeadLetteredWithTheirSqlState_whileTheRestOfTheBatchIsApplied() {
        List<String> docs = List.of(uuid(), uuid(), uuid(), uuid(), uuid(), uuid());
        ChangeEntry tooLong = fx.entry(
                DOCS, docs.get(1), PUT, 1, Map.of("filename", "\"x\"", "language", "\"" + "x".repeat(40) + "\""));
        ChangeEntry badStatus = fx.entry(DOCS, docs.get(4), PUT, 1, Map.of("filename", "\"x\"", "status", "\"bogus\""));

        ApplyResult result = apply(
                put(docs.get(0), 1, "0"),
                tooLong,
                put(docs.get(2), 1, "2"),
                put(docs.get(3), 1, "3"),
                badStatus,
                put(docs.get(5), 1, "5"));

        assertThat(result.deadLetters())
                .extracting(DeadLetter::entryId, DeadLetter::sqlState)
                .containsExactlyInAnyOrder(
                        org.assertj.core.groups.Tuple.tuple(tooLong.id(), "22001"),
                        org.assertj.core.groups.Tuple.tuple(badStatus.id(), "23514"));
        assertThat(result.deadLetters())
                .allSatisfy(d -> assertThat(d.fields()).containsEntry("t", DOCS).containsKey("c:filename"));
        for (int i : new int[] {0, 2, 3, 5}) {
            assertThat(doc(docs.get(i))).containsEntry("filename", Integer.toString(i));
        }
        assertThat(fx.row(DOCS, "document_uuid = '" + docs.get(1) + "'")).isEmpty();
        assertThat(fx.row(DOCS, "document_uuid = '" + docs.get(4) + "'")).isEmpty();
    }

    @Test
    void missingForeignKeyParent_isRetryable_untilItsTimeIsUp_thenOnlyThatEntryIsDeadLettered() {
        String orphan = uuid() + "," + uuid();
        String doc = uuid();
        List<ChangeEntry> batch = List.of(put(doc, 1, "a.pdf"), entity(orphan, 1, "lost"));

        assertThatThrownBy(() -> applier.apply(0, token, batch, 1, false))
                .isInstanceOfSatisfying(
                        BatchFailedException.class,
                        e -> assertThat(e.classified().kind()).isEqualTo(SqlFailureTranslator.Kind.PARENT_MISSING))
                .hasMessageContaining("23503");
        assertThat(fx.row(DOCS, "document_uuid = '" + doc + "'")).isEmpty();

        ApplyResult result = applier.apply(0, token, batch, 2, true);

        assertThat(result.deadLetters()).singleElement().satisfies(d -> {
            assertThat(d.sqlState()).isEqualTo("23503");
            assertThat(d.attempts()).isEqualTo(2);
            assertThat(d.fields()).containsEntry("t", ENTITIES);
        });
        assertThat(doc(doc)).containsEntry("filename", "a.pdf");
    }

    @Test
    void valuesOfEveryKindRoundTrip_exactly() {
        String doc = uuid();
        apply(fx.entry(
                DOCS,
                doc,
                PUT,
                1,
                Map.of(
                        "filename", "\"quote ' and \\\\ backslash, comma {}\"",
                        "size_bytes", "9007199254740993",
                        "metadata", "{\"n\":12345678901234567890.5,\"s\":\"\\u00e9\"}",
                        "processed_at", "\"2026-11-23T06:21:43.123456Z\"")));

        assertThat(doc(doc))
                .containsEntry("filename", "quote ' and \\ backslash, comma {}")
                .containsEntry("size_bytes", "9007199254740993")
                .containsEntry("metadata", "{\"n\": 12345678901234567890.5, \"s\": \"é\"}");
        assertThat(fx.scalar("SELECT processed_at = '2026-11-23T06:21:43.123456Z'::timestamptz FROM source_documents"
                        + " WHERE document_uuid = '" + doc + "'"))
                .isEqualTo("t");
    }

    @Test
    void connectionKilledMidTransaction_isRetryable_commitsNothing_andTheRetryApplies() throws Exception {
        String doc = uuid();
        List<ChangeEntry> batch = List.of(put(doc, 1, "a.pdf"));
        // Hold the partition's fence row, so the applier's transaction waits on it; then kill the applier's backend.
        try (java.sql.Connection blocker = fx.db.connect()) {
            blocker.setAutoCommit(false);
            blocker.createStatement().execute("SELECT * FROM cistern_partition WHERE partition = 0 FOR UPDATE");
            java.util.concurrent.CompletableFuture<ApplyResult> applying =
                    java.util.concurrent.CompletableFuture.supplyAsync(() -> applier.apply(0, token, batch, 1, false));
            org.awaitility.Awaitility.await()
                    .atMost(java.time.Duration.ofSeconds(10))
                    .until(() -> Integer.parseInt(fx.scalar("SELECT count(*) FROM pg_stat_activity WHERE datname = '"
                                    + fx.db.name() + "' AND wait_event_type = 'Lock'"))
                            == 1);
            fx.db.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + fx.db.name()
                    + "' AND wait_event_type = 'Lock'");

            assertThatThrownBy(applying::join)
                    .hasCauseInstanceOf(BatchFailedException.class)
                    .cause()
                    .satisfies(e -> assertThat(
                                    ((BatchFailedException) e).classified().kind())
                            .isEqualTo(SqlFailureTranslator.Kind.RETRYABLE));
            blocker.rollback();
        }
        assertThat(fx.row(DOCS, "document_uuid = '" + doc + "'")).isEmpty();

        ApplyResult retried = applier.apply(0, token, batch, 2, false);

        assertThat(retried.deadLetters()).isEmpty();
        assertThat(doc(doc)).containsEntry("filename", "a.pdf");
    }

    @Test
    void eachEntryOfOneStatement_isReportedApplied_orSupersededByTheRowOrItsTombstone() {
        String fresh = uuid();
        String newerRow = uuid();
        String deleted = uuid();
        String deletedLater = uuid();
        apply(
                put(newerRow, 5, "newer.pdf"),
                put(deleted, 1, "a.pdf"),
                fx.entry(DOCS, deleted, DELETE, 5, Map.of()),
                put(deletedLater, 1, "b.pdf"));
        ChangeEntry applied = put(fresh, 3, "fresh.pdf");
        ChangeEntry olderThanRow = put(newerRow, 3, "older.pdf");
        ChangeEntry sameAsRow = put(newerRow, 5, "same.pdf");
        ChangeEntry olderThanTombstone = put(deleted, 4, "resurrected.pdf");
        ChangeEntry laterDelete = fx.entry(DOCS, deletedLater, DELETE, 6, Map.of());

        // The counting upsert finds a put short and the batch runs again identifying: the statements after it too.
        ApplyResult first = apply(applied, olderThanRow, olderThanTombstone, laterDelete);
        ApplyResult again = apply(sameAsRow);

        assertThat(first.outcomeOf(applied.id())).isEqualTo(ApplyResult.Outcome.APPLIED);
        assertThat(first.outcomeOf(olderThanRow.id())).isEqualTo(ApplyResult.Outcome.SUPERSEDED);
        assertThat(first.outcomeOf(olderThanTombstone.id())).isEqualTo(ApplyResult.Outcome.SUPERSEDED);
        assertThat(first.superseded()).containsExactlyInAnyOrder(olderThanRow.id(), olderThanTombstone.id());
        assertThat(again.outcomeOf(sameAsRow.id())).isEqualTo(ApplyResult.Outcome.SUPERSEDED);
        assertThat(doc(newerRow)).containsEntry("filename", "newer.pdf").containsEntry("cistern_version", "5");
        assertThat(fx.row(DOCS, "document_uuid = '" + deleted + "'")).isEmpty();
        assertThat(doc(fresh)).containsEntry("filename", "fresh.pdf").containsEntry("cistern_version", "3");
        assertThat(first.outcomeOf(laterDelete.id())).isEqualTo(ApplyResult.Outcome.APPLIED);
        assertThat(fx.row(DOCS, "document_uuid = '" + deletedLater + "'")).isEmpty();
    }

    @Test
    void olderPatch_isSuperseded_whileAPatchOfARecordThatIsNotThereIsRecordAbsent() {
        String doc = uuid();
        String gone = uuid();
        apply(put(doc, 4, "a.pdf"), put(gone, 1, "b.pdf"), fx.entry(DOCS, gone, DELETE, 4, Map.of()));
        ChangeEntry olderThanRow = fx.entry(DOCS, doc, PATCH, 3, Map.of("status", "\"done\""));
        ChangeEntry olderThanTombstone = fx.entry(DOCS, gone, PATCH, 2, Map.of("status", "\"done\""));
        ChangeEntry afterTheDelete = fx.entry(DOCS, uuid(), PATCH, 2, Map.of("status", "\"done\""));
        ChangeEntry newer = fx.entry(DOCS, doc, PATCH, 6, Map.of("page_count", "7"));

        ApplyResult result = apply(olderThanRow, olderThanTombstone, afterTheDelete);
        ApplyResult applied = apply(newer);

        assertThat(result.outcomeOf(olderThanRow.id())).isEqualTo(ApplyResult.Outcome.SUPERSEDED);
        assertThat(result.outcomeOf(olderThanTombstone.id())).isEqualTo(ApplyResult.Outcome.SUPERSEDED);
        assertThat(result.outcomeOf(afterTheDelete.id())).isEqualTo(ApplyResult.Outcome.DEAD_LETTERED);
        assertThat(applied.outcomeOf(newer.id())).isEqualTo(ApplyResult.Outcome.APPLIED);
        assertThat(doc(doc)).containsEntry("status", "registered").containsEntry("page_count", "7");
    }

    @Test
    void deleteOlderThanTheRow_orAtTheTombstone_isSuperseded_andTheNewerRowStays() {
        String doc = uuid();
        String gone = uuid();
        apply(put(doc, 5, "kept.pdf"), put(gone, 1, "b.pdf"));
        ChangeEntry firstDelete = fx.entry(DOCS, gone, DELETE, 3, Map.of());
        ChangeEntry olderThanRow = fx.entry(DOCS, doc, DELETE, 4, Map.of());

        ApplyResult first = apply(firstDelete, olderThanRow);
        ApplyResult redelivered = apply(firstDelete);

        assertThat(first.outcomeOf(firstDelete.id())).isEqualTo(ApplyResult.Outcome.APPLIED);
        assertThat(first.outcomeOf(olderThanRow.id())).isEqualTo(ApplyResult.Outcome.SUPERSEDED);
        assertThat(redelivered.outcomeOf(firstDelete.id())).isEqualTo(ApplyResult.Outcome.SUPERSEDED);
        assertThat(doc(doc)).containsEntry("filename", "kept.pdf");
        assertThat(fx.row(DOCS, "document_uuid = '" + gone + "'")).isEmpty();
    }

    @Test
    void replay_waitsForTheOwnersTransaction_keepsItsToken_andLeavesWatermarkAndFloorAlone() throws Exception {
        long owner = tokens.next(1);
        String doc = uuid();
        applier.apply(1, owner, List.of(put(doc, 2, "owner.pdf")), 1, false);
        String watermarkBefore = watermark(1);
        String floorBefore = fx.scalar("SELECT version_floor FROM cistern_partition WHERE partition = 1");
        ChangeEntry older = put(doc, 1, "replayed.pdf");
        ChangeEntry newDoc =
                new ChangeEntry("99999999999999-0", DOCS, uuid(), PUT, 1_000_000, Map.of("filename", "\"late.pdf\""));
        ApplyResult replayed;
        // The owner is inside a batch: it holds the fence row. The replay waits for it instead of interleaving.
        try (java.sql.Connection ownerBatch = fx.db.connect()) {
            ownerBatch.setAutoCommit(false);
            ownerBatch.createStatement().execute("UPDATE cistern_partition SET updated_at = now() WHERE partition = 1");
            java.util.concurrent.CompletableFuture<ApplyResult> replaying =
                    java.util.concurrent.CompletableFuture.supplyAsync(
                            () -> applier.replay(1, List.of(older, newDoc), 1));
            org.awaitility.Awaitility.await()
                    .atMost(java.time.Duration.ofSeconds(10))
                    .until(() -> Integer.parseInt(fx.scalar("SELECT count(*) FROM pg_stat_activity WHERE datname = '"
                                    + fx.db.name() + "' AND wait_event_type = 'Lock'"))
                            == 1);
            assertThat(replaying).isNotDone();
            ownerBatch.commit();
            replayed = replaying.get(10, java.util.concurrent.TimeUnit.SECONDS);
        }
        String watermarkAfterReplay = watermark(1);
        String floorAfterReplay = fx.scalar("SELECT version_floor FROM cistern_partition WHERE partition = 1");
        ChangeEntry next = put(doc, 3, "owner-again.pdf");
        ApplyResult ownerAgain = applier.apply(1, owner, List.of(next), 1, false);

        assertThat(replayed.outcomeOf(older.id())).isEqualTo(ApplyResult.Outcome.SUPERSEDED);
        assertThat(replayed.outcomeOf(newDoc.id())).isEqualTo(ApplyResult.Outcome.APPLIED);
        assertThat(ownerAgain.outcomeOf(next.id())).isEqualTo(ApplyResult.Outcome.APPLIED);
        assertThat(doc(doc)).containsEntry("filename", "owner-again.pdf");
        assertThat(watermarkAfterReplay).isEqualTo(watermarkBefore);
        assertThat(floorAfterReplay).isEqualTo(floorBefore);
        assertThat(watermark(1)).isEqualTo(next.id());
    }

    private static ApplyResult apply(ChangeEntry... entries) {
        return applier.apply(0, token, List.of(entries), 1, false);
    }

    private static ChangeEntry put(String doc, long version, String filename) {
        return fx.entry(DOCS, doc, PUT, version, Map.of("filename", "\"" + filename + "\""));
    }

    private static ChangeEntry entity(String key, long version, String value) {
        return fx.entry(ENTITIES, key, PUT, version, Map.of("entity_type", "\"person\"", "value", "\"" + value + "\""));
    }

    private static Map<String, String> doc(String doc) {
        return fx.row(DOCS, "document_uuid = '" + doc + "'")
                .orElseThrow(() -> new AssertionError("no row for document " + doc));
    }

    private static String watermark(int partition) {
        return fx.scalar("SELECT applied_watermark FROM cistern_partition WHERE partition = " + partition);
    }

    private static String uuid() {
        return UUID.randomUUID().toString();
    }
}
