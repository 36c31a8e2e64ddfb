package io.cistern.sync;

import static io.cistern.schema.codec.Operation.DELETE;
import static io.cistern.schema.codec.Operation.PATCH;
import static io.cistern.schema.codec.Operation.PUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.cistern.schema.codec.ChangeEntry;
import io.cistern.writer.RecordKey;
import io.cistern.writer.RecordWriter;
import io.cistern.writer.WriteReceipt;
import io.cistern.writer.WriterSettings;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Dead-letter replay against a real PostgreSQL and Redis: through the version guard and the tombstones, exactly once,
 * never losing a dead letter. A poison record is made with a CHECK constraint on its file name (SQLSTATE 23514) that
 * the test adds, and "the fix" drops the constraint. A trigger counts the writes to {@code source_documents}, so
 * "exactly once" is counted, not inferred.
 */
class DeadLetterReplayerIT {
    private static final String DOCS = "source_documents";
    private static final String ENTITIES = "entities";
    private static final String ACTOR = "ops@test";
    private static final Duration TTL = Duration.ofHours(1);
    private static final AtomicInteger CONSTRAINTS = new AtomicInteger();
    private static SyncFixture fx;
    private static BatchApplier applier;
    private static DeadLetterReplayer replayer;
    private static DeadLetterStream stream;
    private static FenceTokens tokens;

    @BeforeAll
    static void start() throws Exception {
        fx = new SyncFixture(DeadLetterReplayerIT.class.getSimpleName());
        applier = new BatchApplier(fx.dataSource, fx.registry);
        replayer = new DeadLetterReplayer(fx.layout, fx.registry, fx.dataSource, fx.client(), TTL);
        stream = new DeadLetterStream(fx.commands(), fx.layout, "it-worker");
        tokens = new FenceTokens(fx.dataSource);
        fx.db.execute(
                "CREATE TABLE document_writes (document_uuid uuid NOT NULL, version bigint NOT NULL)",
                "CREATE FUNCTION count_document_write() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                        + " INSERT INTO document_writes VALUES (NEW.document_uuid, NEW.cistern_version); RETURN NULL;"
                        + " END $$",
                "CREATE TRIGGER document_writes AFTER INSERT OR UPDATE ON source_documents FOR EACH ROW"
                        + " EXECUTE FUNCTION count_document_write()");
    }

    @AfterAll
    static void stop() {
        replayer.close();
        fx.close();
    }

    @Test
    void poisonRecord_isDeadLetteredWhileItsBatchIsApplied_thenReplayedAfterTheFixExactlyOnce_andAgainChangesNothing() {
        String constraint = poisonFileName("poison.pdf");
        UUID poison = UUID.randomUUID();
        List<UUID> healthy = List.of(UUID.randomUUID(), UUID.randomUUID());
        // The other tests applied hand-made entries straight to PostgreSQL, raising its version floors past anything
        // the Redis Function issued: init re-seeds the floors from PostgreSQL, as after any such change, so that the
        // writes below are not taken for a shorter history.
        fx.initializer()
                .run(io.cistern.schema.postgres.InitOptions.defaults(fx.layout).withPartitions(SyncFixture.PARTITIONS));
        SyncSettings settings = SyncSettings.defaults(fx.layout)
                .mutate()
                .linger(Duration.ofMillis(50))
                .leaseTime(Duration.ofSeconds(3))
                .renewInterval(Duration.ofMillis(500))
                .backoffInitial(Duration.ofMillis(20))
                .backoffMax(Duration.ofMillis(200))
                .build();
        try (RecordWriter writer = RecordWriter.connect(WriterSettings.of(fx.redisUrl())
                        .mutate()
                        .prefix(fx.layout.prefix())
                        .build());
                SyncWorker worker = new SyncWorker(settings, fx.registry, fx.dataSource, fx.client())) {
            writer.put(DOCS, RecordKey.of(healthy.get(0)), Map.of("filename", "a.pdf"));
            WriteReceipt bad = writer.put(DOCS, RecordKey.of(poison), Map.of("filename", "poison.pdf"));
            writer.put(DOCS, RecordKey.of(healthy.get(1)), Map.of("filename", "b.pdf"));
            worker.start();
            int p = bad.partition();
            String hash = fx.layout.record(p, DOCS, poison.toString());

            await().atMost(Duration.ofSeconds(15))
                    .untilAsserted(() -> assertThat(openFor(p, bad.entryId()))
                            .singleElement()
                            .satisfies(d -> {
                                assertThat(d.sqlState()).isEqualTo("23514");
                                assertThat(d.reason()).contains(constraint);
                                assertThat(d.table()).isEqualTo(DOCS);
                                assertThat(d.key()).isEqualTo(poison.toString());
                                assertThat(d.version()).hasValue(bad.version());
                            }));
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                for (UUID h : healthy) {
                    assertThat(fx.row(DOCS, "document_uuid = '" + h + "'")).isPresent();
                }
            });
            assertThat(fx.commands().sismember(fx.layout.deadLetterKeys(p), hash))
                    .isTrue();
            String deadLetterId = openFor(p, bad.entryId()).getFirst().id();
            fx.db.execute("ALTER TABLE source_documents DROP CONSTRAINT " + constraint);

            List<DeadLetterOutcome> first = replayer.replay(ACTOR, p, List.of(deadLetterId));
            List<DeadLetterOutcome> second = replayer.replay(ACTOR, p, List.of(deadLetterId));

            assertThat(first)
                    .singleElement()
                    .extracting(DeadLetterOutcome::kind, DeadLetterOutcome::entryId)
                    .containsExactly(DeadLetterOutcome.Kind.APPLIED, bad.entryId());
            assertThat(second).extracting(DeadLetterOutcome::kind).containsExactly(DeadLetterOutcome.Kind.NOT_FOUND);
            assertThat(writes(poison)).isEqualTo(1);
            assertThat(doc(poison))
                    .containsEntry("filename", "poison.pdf")
                    .containsEntry("cistern_version", Long.toString(bad.version()));
            assertThat(replayer.show(p, deadLetterId)).isEmpty();
            assertThat(fx.commands().sismember(fx.layout.deadLetterKeys(p), hash))
                    .isFalse();
            assertThat(fx.commands().pttl(hash)).isPositive();

            // The owner was neither fenced out nor stopped: a newer write of the key still flows, over the replay.
            writer.patch(DOCS, RecordKey.of(poison), Map.of("status", "done"));
            await().atMost(Duration.ofSeconds(10))
                    .untilAsserted(() -> assertThat(doc(poison)).containsEntry("status", "done"));
            assertThat(worker.ownedPartitions()).contains(p);
        }
    }

    @Test
    void replayingAnEntryOlderThanItsRow_reportsSuperseded_andChangesNothing() {
        String constraint = poisonFileName("old.pdf");
        String doc = UUID.randomUUID().toString();
        String deadLetterId = deadLetterOne(put(doc, 1, "old.pdf"));
        fx.db.execute("ALTER TABLE source_documents DROP CONSTRAINT " + constraint);
        apply(put(doc, 2, "new.pdf"));
        int writesBefore = writes(UUID.fromString(doc));

        List<DeadLetterOutcome> outcome = replayer.replay(ACTOR, 0, List.of(deadLetterId));

        assertThat(outcome).extracting(DeadLetterOutcome::kind).containsExactly(DeadLetterOutcome.Kind.SUPERSEDED);
        assertThat(doc(UUID.fromString(doc)))
                .containsEntry("filename", "new.pdf")
                .containsEntry("cistern_version", "2");
        assertThat(writes(UUID.fromString(doc))).isEqualTo(writesBefore);
        assertThat(replayer.show(0, deadLetterId)).isEmpty();
        assertThat(fx.commands().sismember(fx.layout.deadLetterKeys(0), fx.layout.record(0, DOCS, doc)))
                .isFalse();
    }

    @Test
    void deleteAppliedInOneTransaction_thenAnOlderPutReplayedInALaterOne_leavesTheRowDeleted() {
        String constraint = poisonFileName("before-delete.pdf");
        String doc = UUID.randomUUID().toString();
        String deadLetterId = deadLetterOne(put(doc, 1, "before-delete.pdf"));
        fx.db.execute("ALTER TABLE source_documents DROP CONSTRAINT " + constraint);
        apply(fx.entry(DOCS, doc, DELETE, 2, Map.of()));

        List<DeadLetterOutcome> outcome = replayer.replay(ACTOR, 0, List.of(deadLetterId));

        assertThat(outcome).extracting(DeadLetterOutcome::kind).containsExactly(DeadLetterOutcome.Kind.SUPERSEDED);
        assertThat(fx.row(DOCS, "document_uuid = '" + doc + "'")).isEmpty();
        assertThat(writes(UUID.fromString(doc))).isZero();
        assertThat(fx.scalar("SELECT version FROM cistern_tombstone WHERE record_key = '" + doc + "'"))
                .isEqualTo("2");
    }

    @Test
    void replayThatFailsAgain_keepsTheDeadLetter_withItsNewReason() {
        String first = poisonFileName("twice.pdf");
        String doc = UUID.randomUUID().toString();
        String deadLetterId = deadLetterOne(put(doc, 1, "twice.pdf"));
        OpenDeadLetter before = replayer.show(0, deadLetterId).orElseThrow();
        // A wrong fix: the old constraint goes, a new one refuses the same record.
        fx.db.execute("ALTER TABLE source_documents DROP CONSTRAINT " + first);
        String second = poisonFileName("twice.pdf");

        List<DeadLetterOutcome> outcome = replayer.replay(ACTOR, 0, List.of(deadLetterId));

        assertThat(outcome).singleElement().satisfies(o -> {
            assertThat(o.kind()).isEqualTo(DeadLetterOutcome.Kind.FAILED_AGAIN);
            assertThat(o.sqlState()).isEqualTo("23514");
            assertThat(o.reason()).contains(second);
            assertThat(o.newDeadLetterId()).isNotEmpty().isNotEqualTo(deadLetterId);
        });
        assertThat(replayer.show(0, deadLetterId)).isEmpty();
        assertThat(replayer.show(0, outcome.getFirst().newDeadLetterId())).hasValueSatisfying(d -> {
            assertThat(d.entryId()).isEqualTo(before.entryId());
            assertThat(d.entry()).isEqualTo(before.entry());
            assertThat(d.reason()).contains(second);
            assertThat(d.attempts()).isEqualTo(before.attempts() + 1);
            assertThat(d.worker()).isEqualTo("replay:" + ACTOR);
        });
        assertThat(fx.commands().sismember(fx.layout.deadLetterKeys(0), fx.layout.record(0, DOCS, doc)))
                .isTrue();
        assertThat(fx.row(DOCS, "document_uuid = '" + doc + "'")).isEmpty();
    }

    @Test
    void aKeyLeavesTheDeadLetterKeys_onlyWhenItsLastOpenDeadLetterIsResolved() {
        String constraint = poisonFileName("dup.pdf");
        String doc = UUID.randomUUID().toString();
        String hash = fx.layout.record(0, DOCS, doc);
        ChangeEntry poison = put(doc, 1, "dup.pdf");
        // The same entry dead-lettered twice (a commit failed after its dead letters were recorded), and a patch of
        // the record that the failed put never created.
        String once = deadLetterOne(poison);
        String twice = deadLetterOne(poison);
        ChangeEntry patch = fx.entry(DOCS, doc, PATCH, 2, Map.of("status", "\"done\""));
        String absent = deadLetterOne(patch);
        fx.db.execute("ALTER TABLE source_documents DROP CONSTRAINT " + constraint);

        List<DeadLetterOutcome> replayed = replayer.replay(ACTOR, 0, List.of(once));
        boolean markedAfterFirst = fx.commands().sismember(fx.layout.deadLetterKeys(0), hash);
        List<DeadLetterOutcome> duplicate = replayer.replay(ACTOR, 0, List.of(twice));
        boolean markedAfterDuplicate = fx.commands().sismember(fx.layout.deadLetterKeys(0), hash);
        List<DeadLetterOutcome> dropped = replayer.drop(ACTOR, 0, List.of(absent, "1-0"));

        assertThat(replayed).extracting(DeadLetterOutcome::kind).containsExactly(DeadLetterOutcome.Kind.APPLIED);
        assertThat(duplicate).extracting(DeadLetterOutcome::kind).containsExactly(DeadLetterOutcome.Kind.SUPERSEDED);
        assertThat(dropped)
                .extracting(DeadLetterOutcome::kind)
                .containsExactly(DeadLetterOutcome.Kind.DROPPED, DeadLetterOutcome.Kind.NOT_FOUND);
        assertThat(markedAfterFirst).isTrue();
        assertThat(markedAfterDuplicate).isTrue();
        assertThat(fx.commands().sismember(fx.layout.deadLetterKeys(0), hash)).isFalse();
        assertThat(writes(UUID.fromString(doc))).isEqualTo(1);
        assertThat(doc(UUID.fromString(doc))).containsEntry("status", "registered");
        assertThat(replayer.list(0, DeadLetterFilter.all()))
                .extracting(OpenDeadLetter::id)
                .doesNotContain(once, twice, absent);
    }

    @Test
    void aDroppedLettersHash_isDeletedWhileItHoldsTheDroppedWrite_andKeptWhenANewerWriteWaits() {
        String constraint = poisonFileName("dropped.pdf");
        String stale = UUID.randomUUID().toString();
        String newer = UUID.randomUUID().toString();
        String staleHash = fx.layout.record(0, DOCS, stale);
        String newerHash = fx.layout.record(0, DOCS, newer);
        // As the writer left them: one hash at the version about to be dead-lettered, one already at a newer write.
        fx.commands().hset(staleHash, Map.of("v", "1", "filename", "\"dropped.pdf\""));
        fx.commands().hset(newerHash, Map.of("v", "2", "filename", "\"fixed.pdf\""));
        ChangeEntry dropStale = put(stale, 1, "dropped.pdf");
        ChangeEntry dropNewer = put(newer, 1, "dropped.pdf");
        deadLetterOne(dropStale);
        deadLetterOne(dropNewer);
        List<Long> ids = replayer.recorded(DeadLetterFilter.all()).stream()
                .filter(d -> d.entryId().equals(dropStale.id()) || d.entryId().equals(dropNewer.id()))
                .map(RecordedDeadLetter::id)
                .toList();
        assertThat(fx.commands().sismember(fx.layout.deadLetterKeys(0), staleHash))
                .isTrue();

        List<DeadLetterOutcome> dropped =
                replayer.dropRecorded(ACTOR, DeadLetterFilter.all().withIds(ids));
        fx.db.execute("ALTER TABLE source_documents DROP CONSTRAINT " + constraint);

        assertThat(dropped).hasSize(2).allSatisfy(o -> assertThat(o.kind()).isEqualTo(DeadLetterOutcome.Kind.DROPPED));
        assertThat(fx.commands().exists(staleHash))
                .as("the hash held only the dropped write: reads fall through to PostgreSQL")
                .isZero();
        assertThat(fx.commands().hget(newerHash, "v"))
                .as("a newer write waits to be synced")
                .isEqualTo("2");
        assertThat(fx.commands().pttl(newerHash))
                .as("its TTL comes once it is synced")
                .isEqualTo(-1);
        assertThat(fx.commands().sismember(fx.layout.deadLetterKeys(0), staleHash))
                .isFalse();
        assertThat(fx.commands().sismember(fx.layout.deadLetterKeys(0), newerHash))
                .isFalse();
        assertThat(fx.row(DOCS, "document_uuid = '" + stale + "'")).isEmpty();
    }

    @Test
    void listing_filtersByTableSqlStateReasonAndTime() {
        Instant since = Instant.now().minusMillis(1);
        String constraint = poisonFileName("listed.pdf");
        String doc = UUID.randomUUID().toString();
        ChangeEntry poison = put(doc, 1, "listed.pdf");
        ChangeEntry absentPatch = fx.entry(DOCS, UUID.randomUUID().toString(), PATCH, 1, Map.of("page_count", "1"));
        ChangeEntry orphan = fx.entry(
                ENTITIES,
                UUID.randomUUID() + "," + UUID.randomUUID(),
                PUT,
                1,
                Map.of("entity_type", "\"person\"", "value", "\"x\""));
        ApplyResult result =
                applier.apply(3, token(3), List.of(poison, absentPatch, orphan), 1, true, d -> stream.append(3, d));
        fx.db.execute("ALTER TABLE source_documents DROP CONSTRAINT " + constraint);
        DeadLetterFilter recent =
                DeadLetterFilter.all().recordedBetween(since, Instant.now().plusSeconds(60));

        assertThat(result.deadLetters()).hasSize(3);
        assertThat(entryIds(recent)).containsExactlyInAnyOrder(poison.id(), absentPatch.id(), orphan.id());
        assertThat(entryIds(recent.withSqlState("23514"))).containsExactly(poison.id());
        assertThat(entryIds(recent.withSqlState("23"))).containsExactlyInAnyOrder(poison.id(), orphan.id());
        assertThat(entryIds(recent.withReasonContaining("RECORD ABSENT"))).containsExactly(absentPatch.id());
        assertThat(entryIds(recent.withTable(ENTITIES))).containsExactly(orphan.id());
        assertThat(entryIds(recent.withLimit(1))).hasSize(1);
        assertThat(entryIds(DeadLetterFilter.all()
                        .recordedBetween(
                                Instant.now().plusSeconds(60), Instant.now().plusSeconds(120))))
                .isEmpty();
    }

    /**
     * Adds a CHECK constraint refusing documents named {@code fileName} (in lower case), of a form the writer leaves to
     * PostgreSQL (it calls a function), so that the writer accepts what the worker dead-letters; returns its name.
     */
    private static String poisonFileName(String fileName) {
        String name = "poison_" + CONSTRAINTS.incrementAndGet();
        fx.db.execute("ALTER TABLE source_documents ADD CONSTRAINT " + name + " CHECK (lower(filename) <> '" + fileName
                + "')");
        return name;
    }

    /** Applies {@code entry} alone on partition 0 as a worker would, dead letters to the stream; its dead letter ID. */
    private static String deadLetterOne(ChangeEntry entry) {
        ApplyResult result = applier.apply(0, token(0), List.of(entry), 1, false, d -> stream.append(0, d));
        assertThat(result.outcomeOf(entry.id())).isEqualTo(ApplyResult.Outcome.DEAD_LETTERED);
        List<OpenDeadLetter> open = openFor(0, entry.id());
        return open.getLast().id();
    }

    private static List<OpenDeadLetter> openFor(int partition, String entryId) {
        return replayer.list(partition, DeadLetterFilter.all()).stream()
                .filter(d -> d.entryId().equals(entryId))
                .toList();
    }

    private static List<String> entryIds(DeadLetterFilter filter) {
        return replayer.list(3, filter).stream().map(OpenDeadLetter::entryId).toList();
    }

    private static void apply(ChangeEntry... entries) {
        applier.apply(0, token(0), List.of(entries), 1, false);
    }

    /** A fresh fencing token: the worker of the end-to-end test takes the partitions' tokens too. */
    private static long token(int partition) {
        try {
            return tokens.next(partition);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("partition " + partition + ": no fencing token: " + e.getMessage(), e);
        }
    }

    private static ChangeEntry put(String doc, long version, String filename) {
        return fx.entry(DOCS, doc, PUT, version, Map.of("filename", "\"" + filename + "\""));
    }

    private static Map<String, String> doc(UUID doc) {
        return fx.row(DOCS, "document_uuid = '" + doc + "'").orElseThrow();
    }

    private static int writes(UUID doc) {
        return Integer.parseInt(fx.scalar("SELECT count(*) FROM document_writes WHERE document_uuid = '" + doc + "'"));
    }
}
