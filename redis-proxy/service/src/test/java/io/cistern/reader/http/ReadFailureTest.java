package io.cistern.reader.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.cistern.schema.failure.InvalidRecordException;
import io.cistern.schema.failure.PermanentException;
import io.cistern.schema.failure.RetryableException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ReadFailureTest {

    @Test
    void failures_mapToTheirStatuses() {
        assertThat(ReadFailure.of(
                                new InvalidRecordException(
                                        InvalidRecordException.Reason.UNKNOWN_TABLE, "t", null, "no table t"),
                                "t")
                        .status())
                .isEqualTo(404);
        assertThat(ReadFailure.of(
                                new InvalidRecordException(
                                        InvalidRecordException.Reason.MALFORMED_KEY, "t", "key", "bad key"),
                                "t")
                        .status())
                .isEqualTo(422);
        ReadFailure unavailable = ReadFailure.of(
                new RetryableException("DATABASE_UNAVAILABLE", "down", Duration.ofMillis(1500), null), "t");
        assertThat(unavailable.status()).isEqualTo(503);
        assertThat(unavailable.retryAfter()).hasValue(2);
        assertThat(ReadFailure.of(new PermanentException("READER_CLOSED", "closed", null), "t")
                        .status())
                .isEqualTo(500);
    }

    @Test
    void ifNoneMatch_matchesStrongWeakListedAndAny() {
        assertThat(ReadController.matches("\"7\"", 7)).isTrue();
        assertThat(ReadController.matches("W/\"7\"", 7)).isTrue();
        assertThat(ReadController.matches("\"5\", \"7\"", 7)).isTrue();
        assertThat(ReadController.matches("*", 7)).isTrue();
        assertThat(ReadController.matches("\"6\"", 7)).isFalse();
        assertThat(ReadController.matches("7", 7)).isFalse();
        assertThat(ReadController.matches(null, 7)).isFalse();
    }
}
