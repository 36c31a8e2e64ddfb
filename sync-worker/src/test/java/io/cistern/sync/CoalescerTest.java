package io.cistern.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.cistern.schema.codec.ChangeEntry;
import io.cistern.schema.codec.Operation;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The coalescer against a sequential model of DESIGN.md 3.2, exhaustively: every sequence of up to six writes of one
 * key (put, patch of column a, patch of column b, delete), starting from a record that is there or not.
 */
class CoalescerTest {
    private static final KeyValues KEY = KeyValues.decode(Tables.COUNTERS, "7");
    private static final String DEFAULT_C = "default";
    private static final String[] STEPS = {"put", "patchA", "patchB", "delete"};

    @Test
    void everySequenceUpToSixWrites_endsWhereApplyingOneByOneEnds() {
        int checked = 0;
        for (int length = 0; length <= 6; length++) {
            int combinations = (int) Math.pow(STEPS.length, length);
            for (int n = 0; n < combinations; n++) {
                List<ChangeEntry> entries = sequence(length, n);
                for (boolean present : new boolean[] {false, true}) {
                    Map<String, String> before = present ? Map.of("a", "a0", "b", "b0", "c", "c0") : null;
                    Outcome expected = oneByOne(before, entries);
                    Outcome actual = coalesced(before, entries);
                    assertThat(actual).as("%s from %s", entries, before).isEqualTo(expected);
                    checked++;
                }
            }
        }
        assertThat(checked).isEqualTo(2 * (1 + 4 + 16 + 64 + 256 + 1024 + 4096));
    }

    @Test
    void atMostOneOperationPerKindAndPatchesComeFirst() {
        for (int n = 0; n < 4096; n++) {
            List<ChangeEntry> entries = sequence(6, n);
            List<RowOperation> ops =
                    Coalescer.coalesce(Tables.COUNTERS, KEY, prepared(entries)).operations();
            assertThat(ops).hasSizeLessThanOrEqualTo(2);
            if (ops.size() == 2) {
                assertThat(ops.get(0).kind()).isEqualTo(RowOperation.Kind.PATCH);
                assertThat(ops.get(1).kind()).isNotEqualTo(RowOperation.Kind.PATCH);
            }
            for (RowOperation op : ops) {
                assertThat(op.version()).isEqualTo(op.entries().getLast().version());
            }
        }
    }

    @Test
    void entriesOutOfVersionOrder_areMergedInVersionOrder() {
        ChangeEntry put = entry(1, Operation.PUT, Map.of("a", "\"first\"", "b", "\"first\""));
        ChangeEntry patch2 = entry(2, Operation.PATCH, Map.of("a", "\"second\""));
        ChangeEntry patch3 = entry(3, Operation.PATCH, Map.of("a", "\"third\""));

        List<RowOperation> ops = Coalescer.coalesce(Tables.COUNTERS, KEY, prepared(List.of(patch3, put, patch2)))
                .operations();

        assertThat(ops).singleElement().satisfies(op -> {
            assertThat(op.kind()).isEqualTo(RowOperation.Kind.UPSERT);
            assertThat(op.version()).isEqualTo(3);
            assertThat(op.columns()).containsEntry("a", "third").containsEntry("b", "first");
        });
    }

    @Test
    void duplicateEntryOfAVersion_countsOnce() {
        ChangeEntry put = entry(1, Operation.PUT, Map.of("a", "\"x\""));
        ChangeEntry delete = entry(2, Operation.DELETE, Map.of());

        Coalescer.Result result = Coalescer.coalesce(Tables.COUNTERS, KEY, prepared(List.of(put, delete, delete)));

        assertThat(result.operations())
                .singleElement()
                .satisfies(op -> assertThat(op.entries()).containsExactly(put, delete));
        assertThat(result.absentPatches()).isEmpty();
    }

    /** What a record ends as, and which entries were dead-lettered as patches of an absent record. */
    record Outcome(Map<String, String> record, List<Long> absent) {}

    private static Outcome oneByOne(Map<String, String> before, List<ChangeEntry> entries) {
        Map<String, String> state = before == null ? null : new HashMap<>(before);
        List<Long> absent = new ArrayList<>();
        for (ChangeEntry e : entries) {
            switch (e.op()) {
                case PUT -> state = wholeRecord(e.columns());
                case PATCH -> {
                    if (state == null) {
                        absent.add(e.version());
                    } else {
                        for (Map.Entry<String, String> c : e.columns().entrySet()) {
                            state.put(c.getKey(), text(c.getValue()));
                        }
                    }
                }
                case DELETE -> state = null;
            }
        }
        return new Outcome(state, absent);
    }

    private static Outcome coalesced(Map<String, String> before, List<ChangeEntry> entries) {
        Coalescer.Result result = Coalescer.coalesce(Tables.COUNTERS, KEY, prepared(entries));
        Map<String, String> state = before == null ? null : new HashMap<>(before);
        List<Long> absent = new ArrayList<>();
        for (RowOperation op : result.operations()) {
            switch (op.kind()) {
                case PATCH -> {
                    if (state == null) {
                        op.entries().forEach(e -> absent.add(e.version()));
                    } else {
                        state.putAll(op.columns());
                    }
                }
                case UPSERT -> {
                    state = new HashMap<>(Map.of("a", "null", "b", "null", "c", DEFAULT_C));
                    state.putAll(op.columns());
                }
                case DELETE -> state = null;
            }
        }
        result.absentPatches().forEach(e -> absent.add(e.version()));
        absent.sort(null);
        return new Outcome(state, absent);
    }

    private static Map<String, String> wholeRecord(Map<String, String> jsonColumns) {
        Map<String, String> record = new HashMap<>(Map.of("a", "null", "b", "null", "c", DEFAULT_C));
        jsonColumns.forEach((c, v) -> record.put(c, text(v)));
        return record;
    }

    private static String text(String json) {
        return json.substring(1, json.length() - 1);
    }

    /** The n-th sequence of {@code length} steps; versions 1..length, values named after their version. */
    private static List<ChangeEntry> sequence(int length, int n) {
        List<ChangeEntry> entries = new ArrayList<>(length);
        for (int i = 0; i < length; i++) {
            String step = STEPS[n % STEPS.length];
            n /= STEPS.length;
            long v = i + 1;
            entries.add(
                    switch (step) {
                        case "put" -> entry(v, Operation.PUT, Map.of("a", "\"a" + v + "\"", "b", "\"b" + v + "\""));
                        case "patchA" -> entry(v, Operation.PATCH, Map.of("a", "\"a" + v + "\""));
                        case "patchB" -> entry(v, Operation.PATCH, Map.of("b", "\"b" + v + "\""));
                        default -> entry(v, Operation.DELETE, Map.of());
                    });
        }
        return entries;
    }

    static ChangeEntry entry(long version, Operation op, Map<String, String> columns) {
        return new ChangeEntry("1700000000000-" + version, "counters", "7", op, version, columns);
    }

    private static List<Coalescer.Prepared> prepared(List<ChangeEntry> entries) {
        List<Coalescer.Prepared> prepared = new ArrayList<>();
        for (ChangeEntry e : entries) {
            Map<String, String> columns = new LinkedHashMap<>();
            e.columns()
                    .forEach((c, v) ->
                            columns.put(c, SqlText.of(Tables.COUNTERS.column(c).orElseThrow(), v)));
            prepared.add(new Coalescer.Prepared(e, columns));
        }
        return prepared;
    }
}
