package io.cistern.reader;

import static org.assertj.core.api.Assertions.assertThat;

import io.cistern.reader.TierPolicy.Step;
import io.cistern.schema.registry.ColumnDef;
import io.cistern.schema.registry.SqlType;
import io.cistern.schema.registry.TableDef;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TierPolicyTest {
    private static final TableDef DOCS = new TableDef(
            "docs",
            List.of(
                    new ColumnDef("id", SqlType.BIGINT, false, false, 0),
                    new ColumnDef("title", SqlType.TEXT, true, false, 0),
                    new ColumnDef("status", SqlType.TEXT, true, false, 0)),
            List.of("id"),
            1,
            Optional.empty());

    private static final RecordHash FULL =
            new RecordHash(RecordHash.Kind.FULL, 7, Map.of("id", "1", "title", "\"a\"", "status", "\"new\""));
    private static final RecordHash DELETED = new RecordHash(RecordHash.Kind.DELETED, 9, Map.of());
    private static final RecordHash PARTIAL = new RecordHash(RecordHash.Kind.PARTIAL, 12, Map.of("title", "\"b\""));
    private static final RecordHash RESERVED = new RecordHash(RecordHash.Kind.RESERVED, 0, Map.of());
    private static final DatabaseRows.Row ROW =
            new DatabaseRows.Row(10, Map.of("id", "1", "title", "\"a\"", "status", "\"synced\""));

    private final TierPolicy fillsOn = new TierPolicy(true);
    private final TierPolicy fillsOff = new TierPolicy(false);

    // ------------------------------------------------------------------------------------------------ local cache

    @Test
    void localEntryAtLeastMinVersion_answersAsLocal() {
        ReadResult cached = new ReadResult.Found(DOCS, "1", 7, Tier.REDIS, FULL.recordColumns(DOCS));

        ReadResult answer = TierPolicy.fromLocal(new LocalCache.Entry(cached, false), 7);

        assertThat(answer.tier()).isEqualTo(Tier.LOCAL);
        assertThat(answer.version()).isEqualTo(7);
        assertThat(((ReadResult.Found) answer).columns()).isEqualTo(((ReadResult.Found) cached).columns());
    }

    @Test
    void localEntryOlderThanMinVersion_doesNotAnswer() {
        ReadResult cached = new ReadResult.Found(DOCS, "1", 7, Tier.REDIS, FULL.recordColumns(DOCS));

        assertThat(TierPolicy.fromLocal(new LocalCache.Entry(cached, false), 8)).isNull();
    }

    @Test
    void noLocalEntry_doesNotAnswer() {
        assertThat(TierPolicy.fromLocal(null, 0)).isNull();
    }

    @Test
    void localNegativeEntry_answersAbsentAsLocal() {
        ReadResult cached = new ReadResult.Absent("docs", "1", 0, Tier.DATABASE);

        ReadResult answer = TierPolicy.fromLocal(new LocalCache.Entry(cached, true), 0);

        assertThat(answer).isEqualTo(new ReadResult.Absent("docs", "1", 0, Tier.LOCAL));
    }

    @Test
    void sharedLoadOlderThanMinVersion_isNotEnough() {
        ReadResult shared = new ReadResult.Absent("docs", "1", 4, Tier.REDIS);

        assertThat(TierPolicy.sharedAnswers(shared, 4)).isTrue();
        assertThat(TierPolicy.sharedAnswers(shared, 5)).isFalse();
    }

    // ------------------------------------------------------------------------------------------------ Redis hash

    @Test
    void fullHash_answersFromRedisInColumnOrder() {
        Step step = fillsOn.afterHash(DOCS, "1", FULL);

        assertThat(step).isInstanceOf(Step.Answer.class);
        ReadResult answer = ((Step.Answer) step).result();
        assertThat(answer).isInstanceOf(ReadResult.Found.class);
        assertThat(answer.tier()).isEqualTo(Tier.REDIS);
        assertThat(answer.version()).isEqualTo(7);
        assertThat(((ReadResult.Found) answer).columns())
                .containsExactly(Map.entry("id", "1"), Map.entry("title", "\"a\""), Map.entry("status", "\"new\""));
    }

    @Test
    void deleteMarker_answersAbsentAtTheDeleteVersion() {
        Step step = fillsOn.afterHash(DOCS, "1", DELETED);

        assertThat(step).isEqualTo(new Step.Answer(new ReadResult.Absent("docs", "1", 9, Tier.REDIS)));
    }

    @Test
    void noHashWithFillsOn_reservesBeforeReadingPostgres() {
        assertThat(fillsOn.afterHash(DOCS, "1", RecordHash.NONE)).isEqualTo(new Step.Reserve());
    }

    @Test
    void noHashWithFillsOff_readsPostgresWithoutReserving() {
        assertThat(fillsOff.afterHash(DOCS, "1", RecordHash.NONE))
                .isEqualTo(new Step.ReadDatabase(RecordHash.NONE, false));
    }

    @Test
    void partialHash_readsPostgresToCompleteIt_neverReserves() {
        assertThat(fillsOn.afterHash(DOCS, "1", PARTIAL)).isEqualTo(new Step.ReadDatabase(PARTIAL, false));
    }

    @Test
    void anotherReadersReservation_readsPostgresAndCountsTheFillElsewhere() {
        assertThat(fillsOn.afterHash(DOCS, "1", RESERVED)).isEqualTo(new Step.ReadDatabase(RESERVED, true));
    }

    // ------------------------------------------------------------------------------------------------ reservation

    @Test
    void reservationFindsAWrite_answersFromRedis() {
        Step full = fillsOn.afterReservation(DOCS, "1", FULL);
        Step deleted = fillsOn.afterReservation(DOCS, "1", DELETED);

        assertThat(((Step.Answer) full).result().version()).isEqualTo(7);
        assertThat(deleted).isEqualTo(new Step.Answer(new ReadResult.Absent("docs", "1", 9, Tier.REDIS)));
    }

    @Test
    void reservationFindsPatchesOrAnotherReservation_readsPostgresWithoutReservingAgain() {
        assertThat(fillsOn.afterReservation(DOCS, "1", PARTIAL)).isEqualTo(new Step.ReadDatabase(PARTIAL, false));
        assertThat(fillsOn.afterReservation(DOCS, "1", RESERVED)).isEqualTo(new Step.ReadDatabase(RESERVED, true));
    }

    // ------------------------------------------------------------------------------------------------ PostgreSQL

    @Test
    void rowWithoutHash_answersTheRowFromTheDatabase() {
        ReadResult answer = TierPolicy.fromDatabase(DOCS, "1", RecordHash.NONE, ROW, 0);

        assertThat(answer).isEqualTo(new ReadResult.Found(DOCS, "1", 10, Tier.DATABASE, ROW.columns()));
    }

    @Test
    void partialHashOverTheRow_itsColumnsWinAndItsNewerVersionCounts() {
        ReadResult answer = TierPolicy.fromDatabase(DOCS, "1", PARTIAL, ROW, 0);

        assertThat(answer.version()).isEqualTo(12);
        assertThat(answer.tier()).isEqualTo(Tier.DATABASE);
        assertThat(((ReadResult.Found) answer).columns())
                .containsExactly(Map.entry("id", "1"), Map.entry("title", "\"b\""), Map.entry("status", "\"synced\""));
    }

    @Test
    void partialHashOlderThanTheRow_keepsTheRowsVersion() {
        RecordHash older = new RecordHash(RecordHash.Kind.PARTIAL, 3, Map.of("title", "\"b\""));

        ReadResult answer = TierPolicy.fromDatabase(DOCS, "1", older, ROW, 0);

        assertThat(answer.version()).isEqualTo(10);
    }

    @Test
    void reservedHashOverTheRow_answersTheRowUnmerged() {
        ReadResult answer = TierPolicy.fromDatabase(DOCS, "1", RESERVED, ROW, 0);

        assertThat(((ReadResult.Found) answer).columns()).isEqualTo(ROW.columns());
        assertThat(answer.version()).isEqualTo(10);
    }

    @Test
    void noRow_answersAbsentAtTheTombstonesVersion() {
        assertThat(TierPolicy.fromDatabase(DOCS, "1", RecordHash.NONE, null, 15))
                .isEqualTo(new ReadResult.Absent("docs", "1", 15, Tier.DATABASE));
    }

    @Test
    void partialHashOverNoRow_answersAbsent() {
        assertThat(TierPolicy.fromDatabase(DOCS, "1", PARTIAL, null, 0))
                .isEqualTo(new ReadResult.Absent("docs", "1", 0, Tier.DATABASE));
    }

    // ------------------------------------------------------------------------------------------------ local cache fill

    @Test
    void fillSupersededByAWrite_isNotCached() {
        assertThat(TierPolicy.cacheAfterFill(true, RedisFills.Outcome.SUPERSEDED))
                .isFalse();
    }

    @Test
    void filledOrReleasedOrUnreserved_isCached() {
        assertThat(TierPolicy.cacheAfterFill(true, RedisFills.Outcome.FILLED)).isTrue();
        assertThat(TierPolicy.cacheAfterFill(true, RedisFills.Outcome.RELEASED)).isTrue();
        assertThat(TierPolicy.cacheAfterFill(false, null)).isTrue();
    }

    @Test
    void onlyAnAbsentAnswerFromPostgres_isANegativeEntry() {
        assertThat(TierPolicy.negative(new ReadResult.Absent("docs", "1", 0, Tier.DATABASE)))
                .isTrue();
        assertThat(TierPolicy.negative(new ReadResult.Absent("docs", "1", 9, Tier.REDIS)))
                .isFalse();
        assertThat(TierPolicy.negative(new ReadResult.Found(DOCS, "1", 10, Tier.DATABASE, ROW.columns())))
                .isFalse();
    }

    // ------------------------------------------------------------------------------------------------ record shape

    /** A composite text + int key, a scaled numeric and a column PostgreSQL fills with its default. */
    private static final TableDef SHAPED = new TableDef(
            "shaped",
            List.of(
                    new ColumnDef("name", SqlType.TEXT, false, false, 0),
                    new ColumnDef("n", SqlType.INTEGER, false, false, 0),
                    new ColumnDef("amount", SqlType.NUMERIC, true, false, 0, 10, 2),
                    new ColumnDef("created_at", SqlType.TIMESTAMPTZ, false, true, 0)),
            List.of("name", "n"),
            1,
            Optional.empty());

    private static final String SHAPED_KEY = "a%2Cb%25c,7";

    @Test
    void fullHash_answersTheKeyColumnsFromTheKey_andCanonicalValues() {
        RecordHash hash = new RecordHash(
                RecordHash.Kind.FULL, 5, Map.of("amount", "1.5", "created_at", "\"2026-01-01T00:00:00Z\""));

        ReadResult answer = ((Step.Answer) fillsOn.afterHash(SHAPED, SHAPED_KEY, hash)).result();

        // the key's components, %-decoded and typed, as PostgreSQL's row would give them; numeric(10,2) at scale 2
        assertThat(((ReadResult.Found) answer).columns())
                .containsExactly(
                        Map.entry("name", "\"a,b%c\""),
                        Map.entry("n", "7"),
                        Map.entry("amount", "1.50"),
                        Map.entry("created_at", "\"2026-01-01T00:00:00Z\""));
        assertThat(((ReadResult.Found) answer).pending()).isEmpty();
    }

    @Test
    void fullHashLackingADatabaseDefault_readsTheRow() {
        RecordHash hash = new RecordHash(RecordHash.Kind.FULL, 5, Map.of("amount", "2"));

        assertThat(fillsOn.afterHash(SHAPED, SHAPED_KEY, hash)).isEqualTo(new Step.ReadDatabase(hash, false));
        assertThat(fillsOff.afterReservation(SHAPED, SHAPED_KEY, hash)).isEqualTo(new Step.ReadDatabase(hash, false));
    }

    @Test
    void rowAtTheHashVersion_suppliesTheDefaults_asARedisAnswerToWriteBack() {
        RecordHash hash = new RecordHash(RecordHash.Kind.FULL, 5, Map.of("amount", "2"));
        DatabaseRows.Row row = new DatabaseRows.Row(
                5,
                Map.of(
                        "name", "\"a,b%c\"",
                        "n", "7",
                        "amount", "2.00",
                        "created_at", "\"2026-12-07T10:00:00.123456Z\""));

        ReadResult answer = TierPolicy.fromDatabase(SHAPED, SHAPED_KEY, hash, row, 0);

        assertThat(answer.tier()).isEqualTo(Tier.REDIS);
        assertThat(((ReadResult.Found) answer).recordJson())
                .isEqualTo("{\"name\":\"a,b%c\",\"n\":7,\"amount\":2.00,"
                        + "\"created_at\":\"2026-12-07T10:00:00.123456Z\"}");
        assertThat(TierPolicy.completedDefaults(hash, answer))
                .containsExactly(Map.entry("created_at", "\"2026-12-07T10:00:00.123456Z\""));
    }

    @Test
    void rowOlderThanTheHash_leavesTheDefaultsPending() {
        RecordHash hash = new RecordHash(RecordHash.Kind.FULL, 6, Map.of("amount", "2"));
        DatabaseRows.Row older = new DatabaseRows.Row(
                5, Map.of("name", "\"a,b%c\"", "n", "7", "amount", "1.00", "created_at", "\"2026-12-07T10:00:00Z\""));

        for (DatabaseRows.Row row : java.util.Arrays.asList(older, null)) {
            ReadResult.Found answer = (ReadResult.Found) TierPolicy.fromDatabase(SHAPED, SHAPED_KEY, hash, row, 0);

            assertThat(answer.tier()).isEqualTo(Tier.REDIS);
            assertThat(answer.version()).isEqualTo(6);
            assertThat(answer.value("amount")).isEqualTo(new java.math.BigDecimal("2.00"));
            assertThat(answer.pending()).containsExactly("created_at");
            assertThat(TierPolicy.completedDefaults(hash, answer)).isEmpty();
        }
    }

    @Test
    void hashLackingDefaultsWithoutATtl_isUnsynced_andAnswersPendingWithoutPostgres() {
        RecordHash hash = new RecordHash(RecordHash.Kind.FULL, 5, Map.of("amount", "2"));

        Step step = TierPolicy.afterTtl(SHAPED, SHAPED_KEY, hash, -1);

        assertThat(step).isInstanceOf(Step.Answer.class);
        ReadResult.Found answer = (ReadResult.Found) ((Step.Answer) step).result();
        assertThat(answer.tier()).isEqualTo(Tier.REDIS);
        assertThat(answer.pending()).containsExactly("created_at");
        assertThat(answer.columns()).containsEntry("name", "\"a,b%c\"").containsEntry("amount", "2.00");
    }

    @Test
    void hashLackingDefaultsWithATtl_wasReleasedBySync_andReadsTheRow() {
        RecordHash hash = new RecordHash(RecordHash.Kind.FULL, 5, Map.of("amount", "2"));

        assertThat(TierPolicy.afterTtl(SHAPED, SHAPED_KEY, hash, 60_000)).isEqualTo(new Step.ReadDatabase(hash, false));
    }
}
