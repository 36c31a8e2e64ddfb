package io.cistern.schema.failure;

import static io.cistern.schema.failure.SqlFailureKind.BACK_PRESSURE;
import static io.cistern.schema.failure.SqlFailureKind.BAD_DATA;
import static io.cistern.schema.failure.SqlFailureKind.CONFIGURATION;
import static io.cistern.schema.failure.SqlFailureKind.CONFLICT;
import static io.cistern.schema.failure.SqlFailureKind.CONNECTION;
import static io.cistern.schema.failure.SqlFailureKind.PARENT_MISSING;
import static io.cistern.schema.failure.SqlFailureKind.ROW_MISMATCH;
import static io.cistern.schema.failure.SqlFailureKind.SCHEMA_MISMATCH;
import static io.cistern.schema.failure.SqlFailureKind.SERVER_NOT_READY;
import static io.cistern.schema.failure.SqlFailureKind.UNEXPECTED;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.EOFException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.concurrent.CompletionException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** One row per SQLSTATE (and class) the code meets: the kind it is classified as, and whether it is retryable. */
class SqlStatesTest {

    static Stream<Arguments> states() {
        return Stream.of(
                Arguments.of("08000", "connection exception", CONNECTION, true),
                Arguments.of("08001", "cannot establish a connection", CONNECTION, true),
                Arguments.of("08006", "connection failure", CONNECTION, true),
                Arguments.of("57P01", "admin shutdown (failover, restart)", SERVER_NOT_READY, true),
                Arguments.of("57P02", "crash shutdown", SERVER_NOT_READY, true),
                Arguments.of("57P03", "cannot connect now (starting up)", SERVER_NOT_READY, true),
                Arguments.of("57014", "statement cancelled (statement_timeout)", SERVER_NOT_READY, true),
                Arguments.of("53300", "too many connections", BACK_PRESSURE, true),
                Arguments.of("53200", "out of memory", BACK_PRESSURE, true),
                Arguments.of("40001", "serialization failure", CONFLICT, true),
                Arguments.of("40P01", "deadlock detected", CONFLICT, true),
                Arguments.of("23503", "foreign key violation", PARENT_MISSING, true),
                Arguments.of("22001", "string too long", BAD_DATA, false),
                Arguments.of("22P02", "invalid text representation", BAD_DATA, false),
                Arguments.of("22003", "numeric value out of range", BAD_DATA, false),
                Arguments.of("23502", "not null violation", BAD_DATA, false),
                Arguments.of("23505", "unique violation", BAD_DATA, false),
                Arguments.of("23514", "check violation", BAD_DATA, false),
                Arguments.of("42703", "undefined column", ROW_MISMATCH, false),
                Arguments.of("42804", "datatype mismatch", ROW_MISMATCH, false),
                Arguments.of("42P01", "undefined table", SCHEMA_MISMATCH, false),
                Arguments.of("42501", "insufficient privilege", SCHEMA_MISMATCH, false),
                Arguments.of("42883", "undefined function", SCHEMA_MISMATCH, false),
                Arguments.of("28P01", "invalid password", CONFIGURATION, false),
                Arguments.of("28000", "invalid authorization", CONFIGURATION, false),
                Arguments.of("3D000", "database does not exist", CONFIGURATION, false),
                Arguments.of("XX000", "internal error", UNEXPECTED, false),
                Arguments.of("25P02", "in failed transaction", UNEXPECTED, false));
    }

    @ParameterizedTest(name = "{0} {1} -> {2}")
    @MethodSource("states")
    void classifiesBySqlState(String state, String meaning, SqlFailureKind kind, boolean retryable) {
        SqlFailure f = SqlStates.classify(new SQLException(meaning, state));

        assertThat(f.kind()).isEqualTo(kind);
        assertThat(f.kind().retryable()).isEqualTo(retryable);
        assertThat(f.sqlState()).isEqualTo(state);
        assertThat(f.message()).isEqualTo(meaning);
    }

    @Test
    void theInnermostSqlStateDecides_throughWrappersOfPoolsAndFutures() {
        SQLException driver = new SQLException("value too long for type character varying(10)", "22001");
        SQLException pool = new SQLException("batch failed", "08000", driver);

        SqlFailure f = SqlStates.classify(new CompletionException(new RuntimeException("jOOQ", pool)));

        assertThat(f.kind()).isEqualTo(BAD_DATA);
        assertThat(f.sqlState()).isEqualTo("22001");
        assertThat(f.message()).isEqualTo("value too long for type character varying(10)");
    }

    @Test
    void aSocketThatDiedMidStatement_isAConnectionFailure_whateverStateCameWithIt() {
        SqlFailure f = SqlStates.classify(new SQLException("I/O error", "22001", new EOFException()));

        assertThat(f.kind()).isEqualTo(CONNECTION);
    }

    @Test
    void noSqlState_fromThePoolOrTheDriver_isAConnectionFailure() {
        assertThat(SqlStates.classify(new SQLTransientConnectionException("pool timed out after 2000ms"))
                        .kind())
                .isEqualTo(CONNECTION);
        assertThat(SqlStates.classify(new SQLException("connection closed")).kind())
                .isEqualTo(CONNECTION);
    }

    @Test
    void notASqlFailureAtAll_isUnexpected() {
        SqlFailure f = SqlStates.classify(new IllegalStateException("bug"));

        assertThat(f.kind()).isEqualTo(UNEXPECTED);
        assertThat(f.sqlState()).isEmpty();
        assertThat(f.is(SqlStates.UNDEFINED_TABLE)).isFalse();
    }
}
