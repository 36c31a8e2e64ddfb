package io.cistern.schema.failure;

import static org.assertj.core.api.Assertions.assertThat;

import io.cistern.schema.failure.InvalidRecordException.Reason;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The one HTTP mapping of both services: every exception kind to its status, code, field, index and retry advice. */
class FailureResponseTest {

    @ParameterizedTest
    @CsvSource({
        "UNKNOWN_TABLE, 404",
        "VALUE_TOO_LARGE, 413",
        "BATCH_TOO_LARGE, 413",
        "RECORD_DELETED, 409",
        "UNKNOWN_COLUMN, 422",
        "WRONG_TYPE, 422",
        "MISSING_KEY, 422",
        "MALFORMED_KEY, 422",
        "NOT_NULLABLE, 422",
        "EMPTY_PATCH, 422"
    })
    void invalidRecord_mapsToItsStatus_keepingCodeAndField(Reason reason, int status) {
        FailureResponse f = FailureResponse.of(new InvalidRecordException(reason, "t", "c", "why"), "t");

        assertThat(f.status()).isEqualTo(status);
        assertThat(f.code()).isEqualTo(reason.name());
        assertThat(f.field()).isEqualTo("c");
        assertThat(f.toJson().get("field").stringValue()).isEqualTo("c");
        assertThat(f.retryAfter()).isEmpty();
        assertThat(f.toJson().get("retryable").booleanValue()).isFalse();
        assertThat(f.toJson().get("mayHaveBeenApplied").booleanValue()).isFalse();
    }

    @Test
    void refusalWithoutTable_takesTheTableOfTheRequest() {
        FailureResponse f =
                FailureResponse.of(new InvalidRecordException(Reason.RECORD_DELETED, null, "key", "deleted"), "docs");

        assertThat(f.table()).isEqualTo("docs");
    }

    @Test
    void retryable_is503_withRetryAfterRoundedUpToWholeSeconds() {
        FailureResponse f =
                FailureResponse.of(new RetryableException("BACKPRESSURE", "full", Duration.ofMillis(1500), null), "t");

        assertThat(f.status()).isEqualTo(503);
        assertThat(f.retryAfter()).hasValue(2);
        assertThat(f.toJson().get("retryAfterSeconds").longValue()).isEqualTo(2);
        assertThat(f.toJson().get("retryable").booleanValue()).isTrue();
        assertThat(f.mayHaveBeenApplied()).as("back-pressure wrote nothing").isFalse();
    }

    @Test
    void aWriteThatTimedOutInRedis_is503_thatMayHaveBeenApplied() {
        CisternException timeout = FailureTranslator.fromRedis(
                "put t/1", new RedisCommandTimeoutException("Command timed out after 1 second(s)"));

        FailureResponse f = FailureResponse.of(timeout, "t");

        assertThat(f.status()).isEqualTo(503);
        assertThat(f.code()).isEqualTo("REDIS_TIMEOUT");
        assertThat(f.mayHaveBeenApplied()).isTrue();
        assertThat(f.toJson().get("mayHaveBeenApplied").booleanValue()).isTrue();
    }

    @Test
    void aWriteRefusedBecauseRedisIsUnreachable_wasNotApplied() {
        CisternException down =
                FailureTranslator.fromRedis("put t/1", new RedisConnectionException("Connection refused"));

        FailureResponse f = FailureResponse.of(down, "t");

        assertThat(f.status()).isEqualTo(503);
        assertThat(f.code()).isEqualTo("REDIS_UNAVAILABLE");
        assertThat(f.mayHaveBeenApplied()).isFalse();
    }

    @Test
    void retryAfterOfZero_isOneSecond() {
        assertThat(FailureResponse.retryAfterSeconds(Duration.ZERO)).isEqualTo(1);
        assertThat(FailureResponse.retryAfterSeconds(Duration.ofSeconds(3))).isEqualTo(3);
    }

    @Test
    void otherPermanentFailure_is500WithItsCode() {
        FailureResponse f = FailureResponse.of(new PermanentException("NOT_INITIALISED", "run init", null), "t");

        assertThat(f.status()).isEqualTo(500);
        assertThat(f.code()).isEqualTo("NOT_INITIALISED");
        assertThat(f.retryable()).isFalse();
    }

    @Test
    void batchRefusal_carriesTheIndexAsData_whateverTheMessageSays() {
        InvalidRecordException e =
                new InvalidRecordException(Reason.UNKNOWN_COLUMN, "t", "pages", "no column").inBatch(12);

        FailureResponse f = FailureResponse.of(e, "t");

        assertThat(e.getMessage()).startsWith("write 12 of the batch: ");
        assertThat(f.index()).isEqualTo(12);
        assertThat(f.toJson().get("index").intValue()).isEqualTo(12);
        assertThat(f.field()).isEqualTo("pages");
        assertThat(f.code()).isEqualTo("UNKNOWN_COLUMN");
    }

    @Test
    void aSingleWritesRefusal_hasNoIndex_evenIfItsMessageLooksLikeABatchs() {
        InvalidRecordException e =
                new InvalidRecordException(Reason.UNKNOWN_COLUMN, "t", "pages", "write 12 of the batch: no column");

        FailureResponse f = FailureResponse.of(e, "t");

        assertThat(f.index()).isNull();
        assertThat(f.toJson().has("index")).isFalse();
    }

    @Test
    void readRefusals_mapLikeWrites() {
        assertThat(FailureResponse.of(new InvalidRecordException(Reason.UNKNOWN_TABLE, "t", null, "no table t"), "t")
                        .status())
                .isEqualTo(404);
        assertThat(FailureResponse.of(new InvalidRecordException(Reason.MALFORMED_KEY, "t", "key", "bad key"), "t")
                        .status())
                .isEqualTo(422);
        assertThat(FailureResponse.of(new PermanentException("READER_CLOSED", "closed", null), "t")
                        .status())
                .isEqualTo(500);
    }

    @Test
    void aRequestTheServiceRefusedItself_isNotRetryable_andKeepsItsStatus() {
        FailureResponse f = FailureResponse.refused(400, "BAD_REQUEST", "the body is not JSON", "body", "t", 3);

        assertThat(f.status()).isEqualTo(400);
        assertThat(f.toJson().get("index").intValue()).isEqualTo(3);
        assertThat(f.toJson().get("retryable").booleanValue()).isFalse();
        assertThat(f.retryAfter()).isEmpty();
    }
}
