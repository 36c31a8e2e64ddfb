package io.cistern.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.cistern.schema.failure.CisternException;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
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
}
