package io.cistern.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DeadLetterFilterTest {
    private static final long AT = 1_700_000_000_000L;

    @Test
    void all_matchesEveryDeadLetter_andReadsTheWholeStream() {
        DeadLetterFilter all = DeadLetterFilter.all();

        assertThat(all.matches(letter("source_documents", "23514", "violates check constraint", AT)))
                .isTrue();
        assertThat(all.matches(letter("", "", "malformed", 0))).isTrue();
        assertThat(all.firstId()).isEqualTo("-");
        assertThat(all.lastId()).isEqualTo("+");
        assertThat(all.limit()).isEqualTo(DeadLetterFilter.DEFAULT_LIMIT);
    }

    @Test
    void table_matchesTheExactName() {
        DeadLetterFilter docs = DeadLetterFilter.all().withTable("source_documents");

        assertThat(docs.matches(letter("source_documents", "", "x", AT))).isTrue();
        assertThat(docs.matches(letter("entities", "", "x", AT))).isFalse();
        assertThat(docs.matches(letter("source_documents_archive", "", "x", AT)))
                .isFalse();
    }

    @Test
    void sqlState_matchesAWholeCode_orEveryCodeOfItsClass() {
        DeadLetterFilter check = DeadLetterFilter.all().withSqlState("23514");
        DeadLetterFilter integrity = DeadLetterFilter.all().withSqlState("23");

        assertThat(check.matches(letter("t", "23514", "x", AT))).isTrue();
        assertThat(check.matches(letter("t", "23503", "x", AT))).isFalse();
        assertThat(integrity.matches(letter("t", "23503", "x", AT))).isTrue();
        assertThat(integrity.matches(letter("t", "22001", "x", AT))).isFalse();
        assertThat(integrity.matches(letter("t", "", "record absent", AT))).isFalse();
    }

    @Test
    void reason_matchesASubstring_ignoringCase() {
        DeadLetterFilter absent = DeadLetterFilter.all().withReasonContaining("Record ABSENT");

        assertThat(absent.matches(letter("t", "", "record absent", AT))).isTrue();
        assertThat(absent.matches(letter("t", "23514", "violates check constraint", AT)))
                .isFalse();
    }

    @Test
    void timeRange_includesItsStart_excludesItsEnd_andBoundsTheStreamRead() {
        DeadLetterFilter range =
                DeadLetterFilter.all().recordedBetween(Instant.ofEpochMilli(AT), Instant.ofEpochMilli(AT + 10));

        assertThat(range.matches(letter("t", "", "x", AT))).isTrue();
        assertThat(range.matches(letter("t", "", "x", AT + 9))).isTrue();
        assertThat(range.matches(letter("t", "", "x", AT + 10))).isFalse();
        assertThat(range.matches(letter("t", "", "x", AT - 1))).isFalse();
        assertThat(range.firstId()).isEqualTo(Long.toString(AT));
        assertThat(range.lastId()).isEqualTo(Long.toString(AT + 9));
    }

    @Test
    void criteria_combineWithAnd() {
        DeadLetterFilter both = DeadLetterFilter.all().withTable("entities").withSqlState("23503");

        assertThat(both.matches(letter("entities", "23503", "x", AT))).isTrue();
        assertThat(both.matches(letter("entities", "23514", "x", AT))).isFalse();
        assertThat(both.matches(letter("source_documents", "23503", "x", AT))).isFalse();
    }

    @Test
    void badArguments_areRefusedWithTheRuleTheyBreak() {
        DeadLetterFilter all = DeadLetterFilter.all();
        Instant now = Instant.ofEpochMilli(AT);

        assertThatThrownBy(() -> all.withSqlState("235")).hasMessageContaining("SQLSTATE (5 characters");
        assertThatThrownBy(() -> all.withTable(" ")).hasMessage("table must not be blank");
        assertThatThrownBy(() -> all.withReasonContaining("")).hasMessage("reason must not be empty");
        assertThatThrownBy(() -> all.withLimit(0)).hasMessage("limit must be between 1 and 100000, was 0");
        assertThatThrownBy(() -> all.recordedBetween(now, now.plusNanos(999_999)))
                .hasMessageContaining("at least a millisecond after from");
        assertThatThrownBy(() -> all.recordedBetween(Instant.ofEpochMilli(-1), now))
                .hasMessageContaining("before 1970");
    }

    private static OpenDeadLetter letter(String table, String sqlState, String reason, long recordedAt) {
        Map<String, String> entry = table.isEmpty() ? Map.of() : Map.of("t", table, "k", "1", "o", "put", "v", "1");
        return new OpenDeadLetter(recordedAt + "-0", 0, "1-0", reason, sqlState, 1, "w", entry);
    }
}
