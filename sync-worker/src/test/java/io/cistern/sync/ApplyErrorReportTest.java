package io.cistern.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisConnectionException;
import java.io.IOException;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

class ApplyErrorReportTest {
    private static BatchFailedException batch(String state, String message, Throwable cause) {
        return new BatchFailedException(
                3, 10, new SqlFailureTranslator.Classified(SqlFailureTranslator.Kind.RETRYABLE, state, message), cause);
    }

    @Test
    void describe_aDatabaseFailure_namesItsKindAndSqlState_andTheDatabaseMessage() {
        SQLException cause = new SQLException("terminating connection due to administrator command", "57P01");

        String text = ApplyErrorReport.describe(batch("57P01", cause.getMessage(), cause));

        assertThat(text)
                .isEqualTo("SERVER_NOT_READY (SQLSTATE 57P01): terminating connection due to administrator command");
    }

    @Test
    void describe_aLostSocket_isAConnectionFailureWithoutSqlState() {
        SQLException cause = new SQLException(
                "An I/O error occurred while sending to the backend.", null, new IOException("Connection reset"));

        assertThat(ApplyErrorReport.describe(batch("", cause.getMessage(), cause)))
                .isEqualTo("CONNECTION: An I/O error occurred while sending to the backend.");
    }

    @Test
    void describe_aBatchPutOffByTheWorker_claimsNoKind() {
        assertThat(ApplyErrorReport.describe(batch(
                        "", "waiting to reload the table registry (unknown column)", new IllegalStateException())))
                .isEqualTo("waiting to reload the table registry (unknown column)");
    }

    @Test
    void describe_aRedisFailure_namesRedisAndTheKind() {
        assertThat(ApplyErrorReport.describe(new RedisCommandExecutionException("OOM command not allowed")))
                .isEqualTo("Redis BACK_PRESSURE: OOM command not allowed");
        assertThat(ApplyErrorReport.describe(new RedisConnectionException("Connection closed")))
                .isEqualTo("Redis RETRYABLE: Connection closed");
    }

    @Test
    void describe_keepsTheFirstLine_cutToTheLimit() {
        String longLine = "x".repeat(ApplyErrorReport.MAX_CHARS * 2);
        SQLException cause = new SQLException(longLine + "\n  Detail: Key (id)=(secret value) exists", "40001");

        String text = ApplyErrorReport.describe(batch("40001", cause.getMessage(), cause));

        assertThat(text).hasSize(ApplyErrorReport.MAX_CHARS).endsWith("…").doesNotContain("Detail");
    }

    @Test
    void describe_masksCredentialsInUrls_andPasswordValues() {
        SQLException cause = new SQLException(
                "cannot reach postgresql://app:s3cret@db.internal:5432/app (jdbc:postgresql://h/d?user=u&password=hunter2)",
                "08001");

        String text = ApplyErrorReport.describe(batch("08001", cause.getMessage(), cause));

        assertThat(text)
                .doesNotContain("s3cret")
                .doesNotContain("hunter2")
                .contains("postgresql://****@db.internal:5432/app")
                .contains("password=****");
    }
}
