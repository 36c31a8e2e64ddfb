package io.cistern.sync;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OpenDeadLetterTest {
    @Test
    void fromStream_separatesWhyAndWhereFromTheOriginalEntry() {
        Map<String, String> body = new LinkedHashMap<>();
        body.put("reason", "new row violates check constraint");
        body.put("sqlstate", "23514");
        body.put("attempts", "3");
        body.put("entry_id", "1700000000000-4");
        body.put("partition", "2");
        body.put("worker", "w1");
        body.put("t", "source_documents");
        body.put("k", "6f1c");
        body.put("o", "put");
        body.put("v", "17");
        body.put("c:status", "\"bogus\"");

        OpenDeadLetter letter = OpenDeadLetter.fromStream(2, "1700000000123-0", body);

        assertThat(letter.reason()).isEqualTo("new row violates check constraint");
        assertThat(letter.sqlState()).isEqualTo("23514");
        assertThat(letter.attempts()).isEqualTo(3);
        assertThat(letter.entryId()).isEqualTo("1700000000000-4");
        assertThat(letter.worker()).isEqualTo("w1");
        assertThat(letter.entry())
                .containsExactly(
                        Map.entry("t", "source_documents"),
                        Map.entry("k", "6f1c"),
                        Map.entry("o", "put"),
                        Map.entry("v", "17"),
                        Map.entry("c:status", "\"bogus\""));
        assertThat(letter.table()).isEqualTo("source_documents");
        assertThat(letter.operation()).isEqualTo("put");
        assertThat(letter.version()).hasValue(17);
        assertThat(letter.recordedAt()).isEqualTo(Instant.ofEpochMilli(1_700_000_000_123L));
    }

    @Test
    void fromStream_ofAMalformedEntry_keepsWhatThereIs_withoutAVersion() {
        OpenDeadLetter letter = OpenDeadLetter.fromStream(
                0, "5-0", Map.of("reason", "entry 4-0: field t is missing", "attempts", "x", "v", "seven"));

        assertThat(letter.table()).isEmpty();
        assertThat(letter.key()).isEmpty();
        assertThat(letter.version()).isEmpty();
        assertThat(letter.attempts()).isZero();
        assertThat(letter.sqlState()).isEmpty();
        assertThat(letter.entryId()).isEmpty();
    }
}
