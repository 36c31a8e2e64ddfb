package io.cistern.reader;

import static org.assertj.core.api.Assertions.assertThat;

import io.cistern.schema.failure.CisternException;
import io.cistern.schema.failure.FailureTranslator;
import io.cistern.schema.failure.RedisReplies;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReadFailuresTest {

    @Test
    void redisFailures_areRetryableUnlessRedisRefusedTheCommand() {
        assertThat(ReadFailures.redis("r", new RedisConnectionException("refused"))
                        .code())
                .isEqualTo("REDIS_UNAVAILABLE");
        assertThat(ReadFailures.redis("r", new RedisCommandTimeoutException("slow"))
                        .code())
                .isEqualTo("REDIS_TIMEOUT");
        CisternException loading =
                ReadFailures.redis("r", new RedisCommandExecutionException("LOADING Redis is loading the dataset"));
        assertThat(loading.retryable()).isTrue();
        CisternException wrongType =
                ReadFailures.redis("r", new RedisCommandExecutionException("WRONGTYPE Operation against a key"));
        assertThat(wrongType.retryable()).isFalse();
    }

    @Test
    void databaseFailures_areRetryable_exceptASchemaMismatch() {
        assertThat(ReadFailures.database("r", new SQLException("refused", "08001"))
                        .code())
                .isEqualTo("DATABASE_UNAVAILABLE");
        assertThat(ReadFailures.database("r", new SQLTransientConnectionException("pool timed out"))
                        .getMessage())
                .contains("no database connection became free");
        CisternException schema = ReadFailures.database("r", new SQLException("column \"x\" does not exist", "42703"));
        assertThat(schema.code()).isEqualTo("DATABASE_SCHEMA");
        assertThat(schema.retryable()).isFalse();
        assertThat(schema.getMessage()).contains("ops/cistern init");
    }

    @Test
    void aReadonlyOrOomReply_isRetryable_likeForTheWriter() {
        // Before issue 18 the reader answered these as a permanent REDIS_ERROR while the writer retried them.
        for (String reply :
                List.of("READONLY You can't write against a read only replica.", "OOM command not allowed")) {
            CisternException e = ReadFailures.redis("r", new RedisCommandExecutionException(reply));
            assertThat(e.retryable()).as(reply).isTrue();
            assertThat(e.code()).isEqualTo("REDIS_UNAVAILABLE");
        }
    }

    /** Every Redis failure the code meets: the reader and the writer agree on retryable-or-not. */
    @Test
    void theReaderAndTheWriter_agreeOnRetryableForEveryRedisFailure() {
        List<Throwable> failures = new java.util.ArrayList<>();
        for (String reply : List.of(
                "CISTERN_BACKPRESSURE partition 3",
                "CISTERN_NOFLOOR partition 3",
                "CISTERN_UNCONFIRMED partition 3",
                "CISTERN_DELETED k",
                "CISTERN_UNKNOWN_TABLE t",
                "CISTERN_UNKNOWN_COLUMN c",
                "CISTERN_TOO_LARGE v",
                "CISTERN_BADKEY k",
                "CISTERN_BADARGS a",
                "OOM command not allowed",
                "LOADING Redis is loading the dataset in memory",
                "BUSY Redis is busy running a script.",
                "MASTERDOWN Link with MASTER is down",
                "READONLY You can't write against a read only replica.",
                "TRYAGAIN rehashing",
                "CLUSTERDOWN The cluster is down",
                "NOSCRIPT No matching script.",
                "WRONGTYPE Operation against a key holding the wrong kind of value",
                "NOPERM no permissions",
                "WRONGPASS invalid username-password pair",
                "ERR Function not found",
                "ERR unknown command")) {
            failures.add(new RedisCommandExecutionException(reply));
        }
        failures.add(new RedisConnectionException("Connection refused"));
        failures.add(new RedisCommandTimeoutException("Command timed out"));
        failures.add(new RedisException("Connection closed"));
        failures.add(new IllegalStateException("bug"));
        for (Throwable f : failures) {
            boolean expected = RedisReplies.classify(f).kind().retryable();
            assertThat(ReadFailures.redis("r", f).retryable())
                    .as("reader: " + f.getMessage())
                    .isEqualTo(expected);
            assertThat(FailureTranslator.fromRedis("w", f).retryable())
                    .as("writer: " + f.getMessage())
                    .isEqualTo(expected);
        }
    }
}
