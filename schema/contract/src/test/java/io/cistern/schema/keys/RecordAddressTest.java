package io.cistern.schema.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.cistern.schema.failure.InvalidRecordException;
import io.cistern.schema.failure.InvalidRecordException.Reason;
import io.cistern.schema.registry.ColumnDef;
import io.cistern.schema.registry.SqlType;
import io.cistern.schema.registry.TableDef;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

class RecordAddressTest {
    private static final String DOC = "7c0e5b1e-3f2a-4d1b-9c3e-0a1b2c3d4e5f";
    private static final String ENTITY = "0a1b2c3d-4e5f-4d1b-9c3e-7c0e5b1e3f2a";

    private static final TableDef ENTITIES =
            table("entities", 1, column("document_uuid", SqlType.UUID), column("entity_uuid", SqlType.UUID));
    private static final TableDef MIXED = table(
            "mixed",
            3,
            column("name", SqlType.TEXT),
            column("id", SqlType.BIGINT),
            column("n", SqlType.INTEGER),
            column("day", SqlType.DATE));

    private static ColumnDef column(String name, SqlType type) {
        return new ColumnDef(name, type, false, false, 0);
    }

    private static TableDef table(String name, int routing, ColumnDef... keyColumns) {
        return new TableDef(
                name,
                List.of(keyColumns),
                Arrays.stream(keyColumns).map(ColumnDef::name).toList(),
                routing,
                Optional.empty());
    }

    private static void assertRefused(ThrowingCallable call, Reason reason, String field, String... message) {
        assertThatThrownBy(call).isInstanceOfSatisfying(InvalidRecordException.class, e -> {
            assertThat(e.reason()).isEqualTo(reason);
            assertThat(e.field()).isEqualTo(field);
            for (String part : message) {
                assertThat(e.getMessage()).contains(part);
            }
        });
    }

    @Test
    void of_canonicalisesEachValueByItsColumnsType_andEncodesTheKey() {
        RecordAddress a = RecordAddress.of(MIXED, List.of("a,b/c d", 42L, Integer.MIN_VALUE, LocalDate.of(2026, 1, 2)));

        assertThat(a.components()).containsExactly("a,b/c d", "42", "-2147483648", "2026-01-02");
        assertThat(a.key()).isEqualTo("a%2Cb%2Fc%20d,42,-2147483648,2026-01-02");
        assertThat(a.values()).containsExactly("a,b/c d", 42L, (long) Integer.MIN_VALUE, LocalDate.of(2026, 1, 2));
    }

    @Test
    void of_takesColumnTextsAsWell_andLowerCasesUuidsAndNormalisesIntegers() {
        RecordAddress fromText = RecordAddress.of(ENTITIES, List.of(DOC.toUpperCase(), ENTITY));
        RecordAddress fromUuids = RecordAddress.of(ENTITIES, List.of(UUID.fromString(DOC), UUID.fromString(ENTITY)));

        assertThat(fromText.key()).isEqualTo(DOC + "," + ENTITY);
        assertThat(fromText).isEqualTo(fromUuids);
        assertThat(RecordAddress.of(MIXED, List.of("x", "-0", "7", "2026-01-02"))
                        .components())
                .containsExactly("x", "0", "7", "2026-01-02");
    }

    @Test
    void of_refusesTooFewValues_asMissingNamingTheFirstMissingColumn() {
        assertRefused(
                () -> RecordAddress.of(ENTITIES, List.of(DOC)),
                Reason.MISSING_KEY,
                "entity_uuid",
                "[document_uuid, entity_uuid]",
                "lacks 'entity_uuid'");
    }

    @Test
    void of_refusesTooManyValues_asMalformedOnTheKey() {
        assertRefused(
                () -> RecordAddress.of(ENTITIES, List.of(DOC, ENTITY, DOC)),
                Reason.MALFORMED_KEY,
                "key",
                "[document_uuid, entity_uuid] (2 values), got 3");
    }

    @Test
    void of_refusesAValueThatDoesNotFitItsColumn_namingTheColumn() {
        assertRefused(
                () -> RecordAddress.of(ENTITIES, List.of(DOC, "not-a-uuid")),
                Reason.MALFORMED_KEY,
                "entity_uuid",
                "'entity_uuid'");
        assertRefused(
                () -> RecordAddress.of(MIXED, List.of("x", Long.MAX_VALUE, (long) Integer.MAX_VALUE + 1, "2026-01-02")),
                Reason.MALFORMED_KEY,
                "n",
                "2147483648");
        assertRefused(() -> RecordAddress.of(MIXED, List.of("x", "007", 1, "2026-01-02")), Reason.MALFORMED_KEY, "id");
        assertRefused(() -> RecordAddress.of(ENTITIES, Arrays.asList(DOC, null)), Reason.MISSING_KEY, "entity_uuid");
    }

    @Test
    void parse_acceptsACanonicalKey_andRoundTripsWithOf() {
        RecordAddress written = RecordAddress.of(MIXED, List.of("50% {ü} 😀", Long.MIN_VALUE, 0, "2026-01-02"));

        RecordAddress read = RecordAddress.parse(MIXED, written.key());

        assertThat(read).isEqualTo(written);
        assertThat(read.components()).isEqualTo(written.components());
        assertThat(read.values()).containsExactly("50% {ü} 😀", Long.MIN_VALUE, 0L, LocalDate.of(2026, 1, 2));
    }

    @Test
    void parse_refusesAKeyNotInCanonicalForm_namingTheColumnAndTheCanonicalForm() {
        assertRefused(
                () -> RecordAddress.parse(ENTITIES, DOC.toUpperCase() + "," + ENTITY),
                Reason.MALFORMED_KEY,
                "document_uuid",
                "its canonical form is '" + DOC + "'");
        assertRefused(() -> RecordAddress.parse(ENTITIES, DOC + ",x"), Reason.MALFORMED_KEY, "entity_uuid");
    }

    @Test
    void parse_refusesAnEmptyOrMiscountedOrBadlyEncodedKey_onTheKey() {
        assertRefused(() -> RecordAddress.parse(ENTITIES, ""), Reason.MISSING_KEY, "key", "needs a key");
        assertRefused(() -> RecordAddress.parse(ENTITIES, DOC), Reason.MISSING_KEY, "key", "has 1 components");
        assertRefused(
                () -> RecordAddress.parse(ENTITIES, DOC + "," + ENTITY + "," + DOC),
                Reason.MALFORMED_KEY,
                "key",
                "has 3 components");
        assertRefused(() -> RecordAddress.parse(MIXED, "a b,1,1,2026-01-02"), Reason.MALFORMED_KEY, "key", "%-encoded");
        assertRefused(() -> RecordAddress.parse(MIXED, "%41,1,1,2026-01-02"), Reason.MALFORMED_KEY, "key", "canonical");
        assertRefused(() -> RecordAddress.parse(MIXED, "%2c,1,1,2026-01-02"), Reason.MALFORMED_KEY, "key");
        assertRefused(() -> RecordAddress.parse(MIXED, "%FF,1,1,2026-01-02"), Reason.MALFORMED_KEY, "key", "UTF-8");
    }

    @Test
    void emptyText_isAKeyValue_soTheEmptyKeyOfAOneTextColumnTableIsAccepted() {
        TableDef names = table("names", 1, column("name", SqlType.TEXT));

        RecordAddress written = RecordAddress.of(names, List.of(""));

        assertThat(written.key()).isEmpty();
        assertThat(RecordAddress.parse(names, "")).isEqualTo(written);
        assertThat(RecordAddress.parse(MIXED, ",1,1,2026-01-02").components())
                .containsExactly("", "1", "1", "2026-01-02");
    }

    @Test
    void decode_keepsTheKeyAsWritten_andReadsTypedValues() {
        RecordAddress a = RecordAddress.decode(MIXED, "x%2Cy,007," + Integer.MAX_VALUE + ",2026-01-02");

        assertThat(a.key()).isEqualTo("x%2Cy,007," + Integer.MAX_VALUE + ",2026-01-02");
        assertThat(a.components()).containsExactly("x,y", "007", "2147483647", "2026-01-02");
        assertThat(a.values()).containsExactly("x,y", 7L, (long) Integer.MAX_VALUE, LocalDate.of(2026, 1, 2));
        assertThat(RecordAddress.decode(ENTITIES, DOC + "," + ENTITY).values())
                .containsExactly(UUID.fromString(DOC), UUID.fromString(ENTITY));
    }

    @Test
    void decode_refusesAValueNotOfItsType_namingTheColumn() {
        assertRefused(
                () -> RecordAddress.decode(MIXED, "x,not-a-number,1,2026-01-02"),
                Reason.MALFORMED_KEY,
                "id",
                "key column 'id' of table 'mixed' is int8, got 'not-a-number'");
        assertRefused(() -> RecordAddress.decode(ENTITIES, DOC), Reason.MISSING_KEY, "key", "has 1 components");
    }

    @Test
    void partition_hashesTheRoutingColumnsOnly_soAParentAndItsChildrenShareAPartition() {
        RecordAddress child = RecordAddress.of(ENTITIES, List.of(DOC, ENTITY));
        RecordAddress sibling = RecordAddress.of(ENTITIES, List.of(DOC, DOC));

        assertThat(child.routingText()).isEqualTo(DOC);
        assertThat(child.partition(16)).isEqualTo(sibling.partition(16));
        // zlib.crc32(b"7c0e5b1e-3f2a-4d1b-9c3e-0a1b2c3d4e5f") == 2982632893
        assertThat(child.partition(16)).isEqualTo((int) (2982632893L % 16));
        assertThat(child.recordKey(new KeyLayout("p"), 16))
                .isEqualTo("p:{" + (2982632893L % 16) + "}:r:entities:" + DOC + "," + ENTITY);
    }

    @Test
    void partition_ofAKeyRoutedByThreeColumns_hashesTheirEncodedText() {
        RecordAddress a = RecordAddress.of(MIXED, List.of("a,b", 1L, 2, "2026-01-02"));

        assertThat(a.routingText()).isEqualTo("a%2Cb,1,2");
        assertThat(a.partition(1000)).isEqualTo(Partitioner.partitionOf("a%2Cb,1,2", 1000));
        assertThat(RecordAddress.parse(MIXED, a.key()).partition(1000)).isEqualTo(a.partition(1000));
    }
}
