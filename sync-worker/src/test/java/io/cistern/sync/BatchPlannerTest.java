package io.cistern.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.cistern.schema.codec.ChangeEntry;
import io.cistern.schema.codec.Operation;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BatchPlannerTest {
    private static final String DOC_1 = "00000000-0000-0000-0000-000000000001";
    private static final String DOC_2 = "f0000000-0000-0000-0000-000000000002";
    private static final String ENTITY_1 = "00000000-0000-0000-0000-00000000000a";
    private static final String ENTITY_2 = "80000000-0000-0000-0000-00000000000b";

    private final BatchPlanner planner = new BatchPlanner(Tables.REGISTRY);
    private long sequence;

    @Test
    void upserts_parentsBeforeChildren_deletes_childrenBeforeParents_patchesFirst() {
        List<ChangeEntry> entries = List.of(
                put("entities", DOC_1 + "," + ENTITY_1, Map.of("value", "\"x\"")),
                put("source_documents", DOC_2, Map.of("filename", "\"b.pdf\"")),
                delete("source_documents", DOC_1),
                delete("entities", DOC_2 + "," + ENTITY_2),
                patch("source_documents", "00000000-0000-0000-0000-0000000000ff", Map.of("status", "\"done\"")));

        BatchPlan plan = planner.plan(entries, 1);

        assertThat(plan.operations())
                .extracting(op -> op.kind() + " " + op.table().name())
                .containsExactly(
                        "PATCH source_documents",
                        "DELETE entities",
                        "DELETE source_documents",
                        "UPSERT source_documents",
                        "UPSERT entities");
        assertThat(plan.rejected()).isEmpty();
    }

    @Test
    void keysOfATable_inPrimaryKeyOrder_whateverTheStreamOrder() {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            keys.add(String.format("%08x-0000-4000-8000-%012x", i * 0x07000001L & 0xffffffffL, i));
        }
        List<String> shuffled = new ArrayList<>(keys);
        Collections.shuffle(shuffled, new Random(42));
        List<ChangeEntry> entries = new ArrayList<>();
        for (String k : shuffled) {
            entries.add(put("source_documents", k, Map.of("filename", "\"f\"")));
        }

        BatchPlan plan = planner.plan(entries, 1);

        List<String> sorted = new ArrayList<>(keys);
        sorted.sort(null); // lower-case hex uuids: text order is unsigned byte order, as in PostgreSQL
        assertThat(plan.operations()).extracting(op -> op.key().encoded()).containsExactlyElementsOf(sorted);
    }

    @Test
    void integerKeys_inNumericOrderNotTextOrder() {
        BatchPlan plan = planner.plan(
                List.of(
                        put("counters", "10", Map.of()),
                        put("counters", "9", Map.of()),
                        put("counters", "-1", Map.of())),
                1);

        assertThat(plan.operations()).extracting(op -> op.key().encoded()).containsExactly("-1", "9", "10");
    }

    @Test
    void documentAndEntitiesInsertedThenDeletedInOneBatch_becomeDeletesChildrenFirst() {
        String entityKey = DOC_1 + "," + ENTITY_1;
        List<ChangeEntry> entries = List.of(
                put("source_documents", DOC_1, Map.of("filename", "\"a.pdf\"")),
                put("entities", entityKey, Map.of("value", "\"x\"")),
                delete("entities", entityKey),
                delete("source_documents", DOC_1));

        BatchPlan plan = planner.plan(entries, 1);

        assertThat(plan.operations())
                .extracting(op -> op.kind() + " " + op.table().name() + " v" + op.version())
                .containsExactly("DELETE entities v3", "DELETE source_documents v4");
    }

    @Test
    void patchAfterDeleteInTheBatch_isRejectedAsRecordAbsent() {
        ChangeEntry put = put("source_documents", DOC_1, Map.of("filename", "\"a.pdf\""));
        ChangeEntry delete = delete("source_documents", DOC_1);
        ChangeEntry patch = patch("source_documents", DOC_1, Map.of("status", "\"done\""));
        List<ChangeEntry> entries = List.of(put, delete, patch);

        BatchPlan plan = planner.plan(entries, 3);

        assertThat(plan.rejected()).singleElement().satisfies(d -> {
            assertThat(d.entryId()).isEqualTo(patch.id());
            assertThat(d.reason()).isEqualTo(DeadLetter.RECORD_ABSENT);
            assertThat(d.attempts()).isEqualTo(3);
            assertThat(d.fields()).containsEntry("o", "patch").containsEntry("c:status", "\"done\"");
        });
        assertThat(plan.operations())
                .singleElement()
                .satisfies(op -> assertThat(op.kind()).isEqualTo(RowOperation.Kind.DELETE));
    }

    @Test
    void unknownTableColumnMalformedKeyOrBadValue_areRejectedNamingTheProblem_andTheRestIsPlanned() {
        List<ChangeEntry> entries = List.of(
                put("no_such_table", "1", Map.of()),
                put("counters", "1", Map.of("nope", "\"x\"")),
                put("counters", "not-a-number", Map.of()),
                put("source_documents", DOC_1, Map.of("page_count", "\"many\"")),
                put("counters", "2", Map.of("a", "\"fine\"")));

        BatchPlan plan = planner.plan(entries, 1);

        assertThat(plan.rejected())
                .extracting(DeadLetter::reason)
                .satisfiesExactly(
                        r -> assertThat(r).contains("unknown table 'no_such_table'"),
                        r -> assertThat(r).contains("unknown column 'nope'"),
                        r -> assertThat(r).contains("key column 'id'"),
                        r -> assertThat(r).contains("page_count"));
        assertThat(plan.operations())
                .singleElement()
                .satisfies(op -> assertThat(op.key().encoded()).isEqualTo("2"));
    }

    @Test
    void keyColumnsInTheFields_areNotWrittenAsColumns() {
        BatchPlan plan = planner.plan(
                List.of(put(
                        "source_documents", DOC_1, Map.of("document_uuid", "\"" + DOC_1 + "\"", "filename", "\"a\""))),
                1);

        assertThat(plan.operations().getFirst().columns()).containsOnlyKeys("filename");
    }

    private ChangeEntry put(String table, String key, Map<String, String> columns) {
        return entry(table, key, Operation.PUT, columns);
    }

    private ChangeEntry patch(String table, String key, Map<String, String> columns) {
        return entry(table, key, Operation.PATCH, columns);
    }

    private ChangeEntry delete(String table, String key) {
        return entry(table, key, Operation.DELETE, Map.of());
    }

    private ChangeEntry entry(String table, String key, Operation op, Map<String, String> columns) {
        long v = ++sequence;
        return new ChangeEntry("1700000000000-" + v, table, key, op, v, columns);
    }
}
