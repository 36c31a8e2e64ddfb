package io.cistern.sync;

import static io.cistern.sync.SqlFailureTranslator.Kind.PARENT_MISSING;
import static io.cistern.sync.SqlFailureTranslator.Kind.PERMANENT;
import static io.cistern.sync.SqlFailureTranslator.Kind.RETRYABLE;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.EOFException;
import java.sql.SQLException;
import java.util.Map;
import org.jooq.exception.DataAccessException;
import org.junit.jupiter.api.Test;

class SqlFailureTranslatorTest {

    @Test
    void eachSqlStateLandsInItsClass() {
        Map<String, SqlFailureTranslator.Kind> expected = Map.ofEntries(
                Map.entry("08000", RETRYABLE),
                Map.entry("08006", RETRYABLE),
                Map.entry("08001", RETRYABLE),
                Map.entry("57P01", RETRYABLE),
                Map.entry("57P02", RETRYABLE),
                Map.entry("57P03", RETRYABLE),
                Map.entry("53300", RETRYABLE),
                Map.entry("40001", RETRYABLE),
                Map.entry("40P01", RETRYABLE),
                Map.entry("23503", PARENT_MISSING),
                Map.entry("22001", PERMANENT),
                Map.entry("22P02", PERMANENT),
                Map.entry("22003", PERMANENT),
                Map.entry("23502", PERMANENT),
                Map.entry("23505", PERMANENT),
                Map.entry("23514", PERMANENT),
                Map.entry("42703", PERMANENT),
                Map.entry("42804", PERMANENT),
                // Not the record's fault: the partition waits rather than dead-lettering healthy entries.
                Map.entry("42P01", RETRYABLE),
                Map.entry("XX000", RETRYABLE),
                Map.entry("25P02", RETRYABLE));

        expected.forEach((state, kind) -> assertThat(SqlFailureTranslator.classify(new SQLException("boom", state)))
                .as(state)
                .extracting(SqlFailureTranslator.Classified::kind, SqlFailureTranslator.Classified::sqlState)
                .containsExactly(kind, state));
    }

    @Test
    void sqlExceptionWrappedByJooq_isFoundThroughTheCauses() {
        DataAccessException wrapped = new DataAccessException("jOOQ says", new SQLException("too long", "22001"));

        assertThat(SqlFailureTranslator.classify(wrapped).kind()).isEqualTo(PERMANENT);
    }

    @Test
    void failureWithoutSqlState_isRetryable() {
        assertThat(SqlFailureTranslator.classify(new SQLException("pool timed out"))
                        .kind())
                .isEqualTo(RETRYABLE);
        assertThat(SqlFailureTranslator.classify(new SQLException("I/O", "22001", new EOFException()))
                        .kind())
                .as("a socket that died mid-statement is never the record's fault")
                .isEqualTo(RETRYABLE);
    }
}
