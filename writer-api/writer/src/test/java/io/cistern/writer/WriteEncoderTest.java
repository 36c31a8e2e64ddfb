package io.cistern.writer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.cistern.schema.codec.Operation;
import io.cistern.schema.failure.InvalidRecordException;
import io.cistern.schema.failure.InvalidRecordException.Reason;
import io.cistern.schema.keys.KeyLayout;
import io.cistern.schema.keys.Partitioner;
import io.cistern.schema.registry.CheckParser;
import io.cistern.schema.registry.ColumnDef;
import io.cistern.schema.registry.SqlType;
import io.cistern.schema.registry.TableDef;
import io.cistern.schema.registry.TableRegistry;
import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

class WriteEncoderTest {
    private static final String DOC = "7c0e5b1e-3f2a-4d1b-9c3e-0a1b2c3d4e5f";
    private static final String ENTITY = "0b8f6a4e-1111-4c2d-8e9f-123456789abc";
    private static final TableDef DOCUMENTS = new TableDef(
            "source_documents",
            List.of(
                    new ColumnDef("document_uuid", SqlType.UUID, false, false, 0),
                    new ColumnDef("filename", SqlType.TEXT, false, false, 0),
                    new ColumnDef("status", SqlType.TEXT, false, true, 0),
                    new ColumnDef("size_bytes", SqlType.BIGINT, true, false, 0),
                    new ColumnDef("language", SqlType.TEXT, true, false, 16),
                    new ColumnDef("metadata", SqlType.JSONB, true, false, 0)),
            List.of("document_uuid"),
            1,
            Optional.empty());
    private static final TableDef ENTITIES = new TableDef(
            "entities",
            List.of(
                    new ColumnDef("document_uuid", SqlType.UUID, false, false, 0),
                    new ColumnDef("entity_uuid", SqlType.UUID, false, false, 0),
                    new ColumnDef("entity_type", SqlType.TEXT, false, false, 0),
                    new ColumnDef("confidence", SqlType.NUMERIC, true, false, 0)),
            List.of("document_uuid", "entity_uuid"),
            1,
            Optional.of("source_documents"));
    private static final TableRegistry REGISTRY = new TableRegistry(16, List.of(DOCUMENTS, ENTITIES));
    private static final KeyLayout LAYOUT = new KeyLayout("test");
    private static final int MAX_VALUE_BYTES = 100;

    private final WriteEncoder encoder = new WriteEncoder(LAYOUT, MAX_VALUE_BYTES);

    private static Map<String, Object> columns(Object... pairs) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            m.put((String) pairs[i], pairs[i + 1]);
        }
        return m;
    }

    private void assertRefused(Write write, Reason reason, String field, String... messageParts) {
        ThrowingCallable call = () -> encoder.encode(REGISTRY, write);
        InvalidRecordException e = catchThrowableOfType(InvalidRecordException.class, call);
        assertThat(e).as("refusal of %s", write).isNotNull();
        assertThat(e.reason()).isEqualTo(reason);
        assertThat(e.field()).isEqualTo(field);
        assertThat(e.table()).isEqualTo(write.table());
        assertThat(e.retryable()).isFalse();
        assertThat(e.code()).isEqualTo(reason.name());
        for (String part : messageParts) {
            assertThat(e.getMessage()).contains(part);
        }
    }

    @Test
    void put_isEncodedAsOneFunctionCallOnTheRecordsPartition() {
        EncodedWrite w = encoder.encode(
                REGISTRY,
                Write.put(
                        "source_documents",
                        RecordKey.of(DOC.toUpperCase(java.util.Locale.ROOT)),
                        columns("filename", "a.pdf", "size_bytes", 9_007_199_254_740_993L, "language", null)));

        int p = Partitioner.partitionOf(DOC, 16);
        assertThat(w.key()).isEqualTo(DOC);
        assertThat(w.partition()).isEqualTo(p);
        assertThat(w.function()).isEqualTo("cistern_put_v1");
        assertThat(w.keys())
                .containsExactly(LAYOUT.record(p, "source_documents", DOC), LAYOUT.stream(p), LAYOUT.meta(p));
        assertThat(w.args())
                .containsExactly(
                        "source_documents",
                        DOC,
                        "filename",
                        "\"a.pdf\"",
                        "size_bytes",
                        "9007199254740993",
                        "language",
                        "null");
    }

    @Test
    void compositeKey_isRoutedByTheDocumentAndSharesItsPartition() {
        EncodedWrite document = encoder.encode(REGISTRY, Write.delete("source_documents", RecordKey.of(DOC)));
        EncodedWrite entity = encoder.encode(
                REGISTRY,
                Write.patch("entities", RecordKey.of(DOC, ENTITY), columns("confidence", new BigDecimal("0.9500"))));

        assertThat(entity.key()).isEqualTo(DOC + "," + ENTITY);
        assertThat(entity.partition()).isEqualTo(document.partition());
        assertThat(entity.args()).containsExactly("entities", DOC + "," + ENTITY, "confidence", "0.9500");
        assertThat(document.args()).containsExactly("source_documents", DOC);
        assertThat(document.function()).isEqualTo("cistern_delete_v1");
    }

    @Test
    void parsedKey_isEncodedLikeTheSameJavaValues() {
        EncodedWrite parsed = encoder.encode(
                REGISTRY,
                Write.delete("entities", RecordKey.parse(DOC.toUpperCase(java.util.Locale.ROOT) + "," + ENTITY)));

        assertThat(parsed.key()).isEqualTo(DOC + "," + ENTITY);
    }

    @Test
    void keyColumnRepeatedInTheColumnsAndAgreeing_isAcceptedAndNotSentTwice() {
        EncodedWrite w = encoder.encode(
                REGISTRY,
                Write.put(
                        "entities",
                        RecordKey.of(DOC, ENTITY),
                        columns("document_uuid", DOC.toUpperCase(java.util.Locale.ROOT), "entity_type", "person")));

        assertThat(w.args()).containsExactly("entities", DOC + "," + ENTITY, "entity_type", "\"person\"");
    }

    @Test
    void unknownTable_isRefusedNamingTheTable() {
        assertRefused(
                Write.delete("documents", RecordKey.of(DOC)),
                Reason.UNKNOWN_TABLE,
                "table",
                "'documents'",
                "entities, source_documents",
                "register it with `ops/cistern init --table documents`");
    }

    @Test
    void misspeltTable_isRefusedSuggestingTheRegisteredOne() {
        InvalidRecordException e = catchThrowableOfType(
                InvalidRecordException.class,
                () -> encoder.encode(REGISTRY, Write.delete("source_document", RecordKey.of(DOC))));

        assertThat(e.reason()).isEqualTo(Reason.UNKNOWN_TABLE);
        assertThat(e.getMessage())
                .contains("table 'source_document' is not registered", "did you mean 'source_documents'?")
                .doesNotContain("ops/cistern init");
    }

    @Test
    void misspeltColumn_isRefusedSuggestingTheTablesOne() {
        assertRefused(
                Write.patch("source_documents", RecordKey.of(DOC), columns("filname", "a.pdf")),
                Reason.UNKNOWN_COLUMN,
                "filname",
                "has no column 'filname'; did you mean 'filename'?");
    }

    @Test
    void unknownColumn_isRefusedNamingTheColumn() {
        assertRefused(
                Write.patch("source_documents", RecordKey.of(DOC), columns("colour", "red")),
                Reason.UNKNOWN_COLUMN,
                "colour",
                "'colour'",
                "filename");
    }

    @Test
    void wrongType_isRefusedNamingTheColumn() {
        assertRefused(
                Write.patch("source_documents", RecordKey.of(DOC), columns("size_bytes", "12")),
                Reason.WRONG_TYPE,
                "size_bytes",
                "'size_bytes'",
                "int8");
        assertRefused(
                Write.patch("entities", RecordKey.of(DOC, ENTITY), columns("confidence", 0.95d)),
                Reason.WRONG_TYPE,
                "confidence");
    }

    @Test
    void valueLargerThanTheLimit_isRefusedNamingTheColumn() {
        assertRefused(
                Write.patch("source_documents", RecordKey.of(DOC), columns("filename", "x".repeat(99))),
                Reason.VALUE_TOO_LARGE,
                "filename",
                "101 bytes",
                "limit of 100");
        // 34 emoji: 68 UTF-16 chars, but 136 bytes of UTF-8
        assertRefused(
                Write.patch("source_documents", RecordKey.of(DOC), columns("filename", "😀".repeat(34))),
                Reason.VALUE_TOO_LARGE,
                "filename",
                "138 bytes");
        assertRefused(
                Write.patch("source_documents", RecordKey.of(DOC), columns("language", "x".repeat(17))),
                Reason.VALUE_TOO_LARGE,
                "language",
                "at most 16 characters");
    }

    @Test
    void valueExactlyAtTheLimit_isAccepted() {
        EncodedWrite w = encoder.encode(
                REGISTRY, Write.patch("source_documents", RecordKey.of(DOC), columns("filename", "x".repeat(98))));

        assertThat(w.args()[3]).hasSize(MAX_VALUE_BYTES);
    }

    @Test
    void keyLackingAComponent_isRefusedAsMissingNamingTheColumn() {
        assertRefused(
                Write.delete("entities", RecordKey.of(DOC)),
                Reason.MISSING_KEY,
                "entity_uuid",
                "[document_uuid, entity_uuid]",
                "'entity_uuid'");
    }

    @Test
    void keyWithTooManyComponents_isRefusedAsMalformed() {
        assertRefused(
                Write.delete("source_documents", RecordKey.of(DOC, ENTITY)),
                Reason.MALFORMED_KEY,
                "key",
                "[document_uuid]",
                "got 2");
    }

    @Test
    void keyValueThatIsNotOfItsColumnsType_isRefusedAsMalformedNamingTheColumn() {
        assertRefused(
                Write.delete("source_documents", RecordKey.of("not-a-uuid")),
                Reason.MALFORMED_KEY,
                "document_uuid",
                "'document_uuid'");
        assertRefused(
                Write.delete("entities", RecordKey.of(DOC, 42L)), Reason.MALFORMED_KEY, "entity_uuid", "'entity_uuid'");
        assertRefused(Write.delete("entities", RecordKey.parse(DOC + ",")), Reason.MALFORMED_KEY, "entity_uuid");
    }

    @Test
    void keyTextNotInCanonicalForm_isRefusedWhenParsed() {
        assertThatThrownBy(() -> RecordKey.parse("a b"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must be %-encoded");
        assertThatThrownBy(() -> RecordKey.of(DOC, null))
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("key values must not be null");
    }

    @Test
    void keyColumnInTheColumnsDisagreeingWithTheKey_isRefusedNamingIt() {
        assertRefused(
                Write.put("entities", RecordKey.of(DOC, ENTITY), columns("entity_uuid", DOC, "entity_type", "person")),
                Reason.MALFORMED_KEY,
                "entity_uuid",
                "'entity_uuid'",
                "in the key");
    }

    @Test
    void putWithoutANotNullColumnThatHasNoDefault_isRefusedNamingIt() {
        assertRefused(
                Write.put("source_documents", RecordKey.of(DOC), columns("size_bytes", 1L)),
                Reason.NOT_NULLABLE,
                "filename",
                "'filename'",
                "NOT NULL");
        assertRefused(
                Write.put("source_documents", RecordKey.of(DOC), columns("filename", null)),
                Reason.NOT_NULLABLE,
                "filename");
    }

    @Test
    void putWithoutANotNullColumnThatHasADefault_isAccepted() {
        EncodedWrite w =
                encoder.encode(REGISTRY, Write.put("source_documents", RecordKey.of(DOC), columns("filename", "a")));

        assertThat(w.args()).containsExactly("source_documents", DOC, "filename", "\"a\"");
    }

    @Test
    void patchMayLeaveNotNullColumnsOut() {
        EncodedWrite w =
                encoder.encode(REGISTRY, Write.patch("source_documents", RecordKey.of(DOC), columns("status", "done")));

        assertThat(w.op()).isEqualTo(Operation.PATCH);
        assertThat(w.args()).containsExactly("source_documents", DOC, "status", "\"done\"");
    }

    @Test
    void emptyPatch_isRefused() {
        assertRefused(
                Write.patch("source_documents", RecordKey.of(DOC), Map.of()),
                Reason.EMPTY_PATCH,
                "columns",
                "at least one column");
        assertRefused(
                Write.patch("source_documents", RecordKey.of(DOC), columns("document_uuid", DOC)),
                Reason.EMPTY_PATCH,
                "columns");
    }

    @Test
    void deleteWithColumns_isRefused() {
        assertRefused(
                new Write(Operation.DELETE, "source_documents", RecordKey.of(DOC), columns("filename", "a")),
                Reason.WRONG_TYPE,
                "columns",
                "a delete takes no columns");
    }

    private static final TableDef TASKS = new TableDef(
            "tasks",
            List.of(
                    new ColumnDef("id", SqlType.TEXT, false, false, 0),
                    new ColumnDef("status", SqlType.TEXT, false, true, 0),
                    new ColumnDef("n", SqlType.INTEGER, true, false, 0),
                    new ColumnDef("title", SqlType.TEXT, true, false, 0),
                    new ColumnDef("owner", SqlType.TEXT, true, false, 0)),
            List.of("id"),
            1,
            Optional.empty(),
            List.of(
                    CheckParser.parse(
                            "tasks_status_check",
                            "CHECK ((status = ANY (ARRAY['new'::text, 'done'::text])))",
                            Map.of("status", SqlType.TEXT),
                            java.util.Set.of()),
                    CheckParser.parse(
                            "tasks_n_check",
                            "CHECK (((n >= 0) AND (n <= 10)))",
                            Map.of("n", SqlType.INTEGER),
                            java.util.Set.of()),
                    CheckParser.parse(
                            "tasks_id_check",
                            "CHECK ((length(id) <= 3))",
                            Map.of("id", SqlType.TEXT),
                            java.util.Set.of()),
                    CheckParser.parse(
                            "tasks_owner_check",
                            "CHECK ((owner IS NOT NULL))",
                            Map.of("owner", SqlType.TEXT),
                            java.util.Set.of())));
    private static final TableRegistry WITH_CHECKS = new TableRegistry(16, List.of(TASKS));

    private void assertCheckRefused(Write write, String field, String... messageParts) {
        InvalidRecordException e =
                catchThrowableOfType(InvalidRecordException.class, () -> encoder.encode(WITH_CHECKS, write));
        assertThat(e).as("refusal of %s", write).isNotNull();
        assertThat(e.reason()).isEqualTo(Reason.CHECK_VIOLATION);
        assertThat(e.code()).isEqualTo("CHECK_VIOLATION");
        assertThat(e.field()).isEqualTo(field);
        assertThat(e.table()).isEqualTo("tasks");
        for (String part : messageParts) {
            assertThat(e.getMessage()).contains(part);
        }
    }

    @Test
    void valueACheckRefuses_isRefusedNamingFieldConstraintAndAllowedValues() {
        assertCheckRefused(
                Write.put("tasks", RecordKey.of("a"), columns("status", "lost", "owner", "o")),
                "status",
                "'lost'",
                "tasks_status_check",
                "status IN ('new', 'done')");
        assertCheckRefused(Write.patch("tasks", RecordKey.of("a"), columns("n", 11)), "n", "tasks_n_check", "n <= 10");
        assertCheckRefused(
                Write.patch("tasks", RecordKey.of("abcd"), columns("n", 1)), "id", "tasks_id_check", "length(id) <= 3");
    }

    @Test
    void isNotNull_refusesAPutLeavingTheColumnOut_butNotAPatch() {
        assertCheckRefused(
                Write.put("tasks", RecordKey.of("a"), columns("n", 1)), "owner", "NULL", "tasks_owner_check");
        assertCheckRefused(
                Write.patch("tasks", RecordKey.of("a"), columns("owner", null)), "owner", "tasks_owner_check");
        encoder.encode(WITH_CHECKS, Write.patch("tasks", RecordKey.of("a"), columns("n", 1)));
    }

    @Test
    void nullAndDefaultsAndUnderstoodValues_pass() {
        EncodedWrite w = encoder.encode(
                WITH_CHECKS, Write.put("tasks", RecordKey.of("ab"), columns("n", null, "title", "x", "owner", "me")));
        assertThat(w.table()).isEqualTo("tasks");
        encoder.encode(
                WITH_CHECKS,
                Write.put("tasks", RecordKey.of("abc"), columns("status", "done", "n", 10, "owner", "me")));
    }
}
